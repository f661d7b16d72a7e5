//! `/api/llm-models[...]` and `/api/embedding-models[...]`: DataGenFlow's model registry
//! (`{name, provider, endpoint, api_key, model_name}`, plus `dimensions` for embedding models).
//!
//! API keys are stored but never answered in clear: responses carry `api_key` masked
//! (`****` and the last four characters of a key longer than eight, `""` when none) and
//! `api_key_set`. An update that omits `api_key` or sends back the masked value keeps the
//! stored key; `""` clears it.
//!
//! Each model may carry limits of its own (`max_concurrency`, `rpm`, `tpm`; `null` is the
//! default from `LLM_MAX_CONCURRENCY`, `LLM_RPM`, `LLM_TPM`), shared by every job and block
//! that calls it.

use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::deleted::Deleted;
use super::{ApiError, AppState};
use crate::llm::providers::PROVIDER_NAMES as PROVIDERS;
use crate::llm::{ChatMessage, ChatRequest, EmbedRequest, LlmErrorKind, LlmGateway, Role};
use crate::store::models::{ModelFields, ModelKind, ModelLimitColumns, ModelRow};

/// Largest limit accepted for `max_concurrency`.
const MAX_CONCURRENCY: i64 = 10_000;

/// Longest name, as in DataGenFlow.
const MAX_NAME_CHARS: usize = 100;

/// Time allowed for a connection test.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A create, update or test body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ModelInput {
    /// Unique name (required on create; on update, when given, it renames).
    #[serde(default)]
    name: Option<String>,
    /// `openai`, `anthropic`, `gemini` or `ollama`.
    #[serde(default)]
    provider: Option<String>,
    /// Base URL (empty: the provider's usual one).
    #[serde(default)]
    endpoint: Option<String>,
    /// Bearer key; omitted or masked keeps the stored one on update.
    #[serde(default)]
    api_key: Option<String>,
    /// The provider's model identifier.
    #[serde(default)]
    model_name: Option<String>,
    /// Vector size (embedding models; 0 unknown).
    #[serde(default)]
    dimensions: Option<i64>,
    /// Make it the default of its kind.
    #[serde(default)]
    is_default: Option<bool>,
    /// Requests in flight at once; `null` for the default, omitted keeps the current value.
    #[serde(default, deserialize_with = "present")]
    max_concurrency: Option<Option<i64>>,
    /// Requests per minute; `null` for the default (unlimited unless `LLM_RPM`).
    #[serde(default, deserialize_with = "present")]
    rpm: Option<Option<i64>>,
    /// Tokens per minute; `null` for the default (unlimited unless `LLM_TPM`).
    #[serde(default, deserialize_with = "present")]
    tpm: Option<Option<i64>>,
}

/// A field that is present, even as `null` (`Some(None)`); absent stays `None` by `default`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `****` and the last four characters of a long key; `****` alone for a short one (its last
/// four characters would be most of it); `""` when there is no key.
pub fn mask_key(key: &str) -> String {
    let chars = key.chars().count();
    if chars == 0 {
        return String::new();
    }
    if chars <= 8 {
        return "****".to_owned();
    }
    let tail: String = key.chars().skip(chars - 4).collect();
    format!("****{tail}")
}

/// [`ModelView::provider`]'s schema.
fn provider_schema() -> utoipa::openapi::Object {
    crate::json::text_choices(&PROVIDERS)
}

/// A registered model as the API shows it: key masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelView {
    /// Unique name.
    pub name: String,
    /// `openai`, `anthropic`, `gemini` or `ollama`.
    #[schema(schema_with = provider_schema)]
    pub provider: String,
    /// Base URL (empty: the provider's usual one).
    pub endpoint: String,
    /// The key masked: `****` and its last four characters (`****` alone for a short one),
    /// `""` when none.
    pub api_key: String,
    /// Whether a key is stored.
    pub api_key_set: bool,
    /// The provider's model identifier.
    pub model_name: String,
    /// Requests in flight at once; null for the default (`LLM_MAX_CONCURRENCY`).
    pub max_concurrency: Option<i64>,
    /// Requests per minute; null for the default (`LLM_RPM`).
    pub rpm: Option<i64>,
    /// Tokens per minute; null for the default (`LLM_TPM`).
    pub tpm: Option<i64>,
    /// Whether it is its kind's default.
    pub is_default: bool,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Vector size, 0 when unknown: embedding models only (absent for LLMs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<i64>,
}

/// A model saved or changed, with DataGenFlow's `message` beside its fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelSaved {
    /// The model, key masked.
    #[serde(flatten)]
    pub model: ModelView,
    /// What happened.
    pub message: String,
}

