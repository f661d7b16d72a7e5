//! The registry as the API and `blockforge blocks --json` show it: a block with its source and
//! content hash, and a plugin file with what became of it.

use serde::Serialize;

use super::{BlockSource, PluginError, PluginFile, PluginStatus, RegisteredBlock};
use crate::runtime::BlockInfo;

/// A block: what it says of itself, where it came from and the hash of its component.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlockView {
    /// Its `describe()` answer.
    #[serde(flatten)]
    pub info: BlockInfo,
    /// Builtin (with its crate) or plugin (with its file).
    pub source: BlockSource,
    /// SHA-256 of the component's bytes.
    pub content_hash: String,
}

/// Where a plugin file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginFileStatus {
    /// Being compiled and described.
    Loading,
    /// It provides a block.
    Loaded,
    /// It provides none (`error` says why).
    Failed,
}

/// One `.wasm` file of the plugins folder.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PluginFileView {
    /// Its file name.
    pub file: String,
    /// Its path.
    pub path: String,
    /// Loading, loaded or failed.
    pub status: PluginFileStatus,
    /// The block type it provides, or declares when it was refused for its type (a builtin's,
    /// a duplicate).
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    /// The block's display name, once loaded.
    pub name: Option<String>,
    /// SHA-256 of its bytes (empty when it could not be read).
    pub content_hash: String,
    /// Why it provides no block.
    pub error: Option<String>,
}

impl RegisteredBlock {
    /// The block as `GET /api/blocks` and `blockforge blocks --json` show it.
    pub fn view(&self) -> BlockView {
        BlockView {
            info: self.block.info.clone(),
            source: self.source.clone(),
            content_hash: self.block.content_hash.clone(),
        }
    }
}

impl PluginFile {
    /// The file as `GET /api/plugins` shows it.
    pub fn view(&self) -> PluginFileView {
        let (status, block, error) = match &self.status {
            PluginStatus::Loading => (PluginFileStatus::Loading, None, None),
            PluginStatus::Loaded(block) => (PluginFileStatus::Loaded, Some(block), None),
            PluginStatus::Failed(error) => {
                (PluginFileStatus::Failed, None, Some(error.to_string()))
            }
        };
        PluginFileView {
            file: self
                .path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: self.path.to_string_lossy().into_owned(),
            status,
            type_name: block.map(|b| b.info.type_name.clone()).or_else(|| {
                self.error()
                    .and_then(PluginError::type_name)
                    .map(str::to_owned)
            }),
            name: block.map(|b| b.info.name.clone()),
            content_hash: self.content_hash.clone(),
            error,
        }
    }
}
