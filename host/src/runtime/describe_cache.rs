//! What `describe()` returned for a builtin component, kept in the compile cache's folder
//! beside its compiled form, so a start lists the builtin blocks without compiling, mapping or
//! instantiating any of them: each is linked on its first call. Only a mapped component takes
//! memory, and thirty builtins mapped and described at every start took tens of MiB.
//!
//! The file holds `describe()`'s answer as the guest gave it (in the newest contract's shape),
//! not the host's reading of it: the host checks it again at each start, so a host whose
//! checks changed never trusts an older reading. It is keyed by the component's content hash
//! alone: `describe()` is a function of the component (it may only log).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::bindings::Version;
use super::bindings::blockforge::block::types as wit;
use super::compile_cache::{store_atomically, trusted};

/// Largest description file read back; a larger one is not a description this host wrote
/// (the config schema's bound is 256 KiB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The version of the file's shape, in its name: a host that writes another shape never reads
/// this one.
const FORMAT: &str = "describe-v1";

/// A directory of `<content hash>.describe-v1.json` files; `None` keeps nothing.
#[derive(Debug, Clone)]
pub struct DescribeCache {
    dir: Option<PathBuf>,
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
    /// Descriptions kept in `dir` (the compile cache's folder).
    pub fn new(dir: Option<PathBuf>) -> Self {
        DescribeCache { dir }
    }

    fn path_for(&self, content_hash: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(format!("{content_hash}.{FORMAT}.json")))
    }

    /// The description kept for the component of `content_hash`; `None` when there is none
    /// or it cannot be used (unreadable, not ours, another shape, a contract version this
    /// host does not run), so the caller describes the component again.
    pub fn read(&self, content_hash: &str) -> Option<wit::BlockInfo> {
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
        described.into_wit()
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
            multiplier: matches!(info.kind, wit::BlockKind::Multiplier),
        }
    }

    fn into_wit(self) -> Option<wit::BlockInfo> {
        Version::of_exports([self.guest_export.as_str()])?;
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
        Some(info)
    }
}

/// Every capability of the newest contract with its name in the file.
const CAPABILITIES: [(wit::Capability, &str); 4] = [
    (wit::Capability::Llm, "llm"),
    (wit::Capability::Embeddings, "embeddings"),
    (wit::Capability::Kv, "kv"),
    (wit::Capability::Http, "http"),
];

fn capability_name(capability: wit::Capability) -> &'static str {
    CAPABILITIES
        .iter()
        .find(|(known, _)| *known == capability)
        .map_or("", |(_, name)| name)
}

fn capability_named(name: &str) -> Option<wit::Capability> {
    CAPABILITIES
        .iter()
        .find(|(_, known)| *known == name)
        .map(|(capability, _)| *capability)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn private_dir() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        dir
    }

    #[test]
    fn a_kept_description_reads_back_the_same() {
        let dir = private_dir();
        let cache = DescribeCache::new(Some(dir.path().to_owned()));
        assert!(cache.read("abc").is_none());
        cache.write("abc", Version::V0_1_0, &info());
        let read = cache.read("abc").expect("kept");
        assert_eq!(
            Described::of(Version::V0_1_0, &read),
            Described::of(Version::V0_1_0, &info())
        );
        assert!(cache.read("other").is_none());
    }

    #[test]
    fn unusable_files_are_not_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir();
        let cache = DescribeCache::new(Some(dir.path().to_owned()));
        let path = dir.path().join(format!("bad.{FORMAT}.json"));
        std::fs::write(&path, "not json").expect("write");
        assert!(cache.read("bad").is_none());
        // Another version's export or an unknown capability: described again.
        let mut described = Described::of(Version::V0_2_0, &info());
        described.guest_export = "blockforge:block/guest@9.0.0".to_owned();
        std::fs::write(&path, serde_json::to_vec(&described).expect("json")).expect("write");
        assert!(cache.read("bad").is_none());
        let mut described = Described::of(Version::V0_2_0, &info());
        described.capabilities.push("files".to_owned());
        std::fs::write(&path, serde_json::to_vec(&described).expect("json")).expect("write");
        assert!(cache.read("bad").is_none());
        // A file others may write is never trusted.
        cache.write("shared", Version::V0_2_0, &info());
        let shared = dir.path().join(format!("shared.{FORMAT}.json"));
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(cache.read("shared").is_none());
        // None without a folder.
        let none = DescribeCache::new(None);
        none.write("abc", Version::V0_2_0, &info());
        assert!(none.read("abc").is_none());
    }
}
