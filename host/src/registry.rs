//! Which blocks exist: the builtins embedded in the binary and the components found in the
//! plugins folder. A plugin that fails to load is kept with its error; the others still work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::runtime::{LoadError, LoadedBlock, Runtime};

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

/// The blocks by type name.
pub struct Registry {
    runtime: Arc<Runtime>,
    blocks: RwLock<BTreeMap<String, RegisteredBlock>>,
    failures: RwLock<Vec<PluginFailure>>,
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
        let registry = Registry {
            runtime,
            blocks: RwLock::new(BTreeMap::new()),
            failures: RwLock::new(Vec::new()),
        };
        let loads = builtin::BUILTIN_BLOCKS.iter().map(|(crate_name, bytes)| {
            let runtime = registry.runtime.clone();
            async move {
                let origin = format!("builtin:{crate_name}");
                (crate_name, runtime.load(bytes, &origin).await)
            }
        });
        for (crate_name, loaded) in futures::future::join_all(loads).await {
            let block = loaded.map_err(|source| BuiltinLoadError {
                crate_name: (*crate_name).to_owned(),
                source,
            })?;
            registry.insert(RegisteredBlock {
                block: Arc::new(block),
                source: BlockSource::Builtin {
                    crate_name: (*crate_name).to_owned(),
                },
            });
        }
        Ok(registry)
    }

    /// The runtime the blocks run on.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    fn insert(&self, registered: RegisteredBlock) {
        let mut blocks = self.blocks.write().unwrap_or_else(|p| p.into_inner());
        blocks.insert(registered.block.info.type_name.clone(), registered);
    }

    /// Loads every `*.wasm` in `dir` (not recursive), in name order. A plugin's type name
    /// replaces a builtin of the same name; two plugins with one name: the first wins and the
    /// second is a failure. Returns the failures of this scan.
    pub async fn load_plugins_dir(&self, dir: &Path) -> Vec<PluginFailure> {
        let mut failures = Vec::new();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "wasm"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                failures.push(PluginFailure {
                    path: dir.to_owned(),
                    error: format!("cannot read the plugins folder: {e}"),
                });
                Vec::new()
            }
        };
        files.sort();
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        // Load (compile, describe) concurrently; register in name order.
        let loads = futures::future::join_all(files.iter().map(|path| self.load_file(path))).await;
        for (path, loaded) in files.into_iter().zip(loads) {
            match loaded {
                Ok(block) => {
                    let type_name = block.info.type_name.clone();
                    if let Some(first) = seen.get(&type_name) {
                        failures.push(PluginFailure {
                            path: path.clone(),
                            error: format!(
                                "block type {type_name} is already provided by {}",
                                first.display()
                            ),
                        });
                        continue;
                    }
                    seen.insert(type_name, path.clone());
                    self.insert(RegisteredBlock {
                        block,
                        source: BlockSource::Plugin { path },
                    });
                }
                Err(e) => failures.push(PluginFailure {
                    path,
                    error: e.to_string(),
                }),
            }
        }
        for failure in &failures {
            tracing::warn!(path = %failure.path.display(), error = %failure.error, "plugin not loaded");
        }
        self.failures
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clone_from(&failures);
        failures
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

    /// The block named `type_name`.
    pub fn get(&self, type_name: &str) -> Option<Arc<LoadedBlock>> {
        let blocks = self.blocks.read().unwrap_or_else(|p| p.into_inner());
        blocks.get(type_name).map(|r| r.block.clone())
    }

    /// Every block, by type name.
    pub fn list(&self) -> Vec<RegisteredBlock> {
        let blocks = self.blocks.read().unwrap_or_else(|p| p.into_inner());
        blocks.values().cloned().collect()
    }

    /// Type names, sorted.
    pub fn type_names(&self) -> Vec<String> {
        let blocks = self.blocks.read().unwrap_or_else(|p| p.into_inner());
        blocks.keys().cloned().collect()
    }

    /// Plugins that failed at the last scan.
    pub fn failures(&self) -> Vec<PluginFailure> {
        self.failures
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
