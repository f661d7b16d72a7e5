//! `GET` and `PUT /api/settings`: server-wide settings kept in the database, so every server
//! and worker on it sees the same. Each known key has a default and a check; only known keys
//! with valid values are stored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::error::ErrorBody;
use super::{ApiError, AppState};

/// A setting: its key, what it does, its default and what it accepts.
struct Setting {
    key: &'static str,
    default: fn() -> Value,
    /// Its JSON Schema in the OpenAPI description (what `check` accepts, and the default).
    schema: fn() -> Schema,
    /// `Err` says what the value must be.
    check: fn(&Value) -> Result<(), &'static str>,
}

/// Every setting, in the order `GET` lists them.
const SETTINGS: &[Setting] = &[Setting {
    // Runs a job executes at once when `POST /api/generate` names no `concurrency`.
    key: "default_concurrency",
    default: || json!(DEFAULT_CONCURRENCY),
    schema: || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(1024))
            .default(Some(json!(DEFAULT_CONCURRENCY)))
            .description(Some(
                "Runs a job executes at once when POST /api/generate names no `concurrency`",
            ))
            .into()
    },
    check: |value| match value.as_u64() {
        Some(n) if (1..=1024).contains(&n) => Ok(()),
        _ => Err("an integer from 1 to 1024"),
    },
}];

/// `default_concurrency` when it was never set.
const DEFAULT_CONCURRENCY: u64 = 16;

/// Every setting with its value: one key per known setting, described from the settings table
/// (so a new setting is in the OpenAPI description as soon as it is in the table).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Settings(pub Map<String, Value>);

impl utoipa::PartialSchema for Settings {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Every setting with its value (the default when never set)",
            ));
        for setting in SETTINGS {
            object = object
                .property(setting.key, (setting.schema)())
                .required(setting.key);
        }
        object.into()
    }
}

impl utoipa::ToSchema for Settings {
    fn name() -> std::borrow::Cow<'static, str> {
        "Settings".into()
    }
}

/// Every setting: the stored value, or the default.
pub async fn current(state: &AppState) -> Result<Settings, ApiError> {
    let mut stored = state.store.settings().await?;
    Ok(Settings(
        SETTINGS
            .iter()
            .map(|setting| {
                // A stored value that no longer passes its check (an older server's) reads as
                // the default rather than breaking the jobs that use it.
                let value = stored
                    .remove(setting.key)
                    .filter(|value| (setting.check)(value).is_ok())
                    .unwrap_or_else(setting.default);
                (setting.key.to_owned(), value)
            })
            .collect(),
    ))
}

/// The `default_concurrency` setting: runs a job executes at once when it names none.
pub async fn default_concurrency(state: &AppState) -> Result<u64, ApiError> {
    Ok(current(state).await?.0["default_concurrency"]
        .as_u64()
        .unwrap_or(DEFAULT_CONCURRENCY))
}

/// Every setting with its value (the default when never set).
#[utoipa::path(get, path = "/api/settings", tag = "settings", responses((status = 200, description = "`{default_concurrency}`: runs a job executes at once when POST /api/generate names none (1 to 1024, default 16)", body = Settings), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn get(State(state): State<AppState>) -> Result<Json<Settings>, ApiError> {
    Ok(Json(current(&state).await?))
}

/// Changes the settings the body names; the others keep their values. Nothing is stored
/// unless every key is known and every value valid.
#[utoipa::path(put, path = "/api/settings", tag = "settings", request_body(content = Value, description = "An object of settings to change, e.g. `{\"default_concurrency\": 32}`"), responses((status = 200, description = "Every setting after the change", body = Settings), (status = 422, description = "An unknown key or an invalid value (named in `detail`)", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Json<Settings>, ApiError> {
    let Value::Object(changes) = body else {
        return Err(unprocessable(
            "settings must be a JSON object",
            json!({"allowed": keys()}),
        ));
    };
    for (key, value) in &changes {
        let Some(setting) = SETTINGS.iter().find(|s| s.key == key) else {
            return Err(unprocessable(
                format!("unknown setting {key:?}"),
                json!({"field": key, "allowed": keys()}),
            ));
        };
        if let Err(expected) = (setting.check)(value) {
            return Err(unprocessable(
                format!("{key} must be {expected}"),
                json!({"field": key, "value": value}),
            ));
        }
    }
    state.store.put_settings(&changes).await?;
    Ok(Json(current(&state).await?))
}

fn keys() -> Vec<&'static str> {
    SETTINGS.iter().map(|s| s.key).collect()
}

fn unprocessable(message: impl Into<String>, detail: Value) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message, detail)
}
