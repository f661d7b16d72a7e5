//! `/api/settings/api-keys`: named API keys, read-only or read-write. A key is shown once, in
//! the answer that makes it; afterwards only its name, first characters and access are.
//! Once a key exists (or `API_KEY` is set) every `/api` request needs one ([`super::access`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ErrorBody;
use super::key_ring::{Access, ENV_KEY_NAME, hash, new_key};
use super::{ApiError, AppState};
use crate::store::api_keys::ApiKeyRow;

/// Longest key name.
const MAX_NAME_CHARS: usize = 100;

/// Characters of a key kept to tell keys apart (`bf_` and 8 hex digits).
const PREFIX_CHARS: usize = 11;

/// A stored key as listed (never the key itself).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// `read-only` or `read-write`.
    #[schema(schema_with = access_schema)]
    pub access: String,
    /// When it was made (ms since the epoch).
    pub created_at: i64,
}

/// [`ApiKeyView::access`]'s schema.
fn access_schema() -> utoipa::openapi::Object {
    crate::json::text_choices(&[Access::ReadOnly.as_str(), Access::ReadWrite.as_str()])
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyView {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            access: row.access,
            created_at: row.created_at,
        }
    }
}

/// A key just made: the only answer that shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyCreated {
    /// The stored key.
    #[serde(flatten)]
    pub stored: ApiKeyView,
    /// The key, to send as `Authorization: Bearer <key>`; not shown again.
    pub key: String,
}

/// What a new key is called and may do.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// A name to tell it by (unique, 1 to 100 characters).
    pub name: String,
    /// `read-only` (the default) or `read-write`.
    #[serde(default)]
    pub access: Option<String>,
}

/// The answer of a delete.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyDeleted {
    /// What happened.
    pub message: String,
    /// The key deleted.
    pub id: i64,
}

fn unprocessable(message: impl Into<String>, detail: serde_json::Value) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message, detail)
}

/// Every named key, oldest first (the `API_KEY` of the environment is not listed).
#[utoipa::path(get, path = "/api/settings/api-keys", tag = "settings", responses((status = 200, description = "The named keys, without the keys", body = Vec<ApiKeyView>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    let rows = state.store.api_keys().await?;
    Ok(Json(rows.into_iter().map(ApiKeyView::from).collect()))
}

/// Makes a key and shows it, once. From then on every `/api` request needs a key.
#[utoipa::path(post, path = "/api/settings/api-keys", tag = "settings", request_body = NewApiKey, responses((status = 201, description = "The key made, with `key` shown this once", body = ApiKeyCreated), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 403, description = "A read-only key", body = ErrorBody), (status = 409, description = "The name is taken", body = ErrorBody), (status = 422, description = "A bad name or access", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<NewApiKey>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name == ENV_KEY_NAME {
        return Err(unprocessable(
            format!("a key's name must be 1 to {MAX_NAME_CHARS} characters, not {ENV_KEY_NAME}"),
            json!({"field": "name", "value": body.name}),
        ));
    }
    let access_text = body.access.as_deref().unwrap_or("read-only");
    let Some(access) = Access::parse(access_text) else {
        return Err(unprocessable(
            format!("access must be read-only or read-write, not {access_text:?}"),
            json!({"field": "access", "allowed": ["read-only", "read-write"]}),
        ));
    };
    let key = new_key();
    let prefix: String = key.chars().take(PREFIX_CHARS).collect();
    let row = state
        .store
        .create_api_key(name, &hash(&key), &prefix, access.as_str())
        .await?;
    state.gate.keys.forget();
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            stored: row.into(),
            key,
        }),
    ))
}

/// Deletes a key: requests with it are refused from now on.
#[utoipa::path(delete, path = "/api/settings/api-keys/{id}", tag = "settings", params(("id" = i64, Path, description = "Key id")), responses((status = 200, description = "Deleted", body = ApiKeyDeleted), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 403, description = "A read-only key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ApiKeyDeleted>, ApiError> {
    state.store.delete_api_key(id).await?;
    state.gate.keys.forget();
    Ok(Json(ApiKeyDeleted {
        message: "API key deleted".to_owned(),
        id,
    }))
}
