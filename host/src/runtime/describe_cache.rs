//! What `describe()` returned for a builtin component, kept in the compile cache's folder
//! beside its compiled form, so a start lists the builtin blocks without compiling, mapping or
//! instantiating any of them: each is linked on its first call, which describes it again and
//! compares (see `Runtime::load_builtin`). Only a mapped component takes memory, and thirty
//! builtins mapped and described at every start took tens of MiB.
//!
//! The file holds `describe()`'s answer as the guest gave it (in the newest contract's shape),
//! not the host's reading of it: the host checks it again at each start, so a host whose
//! checks changed never trusts an older reading. It is named by the component's content hash,
//! the engine's key (wasmtime's version and settings) and the describe key of build.rs (the
//! WIT files and the host's version): whatever else could change the answer without changing
//! the component's bytes changes the name, so an older host's file is never read.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::bindings::Version;
use super::bindings::blockforge::block::types as wit;
use super::compile_cache::{store_atomically, trusted};

include!(concat!(env!("OUT_DIR"), "/describe_key.rs"));

/// Largest description file read back; a larger one is not a description this host wrote
/// (the config schema's bound is 256 KiB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The version of the file's shape, in its name: a host that writes another shape never reads
/// this one.
const FORMAT: &str = "describe-v1";

/// A directory of `<content hash>-<engine key>-<describe key>.describe-v1.json` files; `None`
/// keeps nothing.
#[derive(Debug, Clone)]
pub struct DescribeCache {
    dir: Option<PathBuf>,
    /// The engine's key and build.rs's describe key, in every file name.
    key: String,
}

/// What a component's `describe()` returned, with the contract version it targets.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The version the component targets.
    pub version: Version,
    /// `describe()`'s answer.
    pub info: wit::BlockInfo,
}

/// One component's description as the file holds it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Described {
    /// The guest export naming the contract version the component targets.
    guest_export: String,
    type_name: String,
    name: String,
    description: String,
    category: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    config_schema: String,
    capabilities: Vec<String>,
    multiplier: bool,
}

impl DescribeCache {
    /// Descriptions kept in `dir` (the compile cache's folder) for an engine of `engine_key`
    /// ([`super::CompileCache::engine_key`]).
    pub fn new(dir: Option<PathBuf>, engine_key: &str) -> Self {
        DescribeCache {
            dir,
            key: format!("{engine_key}-{DESCRIBE_BUILD_KEY}"),
        }
    }

    fn path_for(&self, content_hash: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(format!("{content_hash}-{}.{FORMAT}.json", self.key)))
    }

    /// The description kept for the component of `content_hash`; `None` when there is none
    /// or it cannot be used (unreadable, not ours, another shape, a contract version this
    /// host does not run), so the caller describes the component again.
    pub fn read(&self, content_hash: &str) -> Option<Kept> {
        let path = self.path_for(content_hash)?;
        let size = std::fs::metadata(&path).ok()?.len();
        if size > MAX_FILE_BYTES || !trusted(&path) {
            return None;
        }
        let text = std::fs::read(&path).ok()?;
        let described: Described = match serde_json::from_slice(&text) {
            Ok(described) => described,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable block description");
                return None;
            }
        };
        described.into_kept()
    }

    /// Keeps `info`, what the component of `content_hash` (targeting `version`) described.
    /// A failure to write is logged: the next start describes the component again.
    pub fn write(&self, content_hash: &str, version: Version, info: &wit::BlockInfo) {
        let Some(path) = self.path_for(content_hash) else {
            return;
        };
        let written = serde_json::to_vec(&Described::of(version, info))
            .map_err(std::io::Error::other)
            .and_then(|bytes| store_atomically(&path, &bytes));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "cannot keep a block description");
        }
    }

    /// Drops the description kept for the component of `content_hash`, so the next start
    /// describes it again. A failure other than "there is none" is logged.
    pub fn remove(&self, content_hash: &str) {
        let Some(path) = self.path_for(content_hash) else {
            return;
        };
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), error = %e, "cannot drop a block description")
            }
            Ok(()) | Err(_) => {}
        }
    }
}

