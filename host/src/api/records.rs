//! `GET /api/records` with real pagination (the total in `X-Total-Count`; the body stays
//! DataGenFlow's plain list), `GET`/`PUT /api/records/{id}` and `DELETE /api/records`.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::record_pages::PageKey;
use super::{ApiError, AppState};
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

/// A review: a new status, and/or the edited output (final state) or metadata.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecordUpdate {
    status: Option<String>,
    output: Option<serde_json::Value>,
    metadata: Option<serde_json::Value>,
}

/// Reviews a record.
#[utoipa::path(put, path = "/api/records/{id}", tag = "records", params(("id" = i64, Path, description = "Record id")), request_body(content = RecordUpdate), responses((status = 200, description = "Reviewed", body = RecordRow), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<RecordUpdate>,
) -> Result<Json<RecordRow>, ApiError> {
    let status = match body.status.as_deref() {
        None => None,
        Some(text) => Some(serde_json::from_value::<ReviewStatus>(serde_json::Value::String(text.to_owned())).map_err(|_| {
            ApiError::bad_request(
                "invalid status",
                serde_json::json!({"status": text, "allowed": ["pending", "accepted", "rejected", "edited"]}),
            )
        })?),
    };
    for (what, value) in [("output", &body.output), ("metadata", &body.metadata)] {
        if value.as_ref().is_some_and(|v| !v.is_object()) {
            return Err(ApiError::bad_request(
                format!("{what} must be a JSON object"),
                serde_json::json!({"field": what}),
            ));
        }
    }
    Ok(Json(
        state
            .store
            .update_record(id, status, body.output.as_ref(), body.metadata.as_ref())
            .await?,
    ))
}

/// What `DELETE /api/records` deletes: one job's records (`job_id`), or, only when asked for
/// explicitly, every finished job's (`all=true`).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    job_id: Option<i64>,
    all: Option<bool>,
}

/// Deletes the records of a job and the job (DataGenFlow's `{"deleted": n}`, plus the jobs
/// deleted). Without a filter DataGenFlow deletes every record; here that needs `all=true`,
/// and records of running jobs are kept.
#[utoipa::path(delete, path = "/api/records", tag = "records", params(DeleteQuery), responses((status = 200, description = "`{deleted, jobs_deleted}`", body = serde_json::Value), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflict", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Query(query): Query<DeleteQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use serde_json::json;
    let which = match (query.job_id, query.all.unwrap_or(false)) {
        (Some(job), false) => RecordDeletion::Job(job),
        (None, true) => RecordDeletion::AllFinished,
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "give either job_id or all=true, not both",
                json!({"job_id": query.job_id, "all": true}),
            ));
        }
        (None, false) => {
            return Err(ApiError::bad_request(
                "say which records to delete: job_id=<id>, or all=true for every finished job's records",
                json!({"accepted": ["job_id", "all"]}),
            ));
        }
    };
    match state.store.delete_records(which).await? {
        DeletionOutcome::JobRunning => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "the job is running: cancel it before deleting its records",
            json!({"job_id": query.job_id}),
        )),
        DeletionOutcome::Deleted {
            records,
            jobs,
            running_jobs_kept,
        } => Ok(Json(json!({
            "deleted": records,
            "jobs_deleted": jobs,
            "running_jobs_kept": running_jobs_kept,
        }))),
    }
}
