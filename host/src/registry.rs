//! Which blocks exist: the builtins embedded in the binary and the components found in the
//! plugins folder. A plugin that fails to load is kept with its error; the others still work.
//! A plugin never replaces a builtin block type unless the operator's `PLUGIN_OVERRIDES` names
//! that type (see [`overrides`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use serde::Serialize;

use crate::grants::{PluginId, PluginKind};
use crate::runtime::{HashedComponent, LoadError, LoadedBlock, Runtime};

pub mod overrides;
pub mod views;
pub mod watcher;

pub use overrides::{OverridesError, PLUGIN_OVERRIDES, PluginOverrides};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_blocks.rs"));

    #[cfg(test)]
    mod tests {
        use crate::runtime::compile_cache::CompileCache;

        /// The build-time hash keys the compile cache: it must be the hash of the embedded
        /// bytes, or a start would map another component's compiled code.
        #[test]
        fn each_builtins_hash_is_the_hash_of_its_embedded_bytes() {
            assert!(!super::BUILTIN_BLOCKS.is_empty());
            for (name, bytes, hash) in super::BUILTIN_BLOCKS {
                assert_eq!(CompileCache::content_hash(bytes), *hash, "{name}");
            }
        }
    }
}

/// Where a block came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
        #[schema(value_type = String)]
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

/// A plugin file that could not be loaded.
#[derive(Debug, Clone, Serialize)]
pub struct PluginFailure {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub error: String,
}

/// One `.wasm` file of the plugins folder and what became of it.
#[derive(Clone)]
pub struct PluginFile {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of its bytes (empty when it could not be read).
    pub content_hash: String,
    /// Whether it provides a block yet, and which.
    pub status: PluginStatus,
}

/// Where a plugin file stands.
#[derive(Clone)]
pub enum PluginStatus {
    /// Being compiled and described; the other files do not wait for it.
    Loading,
    /// It provides this block.
    Loaded(Arc<LoadedBlock>),
    /// It provides no block, for this reason.
    Failed(PluginError),
}

impl PluginFile {
    /// The block it provides, once loaded.
    pub fn block(&self) -> Option<&Arc<LoadedBlock>> {
        match &self.status {
            PluginStatus::Loaded(block) => Some(block),
            PluginStatus::Loading | PluginStatus::Failed(_) => None,
        }
    }

    /// Why it provides no block, when it failed.
    pub fn error(&self) -> Option<&PluginError> {
        match &self.status {
            PluginStatus::Failed(error) => Some(error),
            PluginStatus::Loading | PluginStatus::Loaded(_) => None,
        }
    }
}

/// Why a plugin name does not pick one plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginLookupError {
    /// No plugin (of that kind) has the name.
    #[error("no plugin is named {name:?}")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The kind asked for, if any.
        kind: Option<PluginKind>,
    },
    /// Both a plugin file and a builtin have the name, and no kind was given.
    #[error("{name:?} is both a plugin file and a builtin; say which (kind plugin or builtin)")]
    Ambiguous {
        /// The name asked for.
        name: String,
    },
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

impl ScanChanges {
    /// Adds what a later publication of the same scan changed.
    fn extend(&mut self, later: ScanChanges) {
        self.added.extend(later.added);
        self.replaced.extend(later.replaced);
        self.removed.extend(later.removed);
    }
}

/// What loading one plugin file came to, before the folder's files are weighed against each
/// other (duplicates).
#[derive(Clone)]
enum LoadState {
    /// Being compiled and described by a scan; the block the file provided before it changed
    /// (if any) stays published meanwhile, so a reload never leaves its type missing.
    Loading { previous: Option<Arc<LoadedBlock>> },
    /// Loaded.
    Loaded(Arc<LoadedBlock>),
    /// Not loadable, for this reason.
    Failed(String),
}

/// One plugin file as the last scan found it.
#[derive(Clone)]
struct FileEntry {
    content_hash: String,
    state: LoadState,
}

/// The plugin files and, published from them and the builtins, the block table and the
/// files' listing.
#[derive(Default)]
struct Loaded {
    /// The folder's `.wasm` files, in name order.
    entries: BTreeMap<PathBuf, FileEntry>,
    /// Why the folder itself could not be read at the last scan.
    folder_error: Option<(PathBuf, String)>,
    blocks: BTreeMap<String, RegisteredBlock>,
    files: Vec<PluginFile>,
}