/// The fields in which two descriptions differ, by their names in the file; empty when they
/// are the same.
pub fn differences(kept: &Kept, described: &Kept) -> Vec<&'static str> {
    let Described {
        guest_export,
        type_name,
        name,
        description,
        category,
        inputs,
        outputs,
        config_schema,
        capabilities,
        multiplier,
    } = Described::of(kept.version, &kept.info);
    let other = Described::of(described.version, &described.info);
    [
        ("guest_export", guest_export == other.guest_export),
        ("type_name", type_name == other.type_name),
        ("name", name == other.name),
        ("description", description == other.description),
        ("category", category == other.category),
        ("inputs", inputs == other.inputs),
        ("outputs", outputs == other.outputs),
        ("config_schema", config_schema == other.config_schema),
        ("capabilities", capabilities == other.capabilities),
        ("multiplier", multiplier == other.multiplier),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(field, _)| field)
    .collect()
}

impl Described {
    fn of(version: Version, info: &wit::BlockInfo) -> Self {
        Described {
            guest_export: version.guest_export().to_owned(),
            type_name: info.type_name.clone(),
            name: info.name.clone(),
            description: info.description.clone(),
            category: info.category.clone(),
            inputs: info.inputs.clone(),
            outputs: info.outputs.clone(),
            config_schema: info.config_schema.clone(),
            capabilities: info
                .capabilities
                .iter()
                .map(|capability| capability_name(*capability).to_owned())
                .collect(),
            multiplier: match info.kind {
                wit::BlockKind::Multiplier => true,
                wit::BlockKind::Transform => false,
            },
        }
    }

    fn into_kept(self) -> Option<Kept> {
        let version = Version::of_exports([self.guest_export.as_str()])?;
        let capabilities = self
            .capabilities
            .iter()
            .map(|name| capability_named(name))
            .collect::<Option<Vec<_>>>()?;
        let info = wit::BlockInfo {
            type_name: self.type_name,
            name: self.name,
            description: self.description,
            category: self.category,
            inputs: self.inputs,
            outputs: self.outputs,
            config_schema: self.config_schema,
            capabilities,
            kind: if self.multiplier {
                wit::BlockKind::Multiplier
            } else {
                wit::BlockKind::Transform
            },
        };
        Some(Kept { version, info })
    }
}

/// A capability's name in the file. Exhaustive: a capability added to the contract must be
/// given a name here (and in [`capability_named`]) before the host builds.
fn capability_name(capability: wit::Capability) -> &'static str {
    match capability {
        wit::Capability::Llm => "llm",
        wit::Capability::Embeddings => "embeddings",
        wit::Capability::Kv => "kv",
        wit::Capability::Http => "http",
    }
}

