//! `GET /api/blocks`.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::AppState;

/// Every block with its schema and source.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Value>> {
    let blocks = state.registry.list().iter().map(|r| r.to_json()).collect();
    Json(blocks)
}
