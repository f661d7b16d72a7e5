//! Key-value storage behind the `kv` host import.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Which runs share a key space: one job, or every job of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvNamespace {
    /// Shared by the runs of one job (or CLI invocation).
    Job(String),
    /// Shared by every job of one pipeline.
    Pipeline(String),
}

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KvError {
    /// A key or value is larger than allowed.
    #[error("{what} is {size} bytes, above the limit of {limit} bytes")]
    TooLarge {
        /// `key` or `value`.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The namespace holds too many keys.
    #[error("the {scope} store holds {limit} keys, its limit")]
    Full {
        /// `job` or `pipeline`.
        scope: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// Storage for the `kv` import. Implementations must make `set_if_absent` atomic.
pub trait KvStore: Send + Sync + 'static {
    /// The value of `key`.
    fn get(&self, ns: &KvNamespace, key: &str) -> Result<Option<String>, KvError>;
    /// Stores `value` under `key`.
    fn set(&self, ns: &KvNamespace, key: &str, value: &str) -> Result<(), KvError>;
    /// Stores `value` only if `key` is absent; `true` when stored.
    fn set_if_absent(&self, ns: &KvNamespace, key: &str, value: &str) -> Result<bool, KvError>;
    /// Removes `key`; `true` when it existed.
    fn delete(&self, ns: &KvNamespace, key: &str) -> Result<bool, KvError>;
    /// Keys starting with `prefix`, sorted, at most `limit`.
    fn keys(&self, ns: &KvNamespace, prefix: &str, limit: usize) -> Result<Vec<String>, KvError>;
}

/// Limits every store enforces, so a block cannot fill the host's memory or disk.
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Most keys in one namespace.
pub const MAX_KEYS_PER_NAMESPACE: usize = 1_000_000;

/// Checks key and value sizes against the limits.
pub fn check_sizes(key: &str, value: Option<&str>) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::TooLarge {
            what: "key",
            size: key.len(),
            limit: MAX_KEY_BYTES,
        });
    }
    if let Some(value) = value
        && value.len() > MAX_VALUE_BYTES
    {
        return Err(KvError::TooLarge {
            what: "value",
            size: value.len(),
            limit: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

/// An in-process store, for the CLI and tests; gone when the process ends.
#[derive(Default)]
pub struct MemoryKv {
    spaces: Mutex<HashMap<KvNamespace, BTreeMap<String, String>>>,
}

impl MemoryKv {
    fn with<R>(&self, ns: &KvNamespace, f: impl FnOnce(&mut BTreeMap<String, String>) -> R) -> R {
        let mut spaces = self
            .spaces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(spaces.entry(ns.clone()).or_default())
    }
}

fn ensure_room(
    space: &BTreeMap<String, String>,
    ns: &KvNamespace,
    key: &str,
) -> Result<(), KvError> {
    if space.len() >= MAX_KEYS_PER_NAMESPACE && !space.contains_key(key) {
        let scope = match ns {
            KvNamespace::Job(_) => "job",
            KvNamespace::Pipeline(_) => "pipeline",
        };
        return Err(KvError::Full {
            scope,
            limit: MAX_KEYS_PER_NAMESPACE,
        });
    }
    Ok(())
}

impl KvStore for MemoryKv {
    fn get(&self, ns: &KvNamespace, key: &str) -> Result<Option<String>, KvError> {
        Ok(self.with(ns, |space| space.get(key).cloned()))
    }

    fn set(&self, ns: &KvNamespace, key: &str, value: &str) -> Result<(), KvError> {
        check_sizes(key, Some(value))?;
        self.with(ns, |space| {
            ensure_room(space, ns, key)?;
            space.insert(key.to_owned(), value.to_owned());
            Ok(())
        })
    }

    fn set_if_absent(&self, ns: &KvNamespace, key: &str, value: &str) -> Result<bool, KvError> {
        check_sizes(key, Some(value))?;
        self.with(ns, |space| {
            if space.contains_key(key) {
                return Ok(false);
            }
            ensure_room(space, ns, key)?;
            space.insert(key.to_owned(), value.to_owned());
            Ok(true)
        })
    }

    fn delete(&self, ns: &KvNamespace, key: &str) -> Result<bool, KvError> {
        Ok(self.with(ns, |space| space.remove(key).is_some()))
    }

    fn keys(&self, ns: &KvNamespace, prefix: &str, limit: usize) -> Result<Vec<String>, KvError> {
        Ok(self.with(ns, |space| {
            space
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit)
                .map(|(k, _)| k.clone())
                .collect()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_separate_and_set_if_absent_claims_once() {
        let kv = MemoryKv::default();
        let a = KvNamespace::Job("a".into());
        let b = KvNamespace::Job("b".into());
        assert!(kv.set_if_absent(&a, "h1", "x").unwrap());
        assert!(!kv.set_if_absent(&a, "h1", "y").unwrap());
        assert_eq!(kv.get(&a, "h1").unwrap().as_deref(), Some("x"));
        assert_eq!(kv.get(&b, "h1").unwrap(), None);
        kv.set(&a, "h2", "z").unwrap();
        kv.set(&a, "other", "z").unwrap();
        assert_eq!(kv.keys(&a, "h", 10).unwrap(), vec!["h1", "h2"]);
        assert!(kv.delete(&a, "h1").unwrap());
        assert!(!kv.delete(&a, "h1").unwrap());
    }

    #[test]
    fn oversized_values_are_refused() {
        let kv = MemoryKv::default();
        let big = "x".repeat(MAX_VALUE_BYTES + 1);
        let err = kv
            .set(&KvNamespace::Pipeline("p".into()), "k", &big)
            .unwrap_err();
        assert!(matches!(err, KvError::TooLarge { what: "value", .. }));
    }
}
