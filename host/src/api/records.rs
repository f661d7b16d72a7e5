//! `GET /api/records` with real pagination (the total in `X-Total-Count`; the body stays
//! DataGenFlow's plain list), `GET`/`PUT /api/records/{id}` and `DELETE /api/records`.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::record_pages::PageKey;
use super::{ApiError, AppState};
use crate::store::record_reviews::RecordEdit;
use crate::store::records::{
    DeletionOutcome, RecordDeletion, RecordFilter, RecordRow, ReviewStatus,
};

/// Filters and page.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    status: Option<String>,
    job_id: Option<i64>,
    pipeline_id: Option<i64>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Largest page.
pub const MAX_PAGE: i64 = 1000;

/// One page of records. The stored JSON (metadata, output, trace) is passed on as stored, not
/// decoded and encoded again, and identical requests in flight share one query and one body
/// ([`RecordPages`](super::RecordPages)).
#[utoipa::path(get, path = "/api/records", tag = "records", params(RecordsQuery), responses((status = 200, description = "One page of records; the total is in `X-Total-Count`", body = Vec<RecordRow>, headers(("X-Total-Count" = i64, description = "Records matching the filter"))), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<RecordsQuery>,
) -> Result<Response, ApiError> {
    let filter = RecordFilter {
        status: query.status,
        job_id: query.job_id,
        pipeline_id: query.pipeline_id,
    };
    let limit = query.limit.unwrap_or(100).clamp(0, MAX_PAGE);
    let key = PageKey::new(filter, limit, query.offset.unwrap_or(0));
    let page = state.record_pages.page(&state.store, key).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-total-count"),
                HeaderValue::from(page.total),
            ),
        ],
        page.body,
    )
        .into_response())
}

/// One record.
#[utoipa::path(get, path = "/api/records/{id}", tag = "records", params(("id" = i64, Path, description = "Record id")), responses((status = 200, description = "The record with its trace", body = RecordRow), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<RecordRow>, ApiError> {
    Ok(Json(state.store.record(id).await?))
}

/// A review as DataGenFlow sends it; any other key is a state field to set.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RecordUpdate {
    /// `pending`, `accepted`, `rejected` or `edited` (null is refused with 400).
    status: Option<String>,
    /// An object: the whole final state, replaced; text: the pipeline output (DataGenFlow's
    /// record `output`), replaced; null: the pipeline output cleared. Each marks the record
    /// `edited` unless `status` is given.
    #[schema(value_type = Option<Object>)]
    output: Option<serde_json::Value>,
    /// The seed's metadata, replaced (null is refused with 400).
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    /// Any other key: one field of the final state (and of the last trace step's state) set.
    #[serde(flatten)]
    state_fields: std::collections::HashMap<String, serde_json::Value>,
}

/// A reviewed record: DataGenFlow's `{"success": true}` with the record as stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordReviewed {
    /// Always true (DataGenFlow's answer).
    success: bool,
    /// The record after the review.
    #[serde(flatten)]
    record: RecordRow,
}

/// The edit a review body asks for (see [`RecordUpdate`]).
fn record_edit(body: serde_json::Map<String, serde_json::Value>) -> Result<RecordEdit, ApiError> {
    use serde_json::{Value, json};
    let mut edit = RecordEdit::default();
    for (key, value) in body {
        match (key.as_str(), value) {
            // DataGenFlow stores an explicit null output (its update keeps every key that was
            // sent): the pipeline output is cleared.
            ("output", Value::Null) => edit.pipeline_output = Some(Value::Null),
            ("status", Value::String(text)) => {
                edit.status = Some(ReviewStatus::from_name(&text).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid status",
                        json!({"status": text, "allowed": ReviewStatus::ALL.map(ReviewStatus::as_str)}),
                    )
                })?);
            }
            ("output", Value::Object(state)) => edit.output = Some(state),
            ("output", text @ Value::String(_)) => edit.pipeline_output = Some(text),
            ("metadata", Value::Object(metadata)) => edit.metadata = Some(metadata),
            ("status" | "output" | "metadata", other) => {
                let expected = match key.as_str() {
                    "status" => "a status name",
                    "output" => "a JSON object (the final state) or text (the pipeline output)",
                    _ => "a JSON object",
                };
                return Err(ApiError::bad_request(
                    format!("{key} must be {expected}"),
                    json!({"field": key, "found": crate::json::json_type(&other)}),
                ));
            }
            (_, value) => {
                edit.state_fields.insert(key.clone(), value);
            }
        }
    }
    Ok(edit)
}

