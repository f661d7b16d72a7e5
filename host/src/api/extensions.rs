//! `/api/extensions/...`: DataGenFlow's extensions API, over blockforge's registry. A block
//! here is a WebAssembly component: it carries no Python dependencies, so a loaded block's
//! dependency list is empty and installing dependencies installs nothing; a plugin file that
//! failed to load is an unavailable block named by its file stem, with the reason.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::engine::templates;
use crate::registry::BlockSource;
use crate::runtime::{BlockInfo, BlockKind};

/// A block with DataGenFlow's extensibility keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtensionBlock {
    /// What the block says of itself (`type`, `name`, `description`, `category`, `inputs`,
    /// `outputs`, `config_schema`, `capabilities`, `kind`, `is_multiplier`); for an
    /// unavailable plugin, its file stem as `type` and name, and nothing else.
    #[serde(flatten)]
    pub info: BlockInfo,
    /// Always empty: a component needs nothing installed.
    pub dependencies: Vec<String>,
    /// `builtin` (embedded) or `user` (the plugins folder).
    pub source: &'static str,
    /// Whether it loaded.
    pub available: bool,
    /// Why it did not load.
    pub error: Option<String>,
}

/// Counts of blocks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlocksStatus {
    /// Every block, available or not.
    pub total: usize,
    /// Embedded blocks.
    pub builtin_blocks: usize,
    /// Always 0 (DataGenFlow's `custom` folder has no counterpart).
    pub custom_blocks: usize,
    /// Plugin files, loaded or not.
    pub user_blocks: usize,
    /// Loaded blocks.
    pub available: usize,
    /// Plugin files that failed to load.
    pub unavailable: usize,
}

/// Counts of templates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplatesStatus {
    /// Every template.
    pub total: usize,
    /// Templates shipped in the binary (all of them).
    pub builtin_templates: usize,
    /// Always 0: user templates are not supported.
    pub user_templates: usize,
}

/// `GET /api/extensions/status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtensionsStatus {
    /// Blocks.
    pub blocks: BlocksStatus,
    /// Templates.
    pub templates: TemplatesStatus,
}

/// A template with its source.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtensionTemplate {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it makes.
    pub description: String,
    /// Its example seeds.
    #[schema(value_type = serde_json::Value)]
    pub example_seed: Option<Value>,
    /// Always `builtin`.
    pub source: &'static str,
}

/// An answer with a status word and a message (reload, install).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtensionAction {
    /// `ok`.
    pub status: &'static str,
    /// What happened.
    pub message: String,
    /// Packages installed (always empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<Vec<String>>,
}

/// Every block: the loaded ones, then the plugin files that failed.
fn blocks(state: &AppState) -> Vec<ExtensionBlock> {
    let loaded = state
        .registry
        .list()
        .into_iter()
        .map(|registered| ExtensionBlock {
            info: registered.block.info.clone(),
            dependencies: Vec::new(),
            source: match registered.source {
                BlockSource::Builtin { .. } => "builtin",
                BlockSource::Plugin { .. } => "user",
            },
            available: true,
            error: None,
        });
    let failed = state.registry.failures().into_iter().map(|failure| {
        let stem = failure
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        ExtensionBlock {
            info: BlockInfo {
                type_name: stem.clone(),
                name: stem,
                description: String::new(),
                category: String::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                config_schema: json!({}),
                capabilities: Vec::new(),
                kind: BlockKind::Transform,
                is_multiplier: false,
            },
            dependencies: Vec::new(),
            source: "user",
            available: false,
            error: Some(failure.error),
        }
    });
    loaded.chain(failed).collect()
}

/// The block named `name`, or 404.
fn block(state: &AppState, name: &str) -> Result<ExtensionBlock, ApiError> {
    blocks(state)
        .into_iter()
        .find(|block| block.info.type_name == name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("block {name} not found"),
                json!({"block": name}),
            )
        })
}

/// The block `name`, loaded: 404 when unknown, 422 when its file failed to load.
fn loaded_block(state: &AppState, name: &str) -> Result<ExtensionBlock, ApiError> {
    let block = block(state, name)?;
    match &block.error {
        None => Ok(block),
        Some(error) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("block {name} failed to load"),
            json!({"block": name, "error": error}),
        )),
    }
}

