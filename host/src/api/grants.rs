//! `GET/PUT /api/plugins/{name}/grants`: what the operator grants a plugin (a plugin file's
//! stem or a builtin's crate name; `?kind=builtin` or `?kind=plugin` picks one, and a bare name
//! both carry is refused with 409). A change is stored in the database, so every server and worker uses it from its
//! next job start on, without a restart.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::grants::{CallLimits, Grant, GrantError, GrantSet, PluginId, PluginKind};
use crate::registry::PluginLookupError;

/// Which plugin a name means when a plugin file and a builtin share it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KindQuery {
    /// `plugin` or `builtin`; required when a plugin file and a builtin share the name.
    kind: Option<PluginKind>,
}

/// The plugin `name` means: 404 when none, 409 when a bare name is both a plugin file and a
/// builtin.
fn resolve(state: &AppState, name: &str, kind: Option<PluginKind>) -> Result<PluginId, ApiError> {
    state.registry.plugin_id(name, kind).map_err(|e| match e {
        PluginLookupError::NotFound { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            e.to_string(),
            json!({
                "name": name,
                "kind": kind,
                "hint": "a plugin file's name without .wasm, or a builtin's crate name (GET /api/plugins, GET /api/blocks)",
            }),
        ),
        PluginLookupError::Ambiguous { .. } => ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "{name:?} names both a plugin file and a builtin: pass ?kind=plugin or ?kind=builtin"
            ),
            json!({
                "name": name,
                "kinds": ["plugin", "builtin"],
                "hint": "pass ?kind=plugin or ?kind=builtin to say which",
            }),
        ),
    })
}

/// A server's call limits in a grant's units (bytes, milliseconds, keys).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LimitValues {
    /// Linear memory, bytes.
    pub memory_bytes: u64,
    /// Guest CPU time, ms.
    pub cpu_time_ms: u64,
    /// Wall clock, ms.
    pub wall_clock_ms: u64,
    /// Output size, bytes.
    pub output_bytes: u64,
    /// Keys in one `kv` namespace.
    pub kv_max_keys: u64,
    /// Bytes in one `kv` namespace.
    pub kv_max_bytes: u64,
}

/// What a call gets when its grant sets no limit, and the most a grant may give.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerLimits {
    /// The limits of a grant that sets none.
    pub default: LimitValues,
    /// The most a grant may give.
    pub maximum: LimitValues,
}

/// A plugin's grant as both routes answer it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginGrants {
    /// The plugin's name (file stem or crate name).
    pub plugin: String,
    /// `plugin` or `builtin`.
    pub kind: PluginKind,
    /// Whether the operator stored a grant (else the plugin runs with `default`).
    pub stored: bool,
    /// The grant in force.
    pub grant: Grant,
    /// The grant of a plugin of this kind with none stored.
    pub default: Grant,
    /// What its block declares; null when no loaded block is the plugin's.
    pub declared: Option<Vec<crate::runtime::Capability>>,
    /// This server's limits.
    pub server_limits: ServerLimits,
}

/// `limits` in a grant's units (bytes, milliseconds, keys).
fn in_grant_units(limits: &CallLimits) -> LimitValues {
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    LimitValues {
        memory_bytes: limits.memory_bytes as u64,
        cpu_time_ms: ms(limits.cpu_time),
        wall_clock_ms: ms(limits.wall_clock),
        output_bytes: limits.output_bytes as u64,
        kv_max_keys: limits.kv_max_keys,
        kv_max_bytes: limits.kv_max_bytes,
    }
}

/// The answer of both routes: the plugin, whether its grant is stored or its default, the
/// grant, what its block declares, and this server's limits (what a call gets when the grant
/// sets none, and the most a grant may give).
fn shape(state: &AppState, plugin: &PluginId, grants: &GrantSet) -> PluginGrants {
    let bounds = state.registry.runtime().limit_bounds();
    let declared = state
        .registry
        .list()
        .into_iter()
        .find(|b| b.block.plugin == *plugin)
        .map(|b| b.block.info.capabilities.clone());
    PluginGrants {
        plugin: plugin.name.clone(),
        kind: plugin.kind,
        stored: grants.is_stored(plugin),
        grant: grants.grant(plugin),
        default: Grant::default_for(plugin.kind, grants.user_default()),
        declared,
        server_limits: ServerLimits {
            default: in_grant_units(&bounds.defaults),
            maximum: in_grant_units(&bounds.maxima),
        },
    }
}

