//! `/api/datasets`: named, versioned datasets. Import and preview a file, save a job's
//! records, list, browse and edit rows; every change makes a new version.

pub mod export;
pub mod operations;
pub mod push;
pub mod rows;
pub mod upload;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::deleted::Deleted;
use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::store::dataset_sources::JobRecords;
use crate::store::dataset_writer::WriteError;
use crate::store::datasets::{DatasetRow, VersionRow};

/// A dataset name from a path, checked.
pub(super) fn checked_name(name: &str) -> Result<(), ApiError> {
    crate::datasets::check_name(name)
        .map_err(|message| ApiError::bad_request(message, json!({"name": name})))
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Import(e) => ApiError::bad_request(e.to_string(), e.detail()),
            WriteError::Store(e) => e.into(),
            WriteError::Reader(message) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the dataset reader failed",
                json!({"message": message}),
            ),
        }
    }
}

/// Every dataset with its newest version.
#[utoipa::path(get, path = "/api/datasets", tag = "datasets", responses((status = 200, description = "Every dataset, by name, with its newest version's number and row count", body = Vec<DatasetRow>), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<DatasetRow>>, ApiError> {
    Ok(Json(state.store.datasets().await?))
}

/// One dataset's versions, oldest first, with their lineage, counts and schemas.
#[utoipa::path(get, path = "/api/datasets/{name}", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), responses((status = 200, description = "`{name, versions}`", body = DatasetVersions), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<DatasetVersions>, ApiError> {
    let versions = state.store.dataset_versions(&name).await?;
    Ok(Json(DatasetVersions { name, versions }))
}

/// A dataset's versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatasetVersions {
    /// The dataset.
    pub name: String,
    /// Its ready versions, oldest first.
    pub versions: Vec<VersionRow>,
}

/// Deletes a dataset with every version.
#[utoipa::path(delete, path = "/api/datasets/{name}", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), responses((status = 200, description = "Deleted: `{message, name}`", body = Deleted), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    state.store.delete_dataset(&name).await?;
    Ok(Json(Deleted {
        message: "dataset deleted".to_owned(),
        name,
    }))
}

/// Which job's records to save.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct FromJob {
    /// The job.
    job_id: i64,
    /// `accepted` (accepted or edited records; the default) or `all` (every record of a
    /// completed run that was not rejected).
    records: Option<String>,
}

/// Saves a job's records (their final state, edits included) as a new version.
#[utoipa::path(post, path = "/api/datasets/{name}/from-job", tag = "datasets", params(("name" = String, Path, description = "Dataset name (made when new)")), request_body(content = FromJob, description = "`{job_id, records: accepted | all}`"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such job", body = ErrorBody)))]
pub async fn from_job(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<FromJob>,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    checked_name(&name)?;
    let which = body.records.as_deref().unwrap_or("accepted");
    let records = JobRecords::from_name(which).ok_or_else(|| {
        ApiError::bad_request(
            "records must be accepted or all",
            json!({"records": which, "supported": ["accepted", "all"]}),
        )
    })?;
    let version = state
        .store
        .save_job_records(&name, body.job_id, records)
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}
