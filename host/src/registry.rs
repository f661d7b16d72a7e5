//! Which blocks exist: the builtins embedded in the binary and the components found in the
//! plugins folder. A plugin that fails to load is kept with its error; the others still work.
//! A plugin never replaces a builtin block type unless the operator's `PLUGIN_OVERRIDES` names
//! that type (see [`overrides`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::runtime::compile_cache::CompileCache;
use crate::runtime::{LoadError, LoadedBlock, Runtime};

pub mod overrides;
pub mod watcher;

pub use overrides::{OverridesError, PLUGIN_OVERRIDES, PluginOverrides};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_blocks.rs"));
}

/// Where a block came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockSource {
    /// Embedded in the binary, built from `plugins/<crate>`.
    Builtin {
        /// The crate it was built from.
        crate_name: String,
    },
    /// A `.wasm` file in the plugins folder (or given on the command line).
    Plugin {
        /// The file.
        path: PathBuf,
    },
}

/// A block and where it came from.
#[derive(Clone)]
pub struct RegisteredBlock {
    /// The loaded block.
    pub block: Arc<LoadedBlock>,
    /// Its origin.
    pub source: BlockSource,
}

impl RegisteredBlock {
    /// The block as `GET /api/blocks` and `blockforge blocks --json` show it: its info, its
    /// source and its content hash.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(&self.block.info).unwrap_or_default();
        value["source"] = serde_json::to_value(&self.source).unwrap_or_default();
        value["content_hash"] = serde_json::Value::String(self.block.content_hash.clone());
        value
    }
}

/// A plugin file that could not be loaded.
#[derive(Debug, Clone, Serialize)]
pub struct PluginFailure {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub error: String,
}

/// One `.wasm` file of the plugins folder and what became of it at the last scan.
#[derive(Clone)]
pub struct PluginFile {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of its bytes (empty when it could not be read).
    pub content_hash: String,
    /// The block it provides, or why it provides none.
    pub outcome: Result<Arc<LoadedBlock>, PluginError>,
}

/// Why a plugin file provides no block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// It could not be read, compiled, checked against the world or described.
    #[error("{0}")]
    Load(String),
    /// It loaded, but a file earlier in name order provides the same block type.
    #[error("block type {type_name} is already provided by {}", first.display())]
    Duplicate {
        /// The type.
        type_name: String,
        /// The file that provides it.
        first: PathBuf,
    },
    /// It loaded, but its type is a builtin block's and `PLUGIN_OVERRIDES` does not name it:
    /// the builtin keeps running.
    #[error(
        "{} declares block type {type_name}, which is a builtin block (from {builtin}); a \
         plugin may not replace a builtin unless {PLUGIN_OVERRIDES} names its type \
         ({PLUGIN_OVERRIDES}={type_name})",
        file.display()
    )]
    ShadowsBuiltin {
        /// The type.
        type_name: String,
        /// The plugin file.
        file: PathBuf,
        /// The crate the builtin was built from.
        builtin: String,
    },
}

impl PluginError {
    /// The block type the file declares, when it loaded but was refused.
    pub fn type_name(&self) -> Option<&str> {
        match self {
            PluginError::Load(_) => None,
            PluginError::Duplicate { type_name, .. }
            | PluginError::ShadowsBuiltin { type_name, .. } => Some(type_name),
        }
    }
}

impl PluginFile {
    /// The file as `GET /api/plugins` shows it.
    pub fn to_json(&self) -> serde_json::Value {
        let file = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &self.outcome {
            Ok(block) => serde_json::json!({
                "file": file,
                "path": self.path,
                "status": "loaded",
                "type": block.info.type_name,
                "name": block.info.name,
                "content_hash": self.content_hash,
                "error": null,
            }),
            Err(error) => serde_json::json!({
                "file": file,
                "path": self.path,
                "status": "failed",
                "type": error.type_name(),
                "name": null,
                "content_hash": self.content_hash,
                "error": error.to_string(),
            }),
        }
    }
}

/// What a scan of the plugins folder changed, by block type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanChanges {
    /// Types that appeared.
    pub added: Vec<String>,
    /// Types whose component changed.
    pub replaced: Vec<String>,
    /// Types that disappeared (a builtin of that name is back, if any).
    pub removed: Vec<String>,
}

/// The plugin files and the block table built from them and the builtins.
#[derive(Default)]
struct Loaded {
    blocks: BTreeMap<String, RegisteredBlock>,
    files: Vec<PluginFile>,
}

/// The blocks by type name.
pub struct Registry {
    runtime: Arc<Runtime>,
    builtins: BTreeMap<String, RegisteredBlock>,
    /// Builtin types a plugin may replace.
    overrides: PluginOverrides,
    loaded: RwLock<Loaded>,
    /// One scan at a time, so two scans never race to publish.
    scanning: tokio::sync::Mutex<()>,
    /// One upload at a time from its checks to its rescan, so two uploads of one type never
    /// both pass the check that the type is free.
    uploading: tokio::sync::Mutex<()>,
}

