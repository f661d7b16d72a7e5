//! The HTTP API: DataGenFlow's REST paths and shapes over axum.
//!
//! Errors are `{"error": "...", "detail": {...}}` with the fitting status. Request bodies are
//! limited in size.

mod blocks;
mod error;
mod export;
mod jobs;
mod models;
mod pipeline_fields;
mod pipelines;
mod plugins;
mod records;
mod stream;
mod templates;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use error::ApiError;

use crate::engine::job_manager::JobManager;
use crate::registry::Registry;
use crate::store::Store;

/// Largest request body (uploaded seed files included).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// What every handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// When set, every `/api` request must carry `Authorization: Bearer <key>`.
    pub api_key: Option<Arc<str>>,
    /// Storage.
    pub store: Store,
    /// The blocks.
    pub registry: Arc<Registry>,
    /// The job runners.
    pub jobs: Arc<JobManager>,
    /// The plugins folder (uploads are written there).
    pub plugins_dir: Arc<std::path::Path>,
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/blocks", get(blocks::list))
        .route(
            "/api/pipelines",
            get(pipelines::list).post(pipelines::create),
        )
        .route(
            "/api/pipelines/{id}",
            get(pipelines::get)
                .put(pipelines::update)
                .delete(pipelines::delete),
        )
        .route(
            "/api/pipelines/{id}/execute",
            axum::routing::post(pipelines::execute),
        )
        .route(
            "/api/plugins",
            get(plugins::list)
                .post(plugins::upload)
                .layer(DefaultBodyLimit::max(plugins::MAX_PLUGIN_BYTES + 64 * 1024)),
        )
        .route(
            "/api/pipelines/{id}/accumulated_state_schema",
            get(pipeline_fields::accumulated_state_schema),
        )
        .route(
            "/api/pipelines/{id}/validation_config",
            axum::routing::put(pipeline_fields::put_validation_config),
        )
        .route(
            "/api/pipelines/from_template/{template_id}",
            axum::routing::post(templates::create_pipeline),
        )
        .route("/api/templates", get(templates::list))
        .route(
            "/api/llm-models",
            get(models::llm::list).post(models::llm::create),
        )
        .route(
            "/api/llm-models/test",
            axum::routing::post(models::llm::test)
                .get(models::llm::get_test)
                .put(models::llm::update_test)
                .delete(models::llm::delete_test),
        )
        .route(
            "/api/llm-models/{name}",
            get(models::llm::get)
                .put(models::llm::update)
                .delete(models::llm::delete),
        )
        .route(
            "/api/llm-models/{name}/default",
            axum::routing::put(models::llm::set_default),
        )
        .route(
            "/api/embedding-models",
            get(models::embedding::list).post(models::embedding::create),
        )
        .route(
            "/api/embedding-models/test",
            axum::routing::post(models::embedding::test)
                .get(models::embedding::get_test)
                .put(models::embedding::update_test)
                .delete(models::embedding::delete_test),
        )
        .route(
            "/api/embedding-models/{name}",
            get(models::embedding::get)
                .put(models::embedding::update)
                .delete(models::embedding::delete),
        )
        .route(
            "/api/embedding-models/{name}/default",
            axum::routing::put(models::embedding::set_default),
        )
        .route(
            "/api/seeds/validate",
            axum::routing::post(pipeline_fields::validate_seeds),
        )
        .route("/api/generate", axum::routing::post(jobs::generate))
        .route("/api/jobs", get(jobs::list))
        .route("/api/jobs/active", get(jobs::active))
        .route("/api/jobs/{id}", get(jobs::get).delete(jobs::cancel))
        .route("/api/jobs/{id}/stream", get(stream::stream))
        .route("/api/records", get(records::list).delete(records::delete))
        .route("/api/records/{id}", get(records::get).put(records::update))
        .route("/api/export", get(export::inline))
        .route("/api/export/download", get(export::download))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_api_key,
        ))
        .layer(axum::middleware::from_fn(error::json_rejections))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Refuses `/api` requests without the configured bearer key (401); `/health` stays open.
async fn require_api_key(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(key) = state.api_key.as_deref() else {
        return next.run(request).await;
    };
    if !request.uri().path().starts_with("/api") {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compare without an early exit on the first differing byte.
    let matches = given.is_some_and(|given| {
        given.len() == key.len()
            && given
                .bytes()
                .zip(key.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if matches {
        next.run(request).await
    } else {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "missing or wrong API key",
            serde_json::json!({"expected": "Authorization: Bearer <API_KEY>"}),
        )
        .into_response()
    }
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