/// Reviews a record: DataGenFlow's bodies (`status`, `output`, `metadata`, and any other key
/// as one state field to set); answers `{"success": true}` with the record as stored.
#[utoipa::path(put, path = "/api/records/{id}", tag = "records", params(("id" = i64, Path, description = "Record id")), request_body(content = RecordUpdate, description = "`{status?, output?, metadata?, <state field>?...}`"), responses((status = 200, description = "Reviewed: `success` and the record", body = RecordReviewed), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<RecordReviewed>, ApiError> {
    let edit = record_edit(body)?;
    Ok(Json(RecordReviewed {
        success: true,
        record: state.store.update_record(id, &edit).await?,
    }))
}

/// `DELETE /api/records`'s answer: DataGenFlow's `deleted`, and what else went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordsDeleted {
    /// Records deleted.
    deleted: u64,
    /// Jobs deleted with them.
    jobs_deleted: u64,
    /// Running jobs whose records were kept (`all=true` only; empty otherwise).
    running_jobs_kept: Vec<i64>,
}

/// What `DELETE /api/records` deletes: every record and job (no parameter, as DataGenFlow
/// does), one job's records (`job_id`), or every finished job's (`all=true`).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Only this job's records (and the job).
    job_id: Option<i64>,
    /// Every finished job's records, sparing running jobs instead of refusing.
    all: Option<bool>,
}

/// Deletes records and their jobs (DataGenFlow's `{"deleted": n}`, plus the jobs deleted).
/// Without a parameter every record goes, as in DataGenFlow, refused with 409 while a job
/// runs; `all=true` spares running jobs instead.
#[utoipa::path(delete, path = "/api/records", tag = "records", params(DeleteQuery), responses((status = 200, description = "Deleted", body = RecordsDeleted), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "A job runs", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Query(query): Query<DeleteQuery>,
) -> Result<Json<RecordsDeleted>, ApiError> {
    use serde_json::json;
    let which = match (query.job_id, query.all) {
        (Some(job), None | Some(false)) => RecordDeletion::Job(job),
        (None, Some(true)) => RecordDeletion::AllFinished,
        (None, None) => RecordDeletion::All,
        (None, Some(false)) => {
            return Err(ApiError::bad_request(
                "all=false names nothing to delete: give job_id, all=true, or no parameter for every record",
                json!({"all": false}),
            ));
        }
        (Some(_), Some(true)) => {
            return Err(ApiError::bad_request(
                "give either job_id or all=true, not both",
                json!({"job_id": query.job_id, "all": true}),
            ));
        }
    };
    match state.store.delete_records(which).await? {
        DeletionOutcome::JobRunning if which == RecordDeletion::All => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "a job is running: cancel it before deleting every record (or give all=true to keep running jobs)",
            json!({"running": true}),
        )),
        DeletionOutcome::JobRunning => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "the job is running: cancel it before deleting its records",
            json!({"job_id": query.job_id}),
        )),
        DeletionOutcome::RunsFinishing(jobs) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "runs of a cancelled job are still being stored: try again in a moment",
            json!({"finishing_jobs": jobs}),
        )),
        DeletionOutcome::Deleted {
            records,
            jobs,
            running_jobs_kept,
        } => Ok(Json(RecordsDeleted {
            deleted: records,
            jobs_deleted: jobs,
            running_jobs_kept,
        })),
    }
}