/// How many blocks and templates there are, and how many blocks are available.
#[utoipa::path(get, path = "/api/extensions/status", tag = "extensions", responses((status = 200, description = "Counts", body = ExtensionsStatus), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn status(State(state): State<AppState>) -> Json<ExtensionsStatus> {
    let blocks = blocks(&state);
    let count = |keep: fn(&ExtensionBlock) -> bool| blocks.iter().filter(|b| keep(b)).count();
    let templates = templates::all().len();
    Json(ExtensionsStatus {
        blocks: BlocksStatus {
            total: blocks.len(),
            builtin_blocks: count(|b| b.source == "builtin"),
            custom_blocks: 0,
            user_blocks: count(|b| b.source == "user"),
            available: count(|b| b.available),
            unavailable: count(|b| !b.available),
        },
        templates: TemplatesStatus {
            total: templates,
            builtin_templates: templates,
            user_templates: 0,
        },
    })
}

/// Every block, available or not.
#[utoipa::path(get, path = "/api/extensions/blocks", tag = "extensions", responses((status = 200, description = "Every block", body = Vec<ExtensionBlock>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list_blocks(State(state): State<AppState>) -> Json<Vec<ExtensionBlock>> {
    Json(blocks(&state))
}

/// Every template.
#[utoipa::path(get, path = "/api/extensions/templates", tag = "extensions", responses((status = 200, description = "Every template", body = Vec<ExtensionTemplate>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list_templates() -> Json<Vec<ExtensionTemplate>> {
    Json(
        templates::all()
            .iter()
            .map(|t| ExtensionTemplate {
                id: t.id.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                example_seed: (!t.example_seed.is_null()).then(|| t.example_seed.clone()),
                source: "builtin",
            })
            .collect(),
    )
}

/// Rescans the plugins folder now (it is also watched).
#[utoipa::path(post, path = "/api/extensions/reload", tag = "extensions", responses((status = 200, description = "Rescanned", body = ExtensionAction), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 500, description = "The rescan ended abnormally", body = ErrorBody)))]
pub async fn reload(State(state): State<AppState>) -> Result<Json<ExtensionAction>, ApiError> {
    // In a task of its own, as an upload's rescan: a client that hangs up does not cancel the
    // rescan part-way.
    let rescan = {
        let (registry, dir) = (state.registry.clone(), state.plugins_dir.clone());
        tokio::spawn(async move { registry.sync_plugins_dir(&dir).await })
    };
    let changes = rescan.await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the rescan of the plugins folder ended abnormally",
            json!({"message": e.to_string()}),
        )
    })?;
    Ok(Json(ExtensionAction {
        status: "ok",
        message: format!(
            "plugins folder rescanned: {} added, {} replaced, {} removed",
            changes.added.len(),
            changes.replaced.len(),
            changes.removed.len()
        ),
        installed: None,
    }))
}

/// Whether a block is available: `{valid, block}`, or `{valid: false, block, error}` for a
/// plugin that failed to load.
#[utoipa::path(post, path = "/api/extensions/blocks/{name}/validate", tag = "extensions", params(("name" = String, Path, description = "Block type")), responses((status = 200, description = "`{valid, block, error?}`", body = BlockValidation), (status = 404, description = "No such block", body = ErrorBody)))]
pub async fn validate(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<BlockValidation>, ApiError> {
    let block = block(&state, &name)?;
    Ok(Json(BlockValidation {
        valid: block.error.is_none(),
        block: name,
        error: block.error,
    }))
}

/// Whether a block is available.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockValidation {
    /// Whether it loaded.
    pub valid: bool,
    /// The block type asked about.
    pub block: String,
    /// Why it did not load; absent when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A block's dependencies: none (a component carries what it needs), also for a plugin that
/// failed to load, as DataGenFlow lists a block's declared dependencies whatever its state.
#[utoipa::path(get, path = "/api/extensions/blocks/{name}/dependencies", tag = "extensions", params(("name" = String, Path, description = "Block type")), responses((status = 200, description = "Always empty: package names a block needs installed", body = Vec<String>), (status = 404, description = "No such block", body = ErrorBody)))]
pub async fn dependencies(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    block(&state, &name)?;
    Ok(Json(Vec::new()))
}

/// Installs a block's missing dependencies: there are none to install.
#[utoipa::path(post, path = "/api/extensions/blocks/{name}/install-deps", tag = "extensions", params(("name" = String, Path, description = "Block type")), responses((status = 200, description = "Nothing to install", body = ExtensionAction), (status = 404, description = "No such block", body = ErrorBody), (status = 422, description = "The block's file failed to load", body = ErrorBody)))]
pub async fn install_deps(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ExtensionAction>, ApiError> {
    loaded_block(&state, &name)?;
    Ok(Json(ExtensionAction {
        status: "ok",
        message: "a WebAssembly block has no dependencies to install".to_owned(),
        installed: Some(Vec::new()),
    }))
}
