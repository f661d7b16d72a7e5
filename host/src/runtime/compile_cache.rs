//! On-disk cache of compiled components, keyed by the component's content hash and the
//! engine's compatibility hash, so a second start does not recompile (Python and JS blocks take
//! seconds to compile).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a component came from on this load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Read from the cache.
    Hit,
    /// Compiled now (and stored, when a cache directory is set).
    Compiled,
}

/// A directory of `<hash>.cwasm` files. `None` disables caching.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir` for artifacts of `engine`.
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        // `precompile_compatibility_hash` covers the wasmtime version and every setting that
        // changes generated code.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());
        CompileCache { dir, engine_key }
    }

    /// The SHA-256 of `bytes`, hex-encoded: the identity of a component's content.
    pub fn content_hash(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// The engine's key in the cache's file names: a hash of wasmtime's version and of every
    /// setting that changes generated code.
    pub fn engine_key(&self) -> &str {
        &self.engine_key
    }

    /// Where the compiled form of the component of `content_hash` is kept, if anywhere.
    pub(super) fn path_for(&self, content_hash: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(format!("{content_hash}-{}.cwasm", self.engine_key)))
    }

    /// Whether [`CompileCache::load`] of the component of `content_hash` would read it from
    /// the cache instead of compiling it (a 12 to 19 MB Python or JavaScript component takes
    /// seconds to a minute): `block test` says so before a compile.
    pub fn is_compiled(&self, content_hash: &str) -> bool {
        self.path_for(content_hash)
            .is_some_and(|path| path.exists() && trusted(&path))
    }

    /// Loads the compiled form of `bytes`, compiling and storing it on a miss. A corrupt or
    /// incompatible cache entry is replaced, never trusted.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        content_hash: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(path) = self.path_for(content_hash) else {
            return Ok((Component::new(engine, bytes)?, CacheOutcome::Compiled));
        };
        if path.exists() && trusted(&path) {
            // SAFETY: `trusted` checked that the file and its folder belong to this user and
            // nobody else can write them, so the file is what `Component::serialize` of an
            // engine with the same compatibility hash (in the name) wrote; wasmtime also checks
            // the header before using it.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compiled component")
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = store_atomically(&path, &component.serialize()?) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write compile cache");
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

/// Whether a compiled file may be loaded: compiled code runs outside the sandbox, so the file
/// and its folder must belong to this user and be writable by nobody else.
pub(super) fn trusted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let uid = rustix::process::geteuid().as_raw();
    let safe =
        |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.uid() == uid && m.mode() & 0o022 == 0);
    let ok = safe(path) && path.parent().is_some_and(safe);
    if !ok {
        tracing::warn!(path = %path.display(), "ignoring a cached file (compiled component or block description) not owned by this user or writable by others");
    }
    ok
}

/// Writes `path` in one step (see [`crate::atomic_file`]) in a folder created private (0700).
pub(super) fn store_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    crate::atomic_file::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// The smallest component, a header alone: it compiles, and exports nothing.
    static EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn a_component_is_compiled_once_its_load_stored_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let engine = Engine::default();
        let hash = CompileCache::content_hash(EMPTY_COMPONENT);
        let cache = CompileCache::new(Some(dir.path().join("cache")), &engine);
        assert!(!cache.is_compiled(&hash));
        let (_, outcome) = cache
            .load(&engine, EMPTY_COMPONENT, &hash)
            .expect("compiles");
        assert_eq!(outcome, CacheOutcome::Compiled);
        assert!(cache.is_compiled(&hash));
        let (_, outcome) = cache.load(&engine, EMPTY_COMPONENT, &hash).expect("loads");
        assert_eq!(outcome, CacheOutcome::Hit);
        // Without a folder nothing is kept: every load compiles.
        assert!(!CompileCache::new(None, &engine).is_compiled(&hash));
    }
}