/// A connection test's outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionTest {
    /// Whether the model answered as expected.
    pub success: bool,
    /// What happened (the failure's reason when it failed).
    pub message: String,
    /// Time to the answer in ms; -1 when no answer came.
    pub latency_ms: i64,
}

/// A model as the API shows it: key masked.
fn shown(row: &ModelRow) -> ModelView {
    ModelView {
        name: row.name.clone(),
        provider: row.provider.clone(),
        endpoint: row.endpoint.clone(),
        api_key: mask_key(&row.api_key),
        api_key_set: !row.api_key.is_empty(),
        model_name: row.model_name.clone(),
        max_concurrency: row.limits.max_concurrency,
        rpm: row.limits.rpm,
        tpm: row.limits.tpm,
        is_default: row.is_default,
        created_at: row.created_at,
        updated_at: row.updated_at,
        dimensions: (row.kind == ModelKind::Embedding).then_some(row.dimensions),
    }
}

fn unprocessable(message: impl Into<String>, detail: Value) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message, detail)
}

/// The key to use: `given`, or the stored one when `given` is omitted or is its masked form.
/// A stored key is only ever sent to the base URL it was given for: keeping it while the
/// effective endpoint changes is refused, so a masked key cannot be redirected elsewhere.
fn resolve_key(
    given: Option<&str>,
    stored: Option<&ModelRow>,
    provider: &str,
    endpoint: &str,
) -> Result<String, ApiError> {
    let Some(stored) = stored.filter(|row| !row.api_key.is_empty()) else {
        return Ok(given.unwrap_or_default().to_owned());
    };
    let keeps = match given {
        None => true,
        Some(given) => given == mask_key(&stored.api_key),
    };
    if !keeps {
        return Ok(given.unwrap_or_default().to_owned());
    }
    let before = base_url(&stored.provider, &stored.endpoint);
    let after = base_url(provider, endpoint);
    if before != after {
        return Err(unprocessable(
            "the stored api_key is only sent to the endpoint it was given for: send api_key again to change the endpoint",
            json!({"field": "api_key", "stored_endpoint": before, "endpoint": after}),
        ));
    }
    Ok(stored.api_key.clone())
}

/// Checks a body. `current` is the stored model on update: missing fields keep its values.
fn fields(
    kind: ModelKind,
    input: &ModelInput,
    current: Option<&ModelRow>,
) -> Result<ModelFields, ApiError> {
    let name = input
        .name
        .clone()
        .or_else(|| current.map(|c| c.name.clone()))
        .unwrap_or_default();
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(unprocessable(
            format!("name must have 1 to {MAX_NAME_CHARS} characters"),
            json!({"field": "name"}),
        ));
    }
    // The name is a path segment of `/api/.../{name}`: a '/' would make it unreachable there.
    if let Some(bad) = name.chars().find(|c| *c == '/' || c.is_control()) {
        return Err(unprocessable(
            format!("name must not contain '/' or control characters (found {bad:?})"),
            json!({"field": "name", "name": name}),
        ));
    }
    let provider = input
        .provider
        .clone()
        .or_else(|| current.map(|c| c.provider.clone()))
        .unwrap_or_else(|| "openai".to_owned());
    if !PROVIDERS.contains(&provider.as_str()) {
        return Err(unprocessable(
            format!("unknown provider {provider:?}"),
            json!({"field": "provider", "allowed": PROVIDERS}),
        ));
    }
    let model_name = input
        .model_name
        .clone()
        .or_else(|| current.map(|c| c.model_name.clone()))
        .unwrap_or_default();
    if model_name.trim().is_empty() {
        return Err(unprocessable(
            "model_name is required",
            json!({"field": "model_name"}),
        ));
    }
    let dimensions = match kind {
        ModelKind::Llm => 0,
        ModelKind::Embedding => input
            .dimensions
            .or_else(|| current.map(|c| c.dimensions))
            .unwrap_or(0),
    };
    if dimensions < 0 {
        return Err(unprocessable(
            "dimensions must be 0 (unknown) or positive",
            json!({"field": "dimensions", "value": dimensions}),
        ));
    }
    let endpoint = input
        .endpoint
        .clone()
        .or_else(|| current.map(|c| c.endpoint.clone()))
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !endpoint.is_empty() && reqwest::Url::parse(&endpoint).is_err() {
        return Err(unprocessable(
            format!("endpoint {endpoint:?} is not a URL"),
            json!({"field": "endpoint"}),
        ));
    }
    if kind == ModelKind::Embedding && provider == "anthropic" {
        return Err(unprocessable(
            "Anthropic has no embeddings API: choose another provider for an embedding model",
            json!({"field": "provider", "allowed": ["openai", "gemini", "ollama"]}),
        ));
    }
    let limits = limits(input, current.map(|c| c.limits).unwrap_or_default())?;
    let api_key = resolve_key(input.api_key.as_deref(), current, &provider, &endpoint)?;
    Ok(ModelFields {
        name,
        provider,
        endpoint,
        api_key,
        model_name,
        dimensions,
        limits,
    })
}

