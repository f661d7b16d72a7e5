//! The HTTP API: DataGenFlow's REST paths and shapes over axum.
//!
//! Errors are `{"error": "...", "detail": {...}}` with the fitting status. Request bodies are
//! limited in size.

mod blocks;
mod error;
mod export;
mod jobs;
mod pipelines;
mod records;
mod stream;

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
    /// Storage.
    pub store: Store,
    /// The blocks.
    pub registry: Arc<Registry>,
    /// The job runners.
    pub jobs: Arc<JobManager>,
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
        .route("/api/generate", axum::routing::post(jobs::generate))
        .route("/api/jobs", get(jobs::list))
        .route("/api/jobs/active", get(jobs::active))
        .route("/api/jobs/{id}", get(jobs::get).delete(jobs::cancel))
        .route("/api/jobs/{id}/stream", get(stream::stream))
        .route("/api/records", get(records::list))
        .route("/api/records/{id}", get(records::get).put(records::update))
        .route("/api/export", get(export::inline))
        .route("/api/export/download", get(export::download))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
