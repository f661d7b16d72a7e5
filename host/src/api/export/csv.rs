//! CSV export: one row per record, the record's own columns first, then one column per state
//! field. The state fields are collected in a first pass over the records (final states only,
//! no traces), so every row has the same columns; the second pass streams the rows page by
//! page. Both passes stop at the last record id seen when the export started, so records
//! written meanwhile neither appear without columns nor shift the pages.

use crate::datasets::export::{cell, csv_lines as encode};
use std::collections::HashSet;

use axum::body::Body;
use serde_json::{Value, json};

use super::PAGE;
use crate::api::ApiError;
use crate::store::Store;
use crate::store::records::{RecordFilter, RecordRow};

/// Most state columns an export may have; a wider export is refused (use JSON Lines).
pub const MAX_STATE_COLUMNS: usize = 2000;

/// The record's own columns, always first.
const RECORD_COLUMNS: &[&str] = &[
    "id",
    "job_id",
    "pipeline_id",
    "trace_id",
    "status",
    "run_status",
    "error",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "created_at",
    "updated_at",
    "pipeline_output",
];

/// The columns of one export: the state fields in the order first seen.
pub struct Columns {
    state_keys: Vec<String>,
    up_to: i64,
}

impl Columns {
    /// The header row: the record columns, then the state fields (a state field named like a
    /// record column is written `state.<name>`).
    fn header(&self) -> Vec<String> {
        let renamed = self.state_keys.iter().map(|key| {
            if RECORD_COLUMNS.contains(&key.as_str()) {
                format!("state.{key}")
            } else {
                key.clone()
            }
        });
        RECORD_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(renamed)
            .collect()
    }
}

/// First pass: the state fields of every record the export will hold.
pub async fn columns(store: &Store, filter: &RecordFilter) -> Result<Columns, ApiError> {
    let up_to = store.last_record_id(filter).await?;
    let mut seen = HashSet::new();
    let mut state_keys = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .record_outputs_after(filter, after, up_to, PAGE)
            .await?;
        for (_, output) in &page {
            let Value::Object(state) = output else {
                continue;
            };
            for key in state.keys() {
                if !seen.contains(key) {
                    seen.insert(key.clone());
                    state_keys.push(key.clone());
                }
            }
        }
        if state_keys.len() > MAX_STATE_COLUMNS {
            return Err(ApiError::bad_request(
                "too many distinct state fields for one CSV: export JSON Lines instead",
                json!({"fields": state_keys.len(), "max": MAX_STATE_COLUMNS}),
            ));
        }
        match page.last() {
            Some((id, _)) if (page.len() as i64) == PAGE => after = *id,
            _ => break,
        }
    }
    Ok(Columns { state_keys, up_to })
}

fn row(record: &RecordRow, columns: &Columns) -> Vec<String> {
    let mut row = vec![
        record.id.to_string(),
        record.job_id.to_string(),
        record.pipeline_id.to_string(),
        record.trace_id.clone(),
        record.status.clone(),
        record.run_status.clone(),
        record.error.clone().unwrap_or_default(),
        record.usage.input_tokens.to_string(),
        record.usage.output_tokens.to_string(),
        record.usage.cached_tokens.to_string(),
        record.created_at.to_string(),
        record.updated_at.to_string(),
        cell(Some(&record.pipeline_output)),
    ];
    row.extend(
        columns
            .state_keys
            .iter()
            .map(|key| cell(record.output.get(key))),
    );
    row
}

/// Second pass: the header, then the rows, streamed a page at a time.
pub fn body(store: Store, filter: RecordFilter, columns: Columns) -> Body {
    let columns = std::sync::Arc::new(columns);
    let header = encode([columns.header()]);
    let first = futures::stream::once(async move { header });
    // (last id written, finished)
    let pages = futures::stream::unfold((0i64, false), move |(after, done)| {
        let (store, filter, columns) = (store.clone(), filter.clone(), columns.clone());
        async move {
            if done || after >= columns.up_to {
                return None;
            }
            let records = match store.records_after(&filter, after, PAGE).await {
                Ok(page) => page,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), (after, true))),
            };
            let last = (records.len() as i64) < PAGE;
            let next = records.last().map_or(after, |r| r.id);
            let rows = records
                .iter()
                .filter(|r| r.id <= columns.up_to)
                .map(|r| row(r, &columns));
            Some((encode(rows), (next, last)))
        }
    });
    Body::from_stream(futures::StreamExt::chain(first, pages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_strings_and_write_other_values_as_json() {
        assert_eq!(cell(None), "");
        assert_eq!(cell(Some(&Value::Null)), "");
        assert_eq!(cell(Some(&json!("a, \"b\"\nc"))), "a, \"b\"\nc");
        assert_eq!(cell(Some(&json!(1.5))), "1.5");
        assert_eq!(cell(Some(&json!({"k": [1, true]}))), r#"{"k":[1,true]}"#);
    }

    #[test]
    fn state_fields_named_like_record_columns_are_prefixed() {
        let columns = Columns {
            state_keys: vec!["topic".to_owned(), "status".to_owned()],
            up_to: 0,
        };
        let header = columns.header();
        assert_eq!(&header[..2], ["id", "job_id"]);
        assert_eq!(&header[RECORD_COLUMNS.len()..], ["topic", "state.status"]);
        let text = String::from_utf8(encode([vec!["a,b".to_owned(), "c\"d".to_owned()]]).unwrap())
            .unwrap();
        assert_eq!(text, "\"a,b\",\"c\"\"d\"\n");
    }
}
