//! `GET /metrics`: the process's numbers in the Prometheus/OpenMetrics text format, and the
//! middleware that counts HTTP requests for it. `GET /api/metrics` keeps its JSON.
//!
//! What is counted as it happens lives in [`crate::telemetry`] (HTTP requests, block calls,
//! runs, records, model tokens and cost); what is read at scrape time is added here: jobs by
//! status (from the database, so every server and worker's jobs), the LLM gateway's requests,
//! retries, 429s and failures per model config, and the database pools' use.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::telemetry::{Labels, labels, telemetry};

/// The OpenMetrics text format's media type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request that matched no route (the web UI's files, unknown paths).
const UNMATCHED: &str = "unmatched";

/// `/api/jobs/{id}` as `/api/jobs/:id`: braces in label values trip up simple parsers of the
/// text format.
fn route_label(template: &str) -> String {
    template.replace('{', ":").replace('}', "")
}

/// Counts every answered request by method, route template and status, with its latency.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |m| route_label(m.as_str()));
    let method = request.method().clone();
    let response = next.run(request).await;
    telemetry().http_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Adds what is read now: jobs by status, the model gateway's counters, the pools.
async fn add_current(registry: &mut Registry, state: &AppState) -> Result<(), ApiError> {
    let jobs = Family::<Labels, Gauge>::default();
    for (status, count) in state.store.jobs_by_status().await? {
        jobs.get_or_create(&labels([("status", status.as_str())]))
            .set(count);
    }
    registry.register("jobs", "Jobs in the database, by status", jobs);

    let requests = Family::<Labels, Counter>::default();
    let attempts = Family::<Labels, Counter>::default();
    let retries = Family::<Labels, Counter>::default();
    let rate_limited = Family::<Labels, Counter>::default();
    let failures = Family::<Labels, Counter>::default();
    let in_flight = Family::<Labels, Gauge>::default();
    for model in state.models.metrics().snapshot() {
        let of = labels([
            ("kind", model.kind.as_str()),
            ("config", model.name.as_str()),
            ("provider", model.provider.as_str()),
        ]);
        requests.get_or_create(&of).inc_by(model.requests);
        attempts.get_or_create(&of).inc_by(model.attempts);
        retries.get_or_create(&of).inc_by(model.retries);
        rate_limited.get_or_create(&of).inc_by(model.rate_limited);
        in_flight
            .get_or_create(&of)
            .set(i64::try_from(model.limiter.in_flight).unwrap_or(i64::MAX));
        if let Some(by_kind) = model.failures.as_object() {
            for (kind, count) in by_kind {
                let mut with_kind = of.clone();
                with_kind.push(("failure".to_owned(), kind.clone()));
                failures
                    .get_or_create(&with_kind)
                    .inc_by(count.as_u64().unwrap_or(0));
            }
        }
    }
    registry.register(
        "llm_requests",
        "Model calls made by blocks, by model config (kind, config name, provider)",
        requests,
    );
    registry.register(
        "llm_attempts",
        "HTTP requests sent to model providers, by model config",
        attempts,
    );
    registry.register(
        "llm_retries",
        "Attempts after a call's first, by model config",
        retries,
    );
    registry.register(
        "llm_rate_limited",
        "429 answers from model providers, by model config",
        rate_limited,
    );
    registry.register(
        "llm_failures",
        "Model calls that failed for good, by model config and failure kind",
        failures,
    );
    registry.register(
        "llm_in_flight",
        "Model requests in flight now, by model config",
        in_flight,
    );

    let open = Family::<Labels, Gauge>::default();
    let max = Family::<Labels, Gauge>::default();
    for pool in state.store.pool_use() {
        let idle = i64::from(pool.idle);
        let busy = i64::from(pool.open.saturating_sub(pool.idle));
        open.get_or_create(&labels([("pool", pool.pool), ("state", "idle")]))
            .set(idle);
        open.get_or_create(&labels([("pool", pool.pool), ("state", "in_use")]))
            .set(busy);
        max.get_or_create(&labels([("pool", pool.pool)]))
            .set(i64::from(pool.max));
    }
    registry.register(
        "db_pool_connections",
        "Database connections open, by pool and state (idle, in_use)",
        open,
    );
    registry.register(
        "db_pool_max_connections",
        "The most connections each database pool opens",
        max,
    );
    Ok(())
}

/// Every series in the OpenMetrics text format (`# EOF` ends it).
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus/OpenMetrics text: blockforge_http_requests_total and blockforge_http_request_duration_seconds (method, route, status), blockforge_jobs (status), blockforge_runs_finished_total (status), blockforge_records_written_total, blockforge_block_calls_total, blockforge_block_failures_total (block_type, kind), blockforge_block_call_duration_seconds, blockforge_llm_requests/attempts/retries/rate_limited/failures_total (config), blockforge_llm_tokens_total (model, kind), blockforge_llm_cost_usd_total (model), blockforge_db_pool_connections (pool, state)", content_type = "application/openmetrics-text", body = String), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut registry = telemetry().registry();
    add_current(&mut registry, &state).await?;
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the metrics: {e}"),
            serde_json::json!({}),
        )
    })?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_lose_their_braces() {
        assert_eq!(route_label("/api/jobs/{id}"), "/api/jobs/:id");
        assert_eq!(
            route_label("/api/datasets/{name}/rows/{position}"),
            "/api/datasets/:name/rows/:position"
        );
        assert_eq!(route_label("/health"), "/health");
    }
}
