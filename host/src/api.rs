//! The HTTP API: DataGenFlow's REST paths and shapes over axum.
//!
//! Errors are `{"error": "...", "detail": {...}}` with the fitting status. Request bodies are
//! limited in size.

mod blocks;
mod browser;
mod connections;
mod datasets;
mod documented_rejections;
mod error;
mod export;
mod extensions;
mod grants;
mod head_limits;
mod job_view;
mod jobs;
mod langfuse;
mod metrics;
mod models;
mod pipeline_fields;
mod pipeline_view;
mod pipelines;
mod plugins;
mod raw_rejections;
mod record_pages;
mod records;
mod settings;
mod stream;
mod templates;
mod web_ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use browser::{BrowserPolicy, CONTENT_SECURITY_POLICY};
pub use connections::{ConnectionLimits, serve};
pub use error::ApiError;
pub use head_limits::{MAX_HEAD_BYTES, MAX_HEADERS};
pub use record_pages::RecordPages;

use crate::jobs::manager::JobManager;
use crate::llm::routing::ModelRouter;
use crate::registry::Registry;
use crate::store::Store;

/// Largest request body (uploaded seed files, `/execute`'s state, records, seed lists).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Largest body of a route that takes a definition: a pipeline, a template, the validation
/// config, settings, a plugin's grant. A JSON body becomes a value tree several times its size, so these small documents
/// get a small bound.
pub const MAX_DEFINITION_BODY_BYTES: usize = 4 * 1024 * 1024;

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
    /// The folder the web UI is read from; `None`: the build embedded in the binary.
    pub web_dir: Option<Arc<std::path::Path>>,
    /// The blocks' LLM gateway, routing by registered model name; reread after every change
    /// to the registry.
    pub models: Arc<ModelRouter>,
    /// Record-list queries in flight, shared by identical requests.
    pub record_pages: Arc<RecordPages>,
    /// The largest dataset file an upload may send (`MAX_DATASET_UPLOAD_BYTES`).
    pub max_dataset_upload_bytes: u64,
    /// The Hugging Face Hub dataset pushes go to, and the token used when a push names none.
    pub hub: crate::hub::HubSettings,
}

/// How the server meets its clients: which host names and origins it accepts, and how long
/// and how many of them it waits for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpSettings {
    /// Host names and origins (`ALLOWED_HOSTS`, `ALLOWED_ORIGINS`).
    pub browser: BrowserPolicy,
    /// Read timeouts and the connection bound.
    pub connections: ConnectionLimits,
}

