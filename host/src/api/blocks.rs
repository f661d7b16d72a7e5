//! `GET /api/blocks`.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::AppState;

/// Every block with its schema and source.
#[utoipa::path(get, path = "/api/blocks", tag = "blocks", responses((status = 200, description = "Every block: type, name, description, category, inputs, outputs, capabilities, config JSON Schema, source and content hash", body = Vec<serde_json::Value>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<Value>> {
    let blocks = state.registry.list().iter().map(|r| r.to_json()).collect();
    Json(blocks)
}
