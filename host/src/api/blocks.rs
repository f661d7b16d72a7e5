//! `GET /api/blocks`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

/// Every block with its schema and source.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Value>> {
    let blocks = state
        .registry
        .list()
        .into_iter()
        .map(|r| {
            let mut value = serde_json::to_value(&r.block.info).unwrap_or_default();
            value["source"] = serde_json::to_value(&r.source).unwrap_or_default();
            value["content_hash"] = json!(r.block.content_hash);
            value
        })
        .collect();
    Json(blocks)
}