/// The OpenAPI description's header; the paths come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "blockforge",
        description = "Run LLM data-generation pipelines whose every block is a sandboxed \
                       WebAssembly component. DataGenFlow's REST paths and shapes. Errors are \
                       `{\"error\", \"detail\"}`; with API_KEY set, `/api` needs \
                       `Authorization: Bearer <key>`."
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// Every documented route and the OpenAPI description built from the same calls: a route
/// cannot be served without being described.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi as _;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;
    let plugins = OpenApiRouter::new()
        .routes(routes!(plugins::list, plugins::upload))
        .layer(DefaultBodyLimit::max(plugins::MAX_PLUGIN_BYTES + 64 * 1024));
    let definitions = OpenApiRouter::new()
        .routes(routes!(settings::get, settings::put))
        .routes(routes!(pipelines::list, pipelines::create))
        .routes(routes!(
            pipelines::get,
            pipelines::update,
            pipelines::delete
        ))
        .routes(routes!(pipeline_fields::put_validation_config))
        .routes(routes!(templates::create_pipeline))
        .routes(routes!(grants::get, grants::put))
        .layer(DefaultBodyLimit::max(MAX_DEFINITION_BODY_BYTES));
    let routes = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(metrics::metrics))
        .routes(routes!(langfuse::langfuse_status))
        .routes(routes!(extensions::status))
        .routes(routes!(extensions::list_blocks))
        .routes(routes!(extensions::list_templates))
        .routes(routes!(extensions::reload))
        .routes(routes!(extensions::validate))
        .routes(routes!(extensions::dependencies))
        .routes(routes!(extensions::install_deps))
        .routes(routes!(blocks::list))
        .merge(plugins)
        .merge(definitions)
        .routes(routes!(pipelines::execute))
        .routes(routes!(pipeline_fields::accumulated_state_schema))
        .routes(routes!(templates::list))
        .routes(routes!(pipeline_fields::validate_seeds))
        .routes(routes!(jobs::generate))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::active))
        .routes(routes!(jobs::get, jobs::cancel))
        .routes(routes!(stream::stream))
        .routes(routes!(records::list, records::delete))
        .routes(routes!(records::get, records::update))
        .routes(routes!(export::inline))
        .routes(routes!(datasets::list))
        .routes(routes!(datasets::get, datasets::delete))
        .routes(routes!(datasets::upload::preview))
        .routes(routes!(datasets::upload::import))
        .routes(routes!(datasets::from_job))
        .routes(routes!(datasets::rows::list))
        .routes(routes!(datasets::rows::edit))
        .routes(routes!(datasets::operations::convert))
        .routes(routes!(datasets::operations::merge))
        .routes(routes!(datasets::operations::sample))
        .routes(routes!(datasets::operations::split))
        .routes(routes!(datasets::export::export))
        .routes(routes!(datasets::export::card))
        .routes(routes!(datasets::push::push))
        .routes(routes!(export::download))
        .routes(routes!(models::llm::list, models::llm::create))
        .routes(routes!(
            models::llm::test,
            models::llm::get_test,
            models::llm::update_test,
            models::llm::delete_test
        ))
        .routes(routes!(
            models::llm::get,
            models::llm::update,
            models::llm::delete
        ))
        .routes(routes!(models::llm::set_default))
        .routes(routes!(models::embedding::list, models::embedding::create))
        .routes(routes!(
            models::embedding::test,
            models::embedding::get_test,
            models::embedding::update_test,
            models::embedding::delete_test
        ))
        .routes(routes!(
            models::embedding::get,
            models::embedding::update,
            models::embedding::delete
        ))
        .routes(routes!(models::embedding::set_default))
        .split_for_parts();
    let (routes, mut description) = (routes.0, routes.1);
    documented_rejections::add(&mut description);
    (routes, description)
}

/// The OpenAPI description of the API (what `GET /openapi.json` answers).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// The API's routes, guarded and timed as `http` says (serve them with [`serve`] for the
/// connection limits).
pub fn router(state: AppState, http: &HttpSettings) -> Router {
    let (routes, mut description) = documented_routes();
    description.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let description = Arc::new(description);
    let routes = routes
        .route(
            "/openapi.json",
            get(move || {
                let description = description.clone();
                async move { axum::Json(description.as_ref().clone()) }
            }),
        )
        .fallback(web_ui::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            reload_models,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_api_key,
        ))
        .layer(axum::middleware::from_fn(error::json_rejections))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            http.connections.body_read_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(http.browser.clone()),
            browser::guard,
        ))
        .with_state(state);
    browser::security_headers(routes)
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

/// After a successful write to the model registry (any method but GET under
/// `/api/llm-models` or `/api/embedding-models`), rereads it into the model router, so blocks
/// use the change at once. The change is saved either way: a failed reread is logged, and the
/// periodic one catches up.
async fn reload_models(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let writes_registry = request.method() != axum::http::Method::GET
        && (path.starts_with("/api/llm-models") || path.starts_with("/api/embedding-models"));
    let response = next.run(request).await;
    if writes_registry
        && response.status().is_success()
        && let Err(e) = state.models.reload(&state.store).await
    {
        tracing::error!(error = %e, "cannot reread the model registry");
    }
    response
}

/// Whether the server answers: DataGenFlow's `{"status": "healthy"}`.
#[utoipa::path(get, path = "/health", tag = "system", security(), responses((status = 200, description = "`{\"status\": \"healthy\"}`", body = serde_json::Value)))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "healthy"}))
}