/// The capability a file names; `None` for a name this host does not know.
fn capability_named(name: &str) -> Option<wit::Capability> {
    let capability = match name {
        "llm" => wit::Capability::Llm,
        "embeddings" => wit::Capability::Embeddings,
        "kv" => wit::Capability::Kv,
        "http" => wit::Capability::Http,
        _ => return None,
    };
    Some(capability)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const ENGINE: &str = "0123456789abcdef";

    fn info() -> wit::BlockInfo {
        wit::BlockInfo {
            type_name: "Chunker".to_owned(),
            name: "Chunker".to_owned(),
            description: "cuts".to_owned(),
            category: "seeders".to_owned(),
            inputs: vec!["file_content".to_owned()],
            outputs: vec!["chunk".to_owned()],
            config_schema: r#"{"type":"object"}"#.to_owned(),
            capabilities: vec![wit::Capability::Kv, wit::Capability::Http],
            kind: wit::BlockKind::Multiplier,
        }
    }

    fn kept(version: Version, info: wit::BlockInfo) -> Kept {
        Kept { version, info }
    }

    fn private_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        dir
    }

    /// Writes `described` where `cache` keeps the description of `content_hash`, with a mode
    /// set explicitly (0600, as the cache writes its files), never one the process umask
    /// picks: a group- or world-writable file is refused for that alone, which would hide
    /// what a test means to check.
    fn write_private(cache: &DescribeCache, content_hash: &str, bytes: &[u8]) {
        let path = cache.path_for(content_hash).expect("a folder");
        std::fs::write(&path, bytes).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    #[test]
    fn a_kept_description_reads_back_the_same() {
        let dir = private_dir();
        let cache = DescribeCache::new(Some(dir.path().to_owned()), ENGINE);
        assert!(cache.read("abc").is_none());
        cache.write("abc", Version::V0_1_0, &info());
        let read = cache.read("abc").expect("kept");
        assert_eq!(read.version, Version::V0_1_0);
        assert!(differences(&read, &kept(Version::V0_1_0, info())).is_empty());
        assert!(cache.read("other").is_none());
        cache.remove("abc");
        assert!(cache.read("abc").is_none());
        // Dropping what is not there is no error.
        cache.remove("abc");
    }

    #[test]
    fn unusable_files_are_not_read() {
        let dir = private_dir();
        let cache = DescribeCache::new(Some(dir.path().to_owned()), ENGINE);
        let json = |described: &Described| serde_json::to_vec(described).expect("json");
        // The control: a file written by hand the same way, that is usable, is read, so the
        // refusals below are for what each file holds.
        write_private(
            &cache,
            "bad",
            &json(&Described::of(Version::V0_2_0, &info())),
        );
        assert!(cache.read("bad").is_some());
        write_private(&cache, "bad", b"not json");
        assert!(cache.read("bad").is_none());
        // Another version's export or an unknown capability: described again.
        let mut described = Described::of(Version::V0_2_0, &info());
        described.guest_export = "blockforge:block/guest@9.0.0".to_owned();
        write_private(&cache, "bad", &json(&described));
        assert!(cache.read("bad").is_none());
        let mut described = Described::of(Version::V0_2_0, &info());
        described.capabilities.push("files".to_owned());
        write_private(&cache, "bad", &json(&described));
        assert!(cache.read("bad").is_none());
        // A file others may write is never trusted.
        cache.write("shared", Version::V0_2_0, &info());
        assert!(cache.read("shared").is_some());
        let shared = cache.path_for("shared").expect("a folder");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(cache.read("shared").is_none());
        // None without a folder.
        let none = DescribeCache::new(None, ENGINE);
        none.write("abc", Version::V0_2_0, &info());
        assert!(none.read("abc").is_none());
    }

    /// A description is named by what else its answer depends on: another engine (another
    /// wasmtime or other settings) or another build key (other WIT files, another host
    /// version) never reads it.
    #[test]
    fn a_description_kept_under_another_key_is_not_read() {
        let dir = private_dir();
        let folder = || Some(dir.path().to_owned());
        DescribeCache::new(folder(), ENGINE).write("abc", Version::V0_2_0, &info());
        assert!(DescribeCache::new(folder(), ENGINE).read("abc").is_some());
        assert!(
            DescribeCache::new(folder(), "fedcba9876543210")
                .read("abc")
                .is_none()
        );
        let other_build = DescribeCache {
            dir: folder(),
            key: format!("{ENGINE}-0000000000000000"),
        };
        assert!(other_build.read("abc").is_none());
        let name = DescribeCache::new(folder(), ENGINE)
            .path_for("abc")
            .and_then(|path| path.file_name()?.to_str().map(str::to_owned))
            .expect("a file name");
        assert_eq!(
            name,
            format!("abc-{ENGINE}-{DESCRIBE_BUILD_KEY}.describe-v1.json")
        );
        assert_eq!(DESCRIBE_BUILD_KEY.len(), 16, "{DESCRIBE_BUILD_KEY}");
    }

    #[test]
    fn differences_name_each_field_that_differs() {
        let same = kept(Version::V0_2_0, info());
        assert!(differences(&same, &kept(Version::V0_2_0, info())).is_empty());
        let mut other = info();
        other.description = "splits".to_owned();
        other.capabilities = vec![wit::Capability::Kv];
        other.kind = wit::BlockKind::Transform;
        assert_eq!(
            differences(&same, &kept(Version::V0_2_0, other)),
            ["description", "capabilities", "multiplier"]
        );
        assert_eq!(
            differences(&same, &kept(Version::V0_1_0, info())),
            ["guest_export"]
        );
    }

    #[test]
    fn every_capability_reads_back_by_its_name() {
        for capability in [
            wit::Capability::Llm,
            wit::Capability::Embeddings,
            wit::Capability::Kv,
            wit::Capability::Http,
        ] {
            assert_eq!(
                capability_named(capability_name(capability)),
                Some(capability)
            );
        }
        assert_eq!(capability_named("files"), None);
    }
}
