//! The HTTP API: DataGenFlow's REST paths and shapes over axum.
//!
//! Errors are `{"error": "...", "detail": {...}}` with the fitting status. Request bodies are
//! limited in size.

mod access;
mod api_keys;
mod blocks;
mod browser;
mod connections;
mod datasets;
mod deleted;
mod documented_rejections;
mod error;
mod export;
mod extensions;
mod grants;
mod head_limits;
mod job_view;
mod jobs;
mod key_ring;
mod langfuse;
mod metrics;
mod models;
mod operation_ids;
mod pipeline_fields;
mod pipeline_view;
mod pipelines;
mod plugins;
mod prometheus;
mod rate_limits;
mod raw_rejections;
mod record_pages;
mod records;
mod run_answer;
mod seed_upload;
mod settings;
mod stream;
mod templates;
mod web_ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use access::Gate;
pub use browser::{BrowserPolicy, CONTENT_SECURITY_POLICY};
pub use connections::{ConnectionLimits, serve};
pub use error::ApiError;
pub use head_limits::{MAX_HEAD_BYTES, MAX_HEADERS};
pub use rate_limits::{NotARate, Rate, RateLimits};
pub use record_pages::RecordPages;
pub use record_pages::{PAGE_QUERY_INTERVAL, PAGE_THREADS_NICE};

use crate::jobs::manager::JobManager;
use crate::llm::routing::ModelRouter;
use crate::registry::Registry;
use crate::store::Store;

/// Largest request body (`/execute`'s state, records, seed lists; seed files uploaded to
/// `/api/generate` have their own bound, `MAX_SEED_UPLOAD_BYTES`).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Largest body of a route that takes a definition: a pipeline, a template, the validation
/// config, settings, a plugin's grant. A JSON body becomes a value tree several times its size, so these small documents
/// get a small bound.
pub const MAX_DEFINITION_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What every handler reaches.
#[derive(Clone)]
pub struct AppState {
    /// The API keys (`API_KEY` and the named ones) and the rate limits.
    pub gate: Arc<Gate>,
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
    /// The largest seed file `POST /api/generate` takes (`MAX_SEED_UPLOAD_BYTES`).
    pub max_seed_upload_bytes: u64,
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
    /// Requests allowed per API key and per client address.
    pub rate_limits: RateLimits,
}

/// The OpenAPI description's header; the paths come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "blockforge",
        description = "Run LLM data-generation pipelines whose every block is a sandboxed \
                       WebAssembly component. DataGenFlow's REST paths and shapes. Errors are \
                       `{\"error\", \"detail\"}`; with API_KEY set or a named key made, `/api` and \
                       `/metrics` need `Authorization: Bearer <key>`."
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
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::delete))
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
        .routes(routes!(openapi_json))
        .routes(routes!(metrics::metrics))
        .routes(routes!(prometheus::metrics))
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
        .merge(
            // The seed file is spooled to disk and bounded by MAX_SEED_UPLOAD_BYTES there
            // (`seed_upload.rs`), not held in memory under the body limit.
            OpenApiRouter::new()
                .routes(routes!(jobs::generate))
                .layer(DefaultBodyLimit::disable()),
        )
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
    description.info.version = env!("CARGO_PKG_VERSION").to_owned();
    documented_rejections::add(&mut description);
    operation_ids::assign(&mut description);
    (routes, description)
}

/// The OpenAPI description of the API (what `GET /openapi.json` answers, and `blockforge
/// openapi` prints).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// The API's routes, guarded and timed as `http` says (serve them with [`serve`] for the
/// connection limits).
pub fn router(state: AppState, http: &HttpSettings) -> Router {
    let (routes, description) = documented_routes();
    let routes = routes
        .layer(axum::Extension(Arc::new(description)))
        .fallback(web_ui::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            reload_models,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
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
        .layer(axum::middleware::from_fn(prometheus::count_requests))
        .with_state(state);
    browser::security_headers(routes)
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

/// `GET /health`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `healthy` (DataGenFlow's word).
    pub status: &'static str,
}

/// Whether the server answers: DataGenFlow's `{"status": "healthy"}`.
#[utoipa::path(get, path = "/health", tag = "system", security(), responses((status = 200, description = "`{\"status\": \"healthy\"}`", body = Health)))]
async fn health() -> axum::Json<Health> {
    axum::Json(Health { status: "healthy" })
}

/// This description: every route with its parameters, bodies and answers (public, as
/// `/health`; `blockforge openapi` prints the same).
#[utoipa::path(get, path = "/openapi.json", tag = "system", security(), responses((status = 200, description = "The OpenAPI 3.1 description of this API", body = Object)))]
async fn openapi_json(
    axum::Extension(description): axum::Extension<Arc<utoipa::openapi::OpenApi>>,
) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(description.as_ref().clone())
}