/// The 422 of a grant that cannot be stored: why, and for a limit above its maximum, the
/// numbers and the setting.
fn refused(plugin: &PluginId, e: GrantError) -> ApiError {
    let mut detail = json!({"plugin": plugin.name, "message": e.to_string()});
    let error = match &e {
        GrantError::AboveMaximum {
            name,
            requested,
            maximum,
            setting,
        } => {
            detail["limit"] = json!(name);
            detail["requested"] = json!(requested);
            detail["maximum"] = json!(maximum);
            detail["setting"] = json!(setting);
            format!(
                "not a valid grant: {name} is above this server's maximum of {maximum} ({setting})"
            )
        }
        _ => "not a valid grant".to_owned(),
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error, detail)
}

/// A plugin's grant: stored, else its default.
#[utoipa::path(get, path = "/api/plugins/{name}/grants", tag = "plugins", params(("name" = String, Path, description = "A plugin file's stem or a builtin's crate name"), KindQuery), responses((status = 200, description = "`{plugin, kind, stored, grant, default, declared, server_limits}`; `grant` is `{capabilities, models, kv_quota, limits}`; `server_limits` is `{default, maximum}`, each `{memory_bytes, cpu_time_ms, wall_clock_ms, output_bytes, kv_max_keys, kv_max_bytes}`: what a call gets when the grant sets no limit, and the most a grant may give", body = PluginGrants), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such plugin", body = ErrorBody), (status = 409, description = "The name is both a plugin file and a builtin: pass `?kind=`", body = ErrorBody), (status = 500, description = "This plugin's stored grant is unreadable (`detail.problem`); it is denied everything until replaced", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<KindQuery>,
) -> Result<Json<PluginGrants>, ApiError> {
    let plugin = resolve(&state, &name, query.kind)?;
    let grants = state
        .store
        .grant_set(state.registry.runtime().user_grant())
        .await?;
    if let Some(problem) = grants.unreadable(&plugin) {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the stored grant of {} {:?} is unreadable: {problem}",
                plugin.kind.as_str(),
                plugin.name
            ),
            json!({
                "plugin": plugin.name,
                "kind": plugin.kind,
                "problem": problem,
                "applied": "nothing: the plugin is denied every capability and model until its grant is replaced",
                "hint": "PUT a new grant to replace the row",
            }),
        ));
    }
    Ok(Json(shape(&state, &plugin, &grants)))
}

/// Replaces a plugin's grant. A limit above this server's maximum is refused (422 naming the
/// limit, the maximum and its setting).
#[utoipa::path(put, path = "/api/plugins/{name}/grants", tag = "plugins", params(("name" = String, Path, description = "A plugin file's stem or a builtin's crate name"), KindQuery), request_body(content = Grant, description = "The whole grant, e.g. `{\"capabilities\": [\"llm\", \"log\", \"template\"], \"models\": [\"cheap-*\"], \"limits\": {\"memory_bytes\": 67108864}}`"), responses((status = 200, description = "Stored: the same shape as GET", body = PluginGrants), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such plugin", body = ErrorBody), (status = 409, description = "The name is both a plugin file and a builtin: pass `?kind=`", body = ErrorBody), (status = 422, description = "Not a valid grant (`detail.message` says why; a limit above this server's maximum adds `detail.limit`, `detail.requested`, `detail.maximum`, `detail.setting`)", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<KindQuery>,
    Json(body): Json<Value>,
) -> Result<Json<PluginGrants>, ApiError> {
    let plugin = resolve(&state, &name, query.kind)?;
    let bounds = state.registry.runtime().limit_bounds();
    let grant = Grant::from_json(body)
        .and_then(|grant| bounds.check(&grant).map(|()| grant))
        .map_err(|e| refused(&plugin, e))?;
    state.store.put_grant(&plugin, &grant).await?;
    let grants = state
        .store
        .grant_set(state.registry.runtime().user_grant())
        .await?;
    Ok(Json(shape(&state, &plugin, &grants)))
}