/// The limits of a body: each given value (or `null`) replaces the `current` one.
fn limits(input: &ModelInput, current: ModelLimitColumns) -> Result<ModelLimitColumns, ApiError> {
    let check = |field: &'static str, given: Option<Option<i64>>, kept: Option<i64>, max: i64| {
        let value = given.unwrap_or(kept);
        match value {
            Some(v) if v < 1 || v > max => Err(unprocessable(
                format!("{field} must be between 1 and {max}, or null for the default"),
                json!({"field": field, "value": v}),
            )),
            _ => Ok(value),
        }
    };
    Ok(ModelLimitColumns {
        max_concurrency: check(
            "max_concurrency",
            input.max_concurrency,
            current.max_concurrency,
            MAX_CONCURRENCY,
        )?,
        rpm: check("rpm", input.rpm, current.rpm, i64::from(u32::MAX))?,
        tpm: check("tpm", input.tpm, current.tpm, i64::MAX)?,
    })
}

/// Every model of `kind`, keys masked.
pub async fn list(state: AppState, kind: ModelKind) -> Result<Json<Vec<ModelView>>, ApiError> {
    let rows = state.store.models(kind).await?;
    Ok(Json(rows.iter().map(shown).collect()))
}

/// One model.
pub async fn get(
    state: AppState,
    kind: ModelKind,
    name: String,
) -> Result<Json<ModelView>, ApiError> {
    Ok(Json(shown(&state.store.model(kind, &name).await?)))
}

/// `shown` with DataGenFlow's `message` beside the model's fields.
fn with_message(model: ModelView, message: String) -> ModelSaved {
    ModelSaved { model, message }
}

/// Saves a new model (200 with `message`, as DataGenFlow answers); 409 when the name is taken.
pub async fn create(
    state: AppState,
    kind: ModelKind,
    input: ModelInput,
) -> Result<Json<ModelSaved>, ApiError> {
    let fields = fields(kind, &input, None)?;
    let row = state
        .store
        .create_model(kind, &fields, input.is_default.unwrap_or(false))
        .await?;
    Ok(Json(with_message(
        shown(&row),
        format!("{} saved", kind.label()),
    )))
}

/// Changes a model; omitted fields keep their values, and so does an omitted or masked key.
pub async fn update(
    state: AppState,
    kind: ModelKind,
    name: String,
    input: ModelInput,
) -> Result<Json<ModelSaved>, ApiError> {
    let current = state.store.model(kind, &name).await?;
    let fields = fields(kind, &input, Some(&current))?;
    let mut row = state.store.update_model(kind, &name, &fields).await?;
    if input.is_default == Some(true) && !row.is_default {
        row = state.store.set_default_model(kind, &row.name).await?;
    }
    Ok(Json(with_message(
        shown(&row),
        format!("{} updated", kind.label()),
    )))
}

/// Deletes a model.
pub async fn delete(
    state: AppState,
    kind: ModelKind,
    name: String,
) -> Result<Json<Deleted>, ApiError> {
    state.store.delete_model(kind, &name).await?;
    Ok(Json(Deleted {
        message: format!("{} deleted", kind.label()),
        name,
    }))
}

/// Makes a model its kind's only default.
pub async fn set_default(
    state: AppState,
    kind: ModelKind,
    name: String,
) -> Result<Json<ModelView>, ApiError> {
    Ok(Json(shown(
        &state.store.set_default_model(kind, &name).await?,
    )))
}

/// The base URL a config's requests go to, as the model router and the connection test send
/// them (the endpoint normalised for the provider's API, or the provider's usual one).
fn base_url(provider: &str, endpoint: &str) -> String {
    crate::llm::routing::base_url(provider, endpoint)
}