/// The blocks by type name.
pub struct Registry {
    runtime: Arc<Runtime>,
    /// The builtin blocks by type name. Fixed at start, except that a builtin whose component
    /// describes itself otherwise at its first call than the kept description it was listed
    /// with is listed again with its own description ([`LoadedBlock::redescribed`]).
    builtins: RwLock<BTreeMap<String, RegisteredBlock>>,
    /// Builtin types a plugin may replace.
    overrides: PluginOverrides,
    loaded: RwLock<Loaded>,
    /// One scan at a time, so two scans never race to publish.
    scanning: tokio::sync::Mutex<()>,
    /// One upload at a time from its checks to its rescan, so two uploads of one type never
    /// both pass the check that the type is free.
    uploading: tokio::sync::Mutex<()>,
}

/// The builtin blocks cannot be listed: the binary itself is broken.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinLoadError {
    /// One failed to load.
    #[error("builtin block {crate_name} failed to load: {source}")]
    Load {
        /// The crate it was built from.
        crate_name: String,
        /// Why.
        source: LoadError,
    },
    /// Two declare the same block type, so a pipeline naming it could mean either.
    #[error(
        "builtin blocks {first} (plugins/{first}) and {second} (plugins/{second}) both declare \
         block type {type_name}: each builtin needs a type name of its own; rename one in its \
         describe()"
    )]
    DuplicateType {
        /// The type both declare.
        type_name: String,
        /// The crate found first (in crate-name order).
        first: String,
        /// The other crate.
        second: String,
    },
}

/// Refuses two builtins of one type name: `builtins` are (crate name, type name) pairs.
fn refuse_duplicate_types<'a>(
    builtins: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), BuiltinLoadError> {
    let mut crates_by_type: BTreeMap<&str, &str> = BTreeMap::new();
    for (crate_name, type_name) in builtins {
        if let Some(first) = crates_by_type.insert(type_name, crate_name) {
            return Err(BuiltinLoadError::DuplicateType {
                type_name: type_name.to_owned(),
                first: first.to_owned(),
                second: crate_name.to_owned(),
            });
        }
    }
    Ok(())
}

