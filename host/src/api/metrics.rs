//! `GET /api/metrics`: the LLM gateway's numbers per model config, and how many record pages
//! were asked for and how many queries answered them, since this process started.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::error::ErrorBody;
use super::record_pages::PageCounts;
use crate::llm::metrics::ModelMetrics;

/// `GET /api/metrics`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiMetrics {
    /// Per model config, by kind and name.
    pub models: Vec<ModelMetrics>,
    /// Pages of `GET /api/records` asked for, and the queries that answered them.
    pub record_pages: PageCounts,
}

/// Per model config (kind and name): calls, HTTP attempts, retries, 429s, failures by kind,
/// time spent waiting, and the concurrency now (adaptive limit, configured maximum, in
/// flight, most in flight). `record_pages`: pages of `GET /api/records` asked for and the
/// queries that answered them (identical requests in flight share one).
#[utoipa::path(get, path = "/api/metrics", tag = "system", responses((status = 200, description = "`{models: [{kind, name, provider, requests, attempts, retries, rate_limited, failures: {bad_request, rate_limited, unavailable, timeout, invalid_response, denied}, wait_ms_total, rpm, tpm, concurrency_limit, max_concurrency, in_flight, max_in_flight, limit_decreases, limit_increases}], record_pages: {requests, queries}}`", body = ApiMetrics), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn metrics(State(state): State<AppState>) -> Json<ApiMetrics> {
    Json(ApiMetrics {
        models: state.models.metrics().snapshot(),
        record_pages: state.record_pages.counts(),
    })
}