/// Tests a connection: the body is a model config, or `{"name"}` of a saved one. A config
/// whose name is saved and whose key is omitted or masked uses the saved key. Sends one
/// minimal request and answers `{success, message, latency_ms}`; a failure is `success: false`
/// with the reason (`latency_ms` is -1 when no answer came).
pub async fn test(
    state: AppState,
    kind: ModelKind,
    input: ModelInput,
) -> Result<Json<ConnectionTest>, ApiError> {
    let stored = match input.name.as_deref() {
        Some(name) => state.store.find_model(kind, name).await?,
        None => None,
    };
    let fields = if input.model_name.is_none() && input.provider.is_none() {
        // Only a name: test the saved model as it is.
        let Some(row) = stored.as_ref() else {
            let name = input.name.unwrap_or_default();
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{} {name:?} not found", kind.label()),
                json!({"kind": kind.label(), "name": name}),
            ));
        };
        fields(kind, &ModelInput::keep_all(), Some(row))?
    } else {
        let mut fields = fields(kind, &input, None)?;
        fields.api_key = resolve_key(
            input.api_key.as_deref(),
            stored.as_ref(),
            &fields.provider,
            &fields.endpoint,
        )?;
        fields
    };
    Ok(Json(probe(&state, kind, &fields).await))
}

impl ModelInput {
    /// A body that changes nothing.
    fn keep_all() -> Self {
        ModelInput {
            name: None,
            provider: None,
            endpoint: None,
            api_key: None,
            model_name: None,
            dimensions: None,
            is_default: None,
            max_concurrency: None,
            rpm: None,
            tpm: None,
        }
    }
}

/// Sends the one request of a connection test, through the provider client blocks use
/// (its request shapes, headers and answer parsing), without retries.
async fn probe(state: &AppState, kind: ModelKind, fields: &ModelFields) -> ConnectionTest {
    let failed = |message: String, latency_ms: i64| ConnectionTest {
        success: false,
        message,
        latency_ms,
    };
    let config = ModelRow {
        kind,
        name: fields.name.clone(),
        provider: fields.provider.clone(),
        endpoint: fields.endpoint.clone(),
        api_key: fields.api_key.clone(),
        model_name: fields.model_name.clone(),
        dimensions: fields.dimensions,
        limits: fields.limits,
        is_default: false,
        created_at: 0,
        updated_at: 0,
    };
    let client = state.models.unregistered_client(&config, TEST_TIMEOUT);
    let started = Instant::now();
    let answer = match kind {
        ModelKind::Llm => client
            .chat(ChatRequest {
                messages: vec![ChatMessage {
                    role: Role::User,
                    content: "ping".to_owned(),
                }],
                max_tokens: Some(1),
                ..ChatRequest::default()
            })
            .await
            .map(|_| None),
        ModelKind::Embedding => client
            .embed(EmbedRequest {
                model: None,
                inputs: vec!["ping".to_owned()],
            })
            .await
            .map(|answer| answer.vectors.first().map(Vec::len)),
    };
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let size = match answer {
        Ok(size) => size,
        Err(e) => {
            // A request that got no answer (connection refused, timeout) has no latency.
            let answered = !matches!(e.kind, LlmErrorKind::Timeout)
                && !e.message.starts_with(crate::llm::transport::NO_ANSWER);
            return failed(e.message, if answered { latency_ms } else { -1 });
        }
    };
    if let Some(size) = size
        && fields.dimensions > 0
        && size as i64 != fields.dimensions
    {
        return failed(
            format!(
                "{} answered a vector of {size} dimensions, the model says {}",
                fields.model_name, fields.dimensions
            ),
            latency_ms,
        );
    }
    ConnectionTest {
        success: true,
        message: format!("{} answered in {latency_ms} ms", fields.model_name),
        latency_ms,
    }
}