impl Registry {
    /// A registry holding the builtin blocks. A builtin whose description the compile cache's
    /// folder holds is listed from it and compiled on its first call (see
    /// [`Runtime::load_builtin`]). Two builtins declaring one type name are refused.
    pub async fn with_builtins(runtime: Arc<Runtime>) -> Result<Self, BuiltinLoadError> {
        let loads = builtin::BUILTIN_BLOCKS
            .iter()
            .map(|(crate_name, bytes, content_hash)| {
                let runtime = runtime.clone();
                async move {
                    let origin = format!("builtin:{crate_name}");
                    let plugin = PluginId::builtin(crate_name);
                    let loaded = runtime
                        .load_builtin(bytes, content_hash, &origin, plugin)
                        .await;
                    (crate_name, loaded)
                }
            });
        let mut loaded_builtins = Vec::new();
        for (crate_name, loaded) in futures::future::join_all(loads).await {
            let block = loaded.map_err(|source| BuiltinLoadError::Load {
                crate_name: (*crate_name).to_owned(),
                source,
            })?;
            loaded_builtins.push((*crate_name, block));
        }
        refuse_duplicate_types(
            loaded_builtins
                .iter()
                .map(|(crate_name, block)| (*crate_name, block.info.type_name.as_str())),
        )?;
        let mut builtins = BTreeMap::new();
        for (crate_name, block) in loaded_builtins {
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
                ..Loaded::default()
            }),
            builtins: RwLock::new(builtins),
            overrides: PluginOverrides::none(),
            scanning: tokio::sync::Mutex::new(()),
            uploading: tokio::sync::Mutex::new(()),
        })
    }

    /// The registry with `overrides`: the builtin types a plugin may replace. Set it before
    /// the first scan of the plugins folder.
    pub fn with_overrides(mut self, overrides: PluginOverrides) -> Self {
        for name in overrides.names() {
            if self.builtin_table().contains_key(name) {
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
    pub fn builtin_crate(&self, type_name: &str) -> Option<String> {
        match &self.builtin_table().get(type_name)?.source {
            BlockSource::Builtin { crate_name } => Some(crate_name.clone()),
            BlockSource::Plugin { .. } => None,
        }
    }

    fn builtin_table(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, RegisteredBlock>> {
        self.builtins.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists again, with their components' own descriptions, the builtins whose first call
    /// found that the kept description they were listed with differs, and publishes the block
    /// table. A builtin whose component now declares the type of another builtin is left out
    /// (its calls by a pipeline validated before still run), with an error logged.
    fn republish_redescribed(&self) {
        let redescribed: Vec<(String, Arc<LoadedBlock>)> = self
            .builtin_table()
            .iter()
            .filter_map(|(type_name, registered)| {
                Some((type_name.clone(), registered.block.redescribed()?))
            })
            .collect();
        if redescribed.is_empty() {
            return;
        }
        let mut loaded = self.write();
        {
            let mut builtins = self.builtins.write().unwrap_or_else(|p| p.into_inner());
            for (type_name, block) in redescribed {
                // Another caller may have listed it again meanwhile.
                let stale = builtins
                    .get(&type_name)
                    .is_some_and(|listed| listed.block.redescribed().is_some());
                let Some(listed) = stale.then(|| builtins.remove(&type_name)).flatten() else {
                    continue;
                };
                let new_type = block.info.type_name.clone();
                if let Some(other) = builtins.get(&new_type) {
                    tracing::error!(
                        block = %type_name,
                        source = ?listed.source,
                        other = ?other.source,
                        "a builtin block's component declares block type {new_type}, which another builtin provides: it is no longer listed"
                    );
                    continue;
                }
                builtins.insert(
                    new_type,
                    RegisteredBlock {
                        block,
                        source: listed.source,
                    },
                );
            }
        }
        self.publish(&mut loaded);
    }

    /// Why a plugin `file` providing `type_name` may not be registered as a builtin's
    /// replacement, or `None` when it may (no builtin of that type, or an override names it).
    pub fn shadowing(&self, type_name: &str, file: &Path) -> Option<PluginError> {
        let builtin = self.builtin_crate(type_name)?;
        (!self.overrides.allows(type_name)).then(|| PluginError::ShadowsBuiltin {
            type_name: type_name.to_owned(),
            file: file.to_owned(),
            builtin,
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
    ///
    /// Files are loaded concurrently and each is published as soon as it is loaded: a file
    /// whose `describe()` takes its whole time limit is listed as loading meanwhile, and
    /// neither the other files nor another scan wait for it. Returns once every file this
    /// scan started to load is loaded or failed.
    pub async fn sync_plugins_dir(&self, dir: &Path) -> ScanChanges {
        let (loads, mut changes) = self.scan_folder(dir).await;
        let mut unfinished = UnfinishedLoads {
            registry: self,
            loads: loads
                .iter()
                .map(|load| (load.path.clone(), load.component.content_hash().to_owned()))
                .collect(),
        };
        let mut running: futures::stream::FuturesUnordered<_> = loads
            .into_iter()
            .map(|load| async move {
                let origin = load.path.display().to_string();
                let plugin = PluginId::of_file(&load.path);
                let content_hash = load.component.content_hash().to_owned();
                let outcome = self
                    .runtime
                    .load_hashed(load.component, &origin, plugin)
                    .await;
                (load.path, content_hash, outcome)
            })
            .collect();
        while let Some((path, content_hash, outcome)) = running.next().await {
            unfinished
                .loads
                .retain(|(p, hash)| (p, hash) != (&path, &content_hash));
            let state = match outcome {
                Ok(block) => LoadState::Loaded(Arc::new(block)),
                Err(error) => LoadState::Failed(error.to_string()),
            };
            if let Some(published) = self.finish_load(&path, &content_hash, state) {
                changes.extend(published);
            }
        }
        changes
    }

    /// Lists and reads the folder's files, keeps the entries of unchanged ones, marks new and
    /// changed ones as loading and publishes that; returns the files to load. One scan at a
    /// time does this (it is quick); loading happens after, concurrently with other scans.
    async fn scan_folder(&self, dir: &Path) -> (Vec<PendingLoad>, ScanChanges) {
        let _one_scan = self.scanning.lock().await;
        let (paths, folder_error) = match plugin_paths(dir) {
            Ok(paths) => (paths, None),
            Err(error) => (
                Vec::new(),
                Some((
                    dir.to_owned(),
                    format!("cannot read the plugins folder: {error}"),
                )),
            ),
        };
        let mut read = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = tokio::fs::read(&path).await;
            read.push((path, bytes));
        }
        let mut loaded = self.write();
        let mut entries = BTreeMap::new();
        let mut loads = Vec::new();
        for (path, bytes) in read {
            let bytes = match bytes {
                Ok(bytes) => bytes,
                Err(e) => {
                    let state = LoadState::Failed(format!("cannot read the file: {e}"));
                    let content_hash = String::new();
                    entries.insert(
                        path,
                        FileEntry {
                            content_hash,
                            state,
                        },
                    );
                    continue;
                }
            };
            let component = HashedComponent::new(bytes);
            let content_hash = component.content_hash().to_owned();
            // Unchanged bytes keep their entry, a load under way included.
            let kept = loaded
                .entries
                .get(&path)
                .filter(|previous| previous.content_hash == content_hash)
                .cloned();
            let entry = kept.unwrap_or_else(|| {
                let previous = loaded
                    .entries
                    .get(&path)
                    .and_then(|entry| match &entry.state {
                        LoadState::Loaded(block) => Some(block.clone()),
                        LoadState::Loading { previous } => previous.clone(),
                        LoadState::Failed(_) => None,
                    });
                loads.push(PendingLoad {
                    path: path.clone(),
                    component,
                });
                FileEntry {
                    content_hash,
                    state: LoadState::Loading { previous },
                }
            });
            entries.insert(path, entry);
        }
        loaded.entries = entries;
        loaded.folder_error = folder_error;
        let changes = self.publish(&mut loaded);
        (loads, changes)
    }

    /// Records how loading `path` (with bytes `content_hash`) ended, unless the file changed
    /// or went away meanwhile, and publishes it.
    fn finish_load(
        &self,
        path: &Path,
        content_hash: &str,
        state: LoadState,
    ) -> Option<ScanChanges> {
        let mut loaded = self.write();
        let entry = loaded.entries.get_mut(path).filter(|entry| {
            entry.content_hash == content_hash && matches!(entry.state, LoadState::Loading { .. })
        })?;
        entry.state = state;
        Some(self.publish(&mut loaded))
    }

    /// Builds the block table and the files' listing from the builtins and the plugin files,
    /// logs what changed and swaps them in.
    fn publish(&self, loaded: &mut Loaded) -> ScanChanges {
        let mut blocks = self.builtin_table().clone();
        let mut provided_by: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut files = Vec::with_capacity(loaded.entries.len() + 1);
        if let Some((path, error)) = &loaded.folder_error {
            files.push(PluginFile {
                path: path.clone(),
                content_hash: String::new(),
                status: PluginStatus::Failed(PluginError::Load(error.clone())),
            });
        }
        for (path, entry) in &loaded.entries {
            let (block, loading) = match &entry.state {
                LoadState::Loading { previous } => (previous.as_ref(), true),
                LoadState::Loaded(block) => (Some(block), false),
                LoadState::Failed(error) => {
                    files.push(PluginFile {
                        path: path.clone(),
                        content_hash: entry.content_hash.clone(),
                        status: PluginStatus::Failed(PluginError::Load(error.clone())),
                    });
                    continue;
                }
            };
            let refused = block.and_then(|block| {
                let type_name = block.info.type_name.clone();
                if let Some(refused) = self.shadowing(&type_name, path) {
                    return Some(refused);
                }
                if let Some(first) = provided_by.get(&type_name) {
                    return Some(PluginError::Duplicate {
                        type_name,
                        first: first.clone(),
                    });
                }
                provided_by.insert(type_name.clone(), path.clone());
                blocks.insert(
                    type_name,
                    RegisteredBlock {
                        block: block.clone(),
                        source: BlockSource::Plugin { path: path.clone() },
                    },
                );
                None
            });
            // A file being reloaded is listed as loading, whatever its previous block became.
            let status = match (loading, refused, block) {
                (true, _, _) | (false, None, None) => PluginStatus::Loading,
                (false, Some(refused), _) => PluginStatus::Failed(refused),
                (false, None, Some(block)) => PluginStatus::Loaded(block.clone()),
            };
            files.push(PluginFile {
                path: path.clone(),
                content_hash: entry.content_hash.clone(),
                status,
            });
        }
        for file in &files {
            let Some(error) = file.error() else { continue };
            let unchanged = loaded.files.iter().any(|before| {
                before.path == file.path
                    && before.content_hash == file.content_hash
                    && before.error() == Some(error)
            });
            if !unchanged {
                tracing::warn!(path = %file.path.display(), %error, "plugin not loaded");
            }
        }
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
        loaded.blocks = blocks;
        loaded.files = files;
        changes
    }

    /// Loads one component file (without registering it).
    pub async fn load_file(&self, path: &Path) -> Result<Arc<LoadedBlock>, LoadError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        self.runtime
            .load(&bytes, &origin, PluginId::of_file(path))
            .await
            .map(Arc::new)
    }

    /// The published table and files, after listing again any builtin found to describe
    /// itself otherwise than it was listed.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.republish_redescribed();
        self.loaded.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Loaded> {
        self.loaded.write().unwrap_or_else(|p| p.into_inner())
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

    /// The plugin `name` refers to: the plugin file of that stem (loaded or not) or the
    /// builtin of that crate; `kind` picks one. A bare name that both a plugin file and a
    /// builtin carry is ambiguous, never silently one of them.
    pub fn plugin_id(
        &self,
        name: &str,
        kind: Option<PluginKind>,
    ) -> Result<PluginId, PluginLookupError> {
        let file = || {
            self.read()
                .files
                .iter()
                .map(|file| PluginId::of_file(&file.path))
                .find(|id| id.name == name)
        };
        let builtin = || {
            self.builtin_table()
                .values()
                .any(|b| matches!(&b.source, BlockSource::Builtin { crate_name } if crate_name == name))
                .then(|| PluginId::builtin(name))
        };
        let found = match kind {
            Some(PluginKind::Plugin) => file(),
            Some(PluginKind::Builtin) => builtin(),
            None => match (file(), builtin()) {
                (Some(_), Some(_)) => {
                    return Err(PluginLookupError::Ambiguous {
                        name: name.to_string(),
                    });
                }
                (file, builtin) => file.or(builtin),
            },
        };
        found.ok_or_else(|| PluginLookupError::NotFound {
            name: name.to_string(),
            kind,
        })
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
                file.error().map(|error| PluginFailure {
                    path: file.path.clone(),
                    error: error.to_string(),
                })
            })
            .collect()
    }
}

/// A plugin file a scan found new or changed, to be loaded.
struct PendingLoad {
    path: PathBuf,
    component: HashedComponent,
}

/// The loads a scan started and has not finished. Should the scan be dropped midway (its
/// caller cancelled), their files are forgotten rather than left loading forever; the next
/// scan loads them again.
struct UnfinishedLoads<'a> {
    registry: &'a Registry,
    loads: Vec<(PathBuf, String)>,
}

impl Drop for UnfinishedLoads<'_> {
    fn drop(&mut self) {
        if self.loads.is_empty() {
            return;
        }
        let mut loaded = self.registry.write();
        let mut forgotten = false;
        for (path, content_hash) in &self.loads {
            let Some(entry) = loaded.entries.get_mut(path) else {
                continue;
            };
            let LoadState::Loading { previous } = &entry.state else {
                continue;
            };
            if &entry.content_hash != content_hash {
                continue;
            }
            // Back to the previous block, under no hash, so the next scan loads the file.
            match previous.clone() {
                Some(block) => {
                    entry.state = LoadState::Loaded(block);
                    entry.content_hash.clear();
                }
                None => {
                    loaded.entries.remove(path);
                }
            }
            forgotten = true;
        }
        if forgotten {
            self.registry.publish(&mut loaded);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_builtins_of_one_type_name_are_refused_naming_both_crates() {
        assert!(
            refuse_duplicate_types([
                ("text_generator", "TextGenerator"),
                ("validator", "ValidatorBlock"),
            ])
            .is_ok()
        );
        let refused = refuse_duplicate_types([
            ("text_generator", "TextGenerator"),
            ("validator", "ValidatorBlock"),
            ("text_generator_v2", "TextGenerator"),
        ])
        .expect_err("a duplicate type");
        let message = refused.to_string();
        for part in [
            "TextGenerator",
            "plugins/text_generator)",
            "plugins/text_generator_v2)",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
        assert!(!message.contains("validator"), "{message}");
    }
}