/// A builtin block failed to load: the binary itself is broken.
#[derive(Debug, thiserror::Error)]
#[error("builtin block {crate_name} failed to load: {source}")]
pub struct BuiltinLoadError {
    crate_name: String,
    source: LoadError,
}

impl Registry {
    /// A registry holding the builtin blocks.
    pub async fn with_builtins(runtime: Arc<Runtime>) -> Result<Self, BuiltinLoadError> {
        let loads = builtin::BUILTIN_BLOCKS.iter().map(|(crate_name, bytes)| {
            let runtime = runtime.clone();
            async move {
                let origin = format!("builtin:{crate_name}");
                (crate_name, runtime.load(bytes, &origin).await)
            }
        });
        let mut builtins = BTreeMap::new();
        for (crate_name, loaded) in futures::future::join_all(loads).await {
            let block = loaded.map_err(|source| BuiltinLoadError {
                crate_name: (*crate_name).to_owned(),
                source,
            })?;
            builtins.insert(
                block.info.type_name.clone(),
                RegisteredBlock {
                    block: Arc::new(block),
                    source: BlockSource::Builtin {
                        crate_name: (*crate_name).to_owned(),
                    },
                },
            );
        }
        Ok(Registry {
            runtime,
            loaded: RwLock::new(Loaded {
                blocks: builtins.clone(),
                files: Vec::new(),
            }),
            builtins,
            overrides: PluginOverrides::none(),
            scanning: tokio::sync::Mutex::new(()),
            uploading: tokio::sync::Mutex::new(()),
        })
    }

    /// The registry with `overrides`: the builtin types a plugin may replace. Set it before
    /// the first scan of the plugins folder.
    pub fn with_overrides(mut self, overrides: PluginOverrides) -> Self {
        for name in overrides.names() {
            if self.builtins.contains_key(name) {
                tracing::warn!(block = %name, "{PLUGIN_OVERRIDES}: a plugin may replace this builtin block");
            } else {
                tracing::warn!(block = %name, "{PLUGIN_OVERRIDES} names a block type that is not a builtin; it has no effect");
            }
        }
        self.overrides = overrides;
        self
    }

    /// The builtin types a plugin may replace.
    pub fn overrides(&self) -> &PluginOverrides {
        &self.overrides
    }

    /// The crate the builtin block of `type_name` was built from, if there is such a builtin.
    pub fn builtin_crate(&self, type_name: &str) -> Option<&str> {
        match &self.builtins.get(type_name)?.source {
            BlockSource::Builtin { crate_name } => Some(crate_name),
            BlockSource::Plugin { .. } => None,
        }
    }

    /// Why a plugin `file` providing `type_name` may not be registered as a builtin's
    /// replacement, or `None` when it may (no builtin of that type, or an override names it).
    pub fn shadowing(&self, type_name: &str, file: &Path) -> Option<PluginError> {
        let builtin = self.builtin_crate(type_name)?;
        (!self.overrides.allows(type_name)).then(|| PluginError::ShadowsBuiltin {
            type_name: type_name.to_owned(),
            file: file.to_owned(),
            builtin: builtin.to_owned(),
        })
    }

    /// Holds uploads to one at a time (from checking the type to rescanning the folder) while
    /// the guard lives.
    pub async fn lock_uploads(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.uploading.lock().await
    }

