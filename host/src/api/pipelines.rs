//! `/api/pipelines[/{id}]`: DataGenFlow's `{name, definition: {blocks, constraints}}` (a bare
//! `{name, blocks}` is accepted too), validated against the blocks before it is saved.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::engine::Pipeline;
use crate::engine::validate::validate;
use crate::store::pipelines::PipelineRow;

/// Checks a request body and returns the name and the definition to store.
fn checked(state: &AppState, body: &Value) -> Result<(String, Value), ApiError> {
    let pipeline = Pipeline::parse(&body.to_string(), "request body").map_err(|e| {
        ApiError::bad_request(
            "invalid pipeline definition",
            json!({"message": e.to_string()}),
        )
    })?;
    validate(&pipeline, &state.registry).map_err(|e| {
        ApiError::bad_request("the pipeline is not valid", json!({"issues": e.issues}))
    })?;
    let definition = serde_json::to_value(&pipeline).unwrap_or_default();
    Ok((pipeline.name, definition))
}

/// Saves a pipeline.
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<PipelineRow>), ApiError> {
    let (name, definition) = checked(&state, &body)?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_pipeline(&name, &definition).await?),
    ))
}

/// Every pipeline.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<PipelineRow>>, ApiError> {
    Ok(Json(state.store.pipelines().await?))
}

/// One pipeline.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PipelineRow>, ApiError> {
    Ok(Json(state.store.pipeline(id).await?))
}

/// Replaces a pipeline.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Json<PipelineRow>, ApiError> {
    let (name, definition) = checked(&state, &body)?;
    Ok(Json(
        state.store.update_pipeline(id, &name, &definition).await?,
    ))
}

/// Deletes a pipeline with its jobs and records.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state.store.delete_pipeline(id).await?;
    Ok(Json(json!({"message": "pipeline deleted", "id": id})))
}