/// Handlers bound to one kind, for the router, each with its OpenAPI description. The paths
/// are given as literals (`utoipa::path` takes no expressions): the collection, one model, its
/// `default` action and the connection test.
macro_rules! kind_handlers {
    ($module:ident, $kind:expr, $tag:tt, $collection:tt, $item:tt, $default:tt, $test:tt) => {
        /// The handlers of one registry.
        pub mod $module {
            use axum::Json;
            use axum::extract::{Path, State};
            use super::{ApiError, AppState, ConnectionTest, ModelInput, ModelSaved, ModelView};
            use crate::api::deleted::Deleted;
            use crate::api::error::ErrorBody;
            use crate::store::models::ModelKind;

            /// Every model, keys masked.
            #[utoipa::path(get, path = $collection, tag = $tag, responses((status = 200, description = "Every model: `{name, provider, endpoint, api_key (masked), api_key_set, model_name, is_default, created_at, updated_at}`", body = Vec<ModelView>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
            pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ModelView>>, ApiError> {
                super::list(state, $kind).await
            }

            /// One model.
            #[utoipa::path(get, path = $item, tag = $tag, params(("name" = String, Path, description = "Model name")), responses((status = 200, description = "The model, key masked", body = ModelView), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn get(
                State(state): State<AppState>,
                Path(name): Path<String>,
            ) -> Result<Json<ModelView>, ApiError> {
                super::get(state, $kind, name).await
            }

            /// Saves a new model.
            #[utoipa::path(post, path = $collection, tag = $tag, request_body = ModelInput, responses((status = 200, description = "Saved: the model, key masked, with `message`", body = ModelSaved), (status = 409, description = "The name is taken", body = ErrorBody), (status = 422, description = "A field is invalid (named in `detail.field`)", body = ErrorBody)))]
            pub async fn create(
                State(state): State<AppState>,
                Json(input): Json<ModelInput>,
            ) -> Result<Json<ModelSaved>, ApiError> {
                super::create(state, $kind, input).await
            }

            /// Changes a model.
            #[utoipa::path(put, path = $item, tag = $tag, params(("name" = String, Path, description = "Model name")), request_body = ModelInput, responses((status = 200, description = "Changed (with `message`); omitted fields and an omitted or masked key are kept", body = ModelSaved), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
            pub async fn update(
                State(state): State<AppState>,
                Path(name): Path<String>,
                Json(input): Json<ModelInput>,
            ) -> Result<Json<ModelSaved>, ApiError> {
                super::update(state, $kind, name, input).await
            }

            /// Deletes a model.
            #[utoipa::path(delete, path = $item, tag = $tag, params(("name" = String, Path, description = "Model name")), responses((status = 200, description = "`{message, name}`", body = Deleted), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn delete(
                State(state): State<AppState>,
                Path(name): Path<String>,
            ) -> Result<Json<Deleted>, ApiError> {
                super::delete(state, $kind, name).await
            }

            /// Makes a model the default.
            #[utoipa::path(put, path = $default, tag = $tag, params(("name" = String, Path, description = "Model name")), responses((status = 200, description = "The model, now the only default of its kind", body = ModelView), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn set_default(
                State(state): State<AppState>,
                Path(name): Path<String>,
            ) -> Result<Json<ModelView>, ApiError> {
                super::set_default(state, $kind, name).await
            }

            // `POST .../test` is a static path, so the other methods on it would not reach the
            // `{name}` routes: these serve a model that is named `test`.

            /// The model named `test`.
            #[utoipa::path(get, path = $test, tag = $tag, responses((status = 200, description = "The model named `test`", body = ModelView), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn get_test(State(state): State<AppState>) -> Result<Json<ModelView>, ApiError> {
                super::get(state, $kind, "test".to_owned()).await
            }

            /// Changes the model named `test`.
            #[utoipa::path(put, path = $test, tag = $tag, request_body = ModelInput, responses((status = 200, description = "The model named `test`, changed", body = ModelSaved), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn update_test(
                State(state): State<AppState>,
                Json(input): Json<ModelInput>,
            ) -> Result<Json<ModelSaved>, ApiError> {
                super::update(state, $kind, "test".to_owned(), input).await
            }

            /// Deletes the model named `test`.
            #[utoipa::path(delete, path = $test, tag = $tag, responses((status = 200, description = "`{message, name}`", body = Deleted), (status = 404, description = "Not found", body = ErrorBody)))]
            pub async fn delete_test(
                State(state): State<AppState>,
            ) -> Result<Json<Deleted>, ApiError> {
                super::delete(state, $kind, "test".to_owned()).await
            }

            /// Tests a connection.
            #[utoipa::path(post, path = $test, tag = $tag, request_body(content = ModelInput, description = "A model config, or `{name}` of a saved one (its stored key is used)"), responses((status = 200, description = "`{success, message, latency_ms}` (`latency_ms` -1 when no answer came)", body = ConnectionTest), (status = 404, description = "No saved model of that name", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
            pub async fn test(
                State(state): State<AppState>,
                Json(input): Json<ModelInput>,
            ) -> Result<Json<ConnectionTest>, ApiError> {
                super::test(state, $kind, input).await
            }
        }
    };
}

kind_handlers!(
    llm,
    ModelKind::Llm,
    "llm-models",
    "/api/llm-models",
    "/api/llm-models/{name}",
    "/api/llm-models/{name}/default",
    "/api/llm-models/test"
);
kind_handlers!(
    embedding,
    ModelKind::Embedding,
    "embedding-models",
    "/api/embedding-models",
    "/api/embedding-models/{name}",
    "/api/embedding-models/{name}/default",
    "/api/embedding-models/test"
);
