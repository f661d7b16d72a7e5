//! `GET /api/metrics`: the LLM gateway's numbers per model config, since this process started.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::ErrorBody;

/// Per model config (kind and name): calls, HTTP attempts, retries, 429s, failures by kind,
/// time spent waiting, and the concurrency now (adaptive limit, configured maximum, in
/// flight, most in flight).
#[utoipa::path(get, path = "/api/metrics", tag = "system", responses((status = 200, description = "`{models: [{kind, name, provider, requests, attempts, retries, rate_limited, failures: {bad_request, rate_limited, unavailable, timeout, invalid_response, denied}, wait_ms_total, rpm, tpm, concurrency_limit, max_concurrency, in_flight, max_in_flight, limit_decreases, limit_increases}]}`", body = serde_json::Value), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn metrics(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"models": state.models.metrics().snapshot()}))
}
