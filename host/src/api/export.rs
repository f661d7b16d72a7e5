//! `GET /api/export` and `/api/export/download`: records as JSON Lines, one JSON list or CSV,
//! streamed page by page (no temporary file), edits included.

mod csv;

use super::error::ErrorBody;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::store::Store;
use crate::store::records::{RecordFilter, RecordRow};
use crate::usage::Usage;

/// Filters and format.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    status: Option<String>,
    job_id: Option<i64>,
    pipeline_id: Option<i64>,
    format: Option<String>,
}

/// Records per page read from the store.
const PAGE: i64 = 500;

/// The formats `format=` accepts.
const FORMATS: &[&str] = &["jsonl", "json", "csv"];

#[derive(Clone, Copy)]
enum Format {
    JsonLines,
    Json,
    Csv,
}

/// One exported record: DataGenFlow's export keys, with the (possibly edited) final state as
/// `accumulated_state`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedRecord<'a> {
    /// The record's id.
    pub id: i64,
    /// Its job.
    pub job_id: i64,
    /// The job's pipeline.
    pub pipeline_id: i64,
    /// The run's trace id.
    pub trace_id: &'a str,
    /// Review status.
    pub status: &'a str,
    /// `completed` or `failed`.
    pub run_status: &'a str,
    /// The seed's metadata.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub metadata: &'a Value,
    /// The final state, edits included.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub accumulated_state: &'a Value,
    /// The run's `pipeline_output`, any JSON value.
    #[schema(value_type = serde_json::Value)]
    pub pipeline_output: &'a Value,
    /// Tokens and cost of the run.
    pub usage: &'a Usage,
    /// The failure, for a failed run.
    pub error: Option<&'a str>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

fn export_line(record: &RecordRow) -> ExportedRecord<'_> {
    ExportedRecord {
        id: record.id,
        job_id: record.job_id,
        pipeline_id: record.pipeline_id,
        trace_id: &record.trace_id,
        status: &record.status,
        run_status: &record.run_status,
        metadata: &record.metadata,
        accumulated_state: &record.output,
        pipeline_output: &record.pipeline_output,
        usage: &record.usage,
        error: record.error.as_deref(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// JSON Lines, or one JSON list when `list`.
fn json_body(store: Store, filter: RecordFilter, list: bool) -> Body {
    // (last id written, finished, anything written yet); pages by id, so records added or
    // changed during the export neither repeat nor shift the pages.
    let pages = futures::stream::unfold((0i64, false, false), move |(after, done, started)| {
        let (store, filter) = (store.clone(), filter.clone());
        async move {
            if done {
                return None;
            }
            let records = match store.records_after(&filter, after, PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    return Some((
                        Err(std::io::Error::other(e.to_string())),
                        (after, true, started),
                    ));
                }
            };
            let last = (records.len() as i64) < PAGE;
            let mut chunk = String::new();
            let mut started = started;
            if list && after == 0 && !started {
                chunk.push('[');
            }
            for record in &records {
                let line = serde_json::to_string(&export_line(record)).unwrap_or_default();
                if list {
                    if started {
                        chunk.push(',');
                    }
                    chunk.push_str(&line);
                } else {
                    chunk.push_str(&line);
                    chunk.push('\n');
                }
                started = true;
            }
            if list && last {
                chunk.push(']');
            }
            let next = records.last().map_or(after, |r| r.id);
            Some((Ok::<_, std::io::Error>(chunk), (next, last, started)))
        }
    });
    Body::from_stream(pages)
}

async fn export(state: AppState, query: ExportQuery, download: bool) -> Result<Response, ApiError> {
    let format = match query.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => Format::JsonLines,
        "json" => Format::Json,
        "csv" => Format::Csv,
        other => {
            return Err(ApiError::bad_request(
                "unsupported export format",
                json!({"format": other, "supported": FORMATS}),
            ));
        }
    };
    let filter = RecordFilter {
        status: query.status.clone(),
        job_id: query.job_id,
        pipeline_id: query.pipeline_id,
    };
    let (content_type, extension) = match format {
        Format::JsonLines => ("application/x-ndjson", "jsonl"),
        Format::Json => ("application/json", "json"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let body = match format {
        Format::Csv => {
            let columns = csv::columns(&state.store, &filter).await?;
            csv::body(state.store, filter, columns)
        }
        Format::JsonLines => json_body(state.store, filter, false),
        Format::Json => json_body(state.store, filter, true),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if download {
        let mut name = String::from("blockforge-records");
        if let Some(job) = query.job_id {
            name.push_str(&format!("-job{job}"));
        }
        if let Some(status) = query
            .status
            .as_deref()
            .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            name.push_str(&format!("-{status}"));
        }
        let disposition = format!("attachment; filename=\"{name}.{extension}\"");
        if let Ok(value) = header::HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// Records as a stream.
#[utoipa::path(get, path = "/api/export", tag = "export", params(ExportQuery), responses((status = 200, description = "Records streamed as `format=` asks: JSON Lines (the default), one JSON list, or CSV", content((String = "application/x-ndjson"), (Vec<ExportedRecord> = "application/json"), (String = "text/csv"))), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn inline(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(state, query, false).await
}

/// Records as a file download.
#[utoipa::path(get, path = "/api/export/download", tag = "export", params(ExportQuery), responses((status = 200, description = "The same as a file download (Content-Disposition with a file name)", content((String = "application/x-ndjson"), (Vec<ExportedRecord> = "application/json"), (String = "text/csv"))), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(state, query, true).await
}