    /// The runtime the blocks run on.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Brings the registry in line with the `*.wasm` files of `dir` (not recursive): new files
    /// are loaded, changed ones reloaded, unchanged ones kept without recompiling, and blocks
    /// whose file is gone removed (a builtin of the same name comes back). A plugin whose type
    /// is a builtin's is listed as failed and the builtin kept, unless `PLUGIN_OVERRIDES` names
    /// the type; two plugin files with one type name: the first in name order wins and the
    /// second is listed as failed. Blocks already handed to a running job
    /// keep working; new lookups see the new table.
    pub async fn sync_plugins_dir(&self, dir: &Path) -> ScanChanges {
        let _one_scan = self.scanning.lock().await;
        let previous: BTreeMap<PathBuf, PluginFile> = self
            .read()
            .files
            .iter()
            .map(|file| (file.path.clone(), file.clone()))
            .collect();
        let mut files = Vec::new();
        let paths = match plugin_paths(dir) {
            Ok(paths) => paths,
            Err(error) => {
                files.push(PluginFile {
                    path: dir.to_owned(),
                    content_hash: String::new(),
                    outcome: Err(PluginError::Load(format!(
                        "cannot read the plugins folder: {error}"
                    ))),
                });
                Vec::new()
            }
        };
        // Load (compile, describe) concurrently; register in name order.
        let scans = paths.into_iter().map(|path| {
            let previous = previous.get(&path);
            self.scan_file(path, previous)
        });
        files.extend(futures::future::join_all(scans).await);

        let mut blocks = self.builtins.clone();
        let mut provided_by: BTreeMap<String, PathBuf> = BTreeMap::new();
        for file in &mut files {
            let Ok(block) = &file.outcome else { continue };
            let type_name = block.info.type_name.clone();
            if let Some(refused) = self.shadowing(&type_name, &file.path) {
                file.outcome = Err(refused);
                continue;
            }
            if let Some(first) = provided_by.get(&type_name) {
                file.outcome = Err(PluginError::Duplicate {
                    type_name,
                    first: first.clone(),
                });
                continue;
            }
            provided_by.insert(type_name.clone(), file.path.clone());
            blocks.insert(
                type_name,
                RegisteredBlock {
                    block: block.clone(),
                    source: BlockSource::Plugin {
                        path: file.path.clone(),
                    },
                },
            );
        }
        for file in &files {
            if let Err(error) = &file.outcome {
                let unchanged = previous.get(&file.path).is_some_and(|before| {
                    before.content_hash == file.content_hash
                        && before.outcome.as_ref().err() == Some(error)
                });
                if !unchanged {
                    tracing::warn!(path = %file.path.display(), %error, "plugin not loaded");
                }
            }
        }
        let mut loaded = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        let changes = diff(&loaded.blocks, &blocks);
        for type_name in &changes.added {
            tracing::info!(block = %type_name, "block added");
        }
        for type_name in &changes.replaced {
            tracing::info!(block = %type_name, "block replaced");
        }
        for type_name in &changes.removed {
            tracing::info!(block = %type_name, "block removed");
        }
        *loaded = Loaded { blocks, files };
        changes
    }

    /// Reads and loads one plugin file, reusing the previous outcome when its bytes are unchanged.
    async fn scan_file(&self, path: PathBuf, previous: Option<&PluginFile>) -> PluginFile {
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) => {
                return PluginFile {
                    path,
                    content_hash: String::new(),
                    outcome: Err(PluginError::Load(format!("cannot read the file: {e}"))),
                };
            }
        };
        let content_hash = CompileCache::content_hash(&bytes);
        // Unchanged bytes keep their outcome, except a type refused by the whole folder's
        // decision (a duplicate, a builtin's): the caller decides that again, so the block is
        // loaded (from the compile cache).
        if let Some(previous) = previous.filter(|p| {
            p.content_hash == content_hash
                && p.outcome
                    .as_ref()
                    .err()
                    .and_then(PluginError::type_name)
                    .is_none()
        }) {
            return previous.clone();
        }
        let origin = path.display().to_string();
        let outcome = self
            .runtime
            .load(&bytes, &origin)
            .await
            .map(Arc::new)
            .map_err(|e| PluginError::Load(e.to_string()));
        PluginFile {
            path,
            content_hash,
            outcome,
        }
    }

    /// Loads one component file (without registering it).
    pub async fn load_file(&self, path: &Path) -> Result<Arc<LoadedBlock>, LoadError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        self.runtime.load(&bytes, &origin).await.map(Arc::new)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The block named `type_name`.
    pub fn get(&self, type_name: &str) -> Option<Arc<LoadedBlock>> {
        self.read().blocks.get(type_name).map(|r| r.block.clone())
    }

    /// Every block, by type name.
    pub fn list(&self) -> Vec<RegisteredBlock> {
        self.read().blocks.values().cloned().collect()
    }

    /// Type names, sorted.
    pub fn type_names(&self) -> Vec<String> {
        self.read().blocks.keys().cloned().collect()
    }

    /// The plugin files of the last scan, loaded or not, in name order.
    pub fn plugin_files(&self) -> Vec<PluginFile> {
        self.read().files.clone()
    }

    /// Plugins that failed at the last scan.
    pub fn failures(&self) -> Vec<PluginFailure> {
        self.read()
            .files
            .iter()
            .filter_map(|file| {
                file.outcome.as_ref().err().map(|error| PluginFailure {
                    path: file.path.clone(),
                    error: error.to_string(),
                })
            })
            .collect()
    }
}

/// The `*.wasm` files directly in `dir`, sorted; none when the folder does not exist.
fn plugin_paths(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Which types `after` adds, replaces (another component) and removes compared with `before`.
fn diff(
    before: &BTreeMap<String, RegisteredBlock>,
    after: &BTreeMap<String, RegisteredBlock>,
) -> ScanChanges {
    let mut changes = ScanChanges::default();
    for (type_name, block) in after {
        match before.get(type_name) {
            None => changes.added.push(type_name.clone()),
            Some(old) if !Arc::ptr_eq(&old.block, &block.block) => {
                changes.replaced.push(type_name.clone())
            }
            Some(_) => {}
        }
    }
    changes.removed = before
        .keys()
        .filter(|type_name| !after.contains_key(*type_name))
        .cloned()
        .collect();
    changes
}
