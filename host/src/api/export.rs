//! `GET /api/export` and `/api/export/download`: records as JSON Lines or one JSON list,
//! streamed page by page (no temporary file), edits included.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::store::Store;
use crate::store::records::{RecordFilter, RecordRow};

/// Filters and format.
#[derive(Deserialize)]
pub struct ExportQuery {
    status: Option<String>,
    job_id: Option<i64>,
    pipeline_id: Option<i64>,
    format: Option<String>,
}

/// Records per page read from the store.
const PAGE: i64 = 500;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    JsonLines,
    Json,
}

/// One exported record: DataGenFlow's export keys, with the (possibly edited) final state as
/// `accumulated_state`.
fn export_line(record: &RecordRow) -> Value {
    json!({
        "id": record.id,
        "job_id": record.job_id,
        "pipeline_id": record.pipeline_id,
        "trace_id": record.trace_id,
        "status": record.status,
        "run_status": record.run_status,
        "metadata": record.metadata,
        "accumulated_state": record.output,
        "pipeline_output": record.pipeline_output,
        "usage": record.usage,
        "error": record.error,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    })
}

fn body(store: Store, filter: RecordFilter, format: Format) -> Body {
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
            if format == Format::Json && after == 0 && !started {
                chunk.push('[');
            }
            for record in &records {
                let line = export_line(record).to_string();
                match format {
                    Format::JsonLines => {
                        chunk.push_str(&line);
                        chunk.push('\n');
                    }
                    Format::Json => {
                        if started {
                            chunk.push(',');
                        }
                        chunk.push_str(&line);
                    }
                }
                started = true;
            }
            if format == Format::Json && last {
                if !started {
                    chunk.push('[');
                }
                chunk.push(']');
            }
            let next = records.last().map_or(after, |r| r.id);
            Some((Ok::<_, std::io::Error>(chunk), (next, last, started)))
        }
    });
    Body::from_stream(pages)
}

fn export(state: AppState, query: ExportQuery, download: bool) -> Result<Response, ApiError> {
    let format = match query.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => Format::JsonLines,
        "json" => Format::Json,
        other => {
            return Err(ApiError::bad_request(
                "unsupported export format",
                json!({"format": other, "supported": ["jsonl", "json"]}),
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
    };
    let mut response = body(state.store, filter, format).into_response();
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
pub async fn inline(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(state, query, false)
}

/// Records as a file download.
pub async fn download(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(state, query, true)
}
