//! Key-value storage behind the `kv` host import.

pub mod quota;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

pub use quota::{KvQuota, KvUsage, QuotaExceeded};

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
    /// The database failed.
    #[error("kv storage failed: {0}")]
    Storage(String),
    /// The write would pass the namespace's quota of keys or bytes; nothing was written.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
}

/// Storage for the `kv` import: in memory for the CLI ([`MemoryKv`]), in the database for the
/// server and workers (`store::kv`), so dedup state survives restarts and is shared by every
/// worker. Implementations must make `set_if_absent` atomic.
pub trait KvStore: Send + Sync + 'static {
    /// The value of `key`.
    fn get<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, Option<String>>;
    /// The quota every namespace of this store is held to.
    fn quota(&self) -> KvQuota;
    /// Stores `value` under `key`, within `quota` as well as the store's own (a plugin's
    /// grant may give less than the server does).
    fn set_within<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
        quota: KvQuota,
    ) -> KvFuture<'a, ()>;
    /// Stores `value` only if `key` is absent, within `quota` as well as the store's own;
    /// `true` when stored.
    fn set_if_absent_within<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
        quota: KvQuota,
    ) -> KvFuture<'a, bool>;
    /// Stores `value` under `key`, within the store's quota.
    fn set<'a>(&'a self, ns: &'a KvNamespace, key: &'a str, value: &'a str) -> KvFuture<'a, ()> {
        self.set_within(ns, key, value, self.quota())
    }
    /// Stores `value` only if `key` is absent, within the store's quota; `true` when stored.
    fn set_if_absent<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
    ) -> KvFuture<'a, bool> {
        self.set_if_absent_within(ns, key, value, self.quota())
    }
    /// Removes `key`; `true` when it existed.
    fn delete<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, bool>;
    /// Keys starting with `prefix`, sorted, at most `limit`.
    fn keys<'a>(
        &'a self,
        ns: &'a KvNamespace,
        prefix: &'a str,
        limit: usize,
    ) -> KvFuture<'a, Vec<String>>;
}

/// What a [`KvStore`] operation returns.
pub type KvFuture<'a, T> = futures::future::BoxFuture<'a, Result<T, KvError>>;

/// Limits every store enforces, so a block cannot fill the host's memory or disk: a key and a
/// value are bounded here, a namespace's keys and bytes by its [`KvQuota`].
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

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
    spaces: Mutex<HashMap<KvNamespace, Space>>,
    quota: KvQuota,
}

#[derive(Default)]
struct Space {
    entries: BTreeMap<String, String>,
    usage: KvUsage,
}

impl KvNamespace {
    /// The namespace as stored and named in errors: `job:<id>` or `pipeline:<id>`.
    pub fn stored_name(&self) -> String {
        match self {
            KvNamespace::Job(id) => format!("job:{id}"),
            KvNamespace::Pipeline(id) => format!("pipeline:{id}"),
        }
    }
}

impl MemoryKv {
    /// An empty store whose namespaces are bounded by `quota`.
    pub fn new(quota: KvQuota) -> Self {
        MemoryKv {
            spaces: Mutex::default(),
            quota,
        }
    }

    fn with<R>(&self, ns: &KvNamespace, f: impl FnOnce(&mut Space) -> R) -> R {
        let mut spaces = self
            .spaces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(spaces.entry(ns.clone()).or_default())
    }
}

impl Space {
    /// Stores `value` under `key` if the namespace's quota allows it.
    fn put(
        &mut self,
        quota: &KvQuota,
        ns: &KvNamespace,
        key: &str,
        value: &str,
    ) -> Result<(), KvError> {
        let old = self.entries.get(key).map(|v| KvUsage::entry_bytes(key, v));
        self.usage = quota.admit(&ns.stored_name(), self.usage, old, key, value)?;
        self.entries.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

impl MemoryKv {
    fn get_now(&self, ns: &KvNamespace, key: &str) -> Option<String> {
        self.with(ns, |space| space.entries.get(key).cloned())
    }

    fn set_now(
        &self,
        ns: &KvNamespace,
        key: &str,
        value: &str,
        quota: KvQuota,
    ) -> Result<(), KvError> {
        check_sizes(key, Some(value))?;
        let quota = quota.tighter(&self.quota);
        self.with(ns, |space| space.put(&quota, ns, key, value))
    }

    fn set_if_absent_now(
        &self,
        ns: &KvNamespace,
        key: &str,
        value: &str,
        quota: KvQuota,
    ) -> Result<bool, KvError> {
        check_sizes(key, Some(value))?;
        let quota = quota.tighter(&self.quota);
        self.with(ns, |space| {
            if space.entries.contains_key(key) {
                return Ok(false);
            }
            space.put(&quota, ns, key, value).map(|()| true)
        })
    }

    fn delete_now(&self, ns: &KvNamespace, key: &str) -> bool {
        self.with(ns, |space| match space.entries.remove(key) {
            Some(value) => {
                space.usage = KvQuota::removed(space.usage, KvUsage::entry_bytes(key, &value));
                true
            }
            None => false,
        })
    }

    fn keys_now(&self, ns: &KvNamespace, prefix: &str, limit: usize) -> Vec<String> {
        self.with(ns, |space| {
            space
                .entries
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit)
                .map(|(k, _)| k.clone())
                .collect()
        })
    }
}

impl KvStore for MemoryKv {
    fn get<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, Option<String>> {
        Box::pin(std::future::ready(Ok(self.get_now(ns, key))))
    }

    fn quota(&self) -> KvQuota {
        self.quota
    }

    fn set_within<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
        quota: KvQuota,
    ) -> KvFuture<'a, ()> {
        Box::pin(std::future::ready(self.set_now(ns, key, value, quota)))
    }

    fn set_if_absent_within<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
        quota: KvQuota,
    ) -> KvFuture<'a, bool> {
        Box::pin(std::future::ready(
            self.set_if_absent_now(ns, key, value, quota),
        ))
    }

    fn delete<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, bool> {
        Box::pin(std::future::ready(Ok(self.delete_now(ns, key))))
    }

    fn keys<'a>(
        &'a self,
        ns: &'a KvNamespace,
        prefix: &'a str,
        limit: usize,
    ) -> KvFuture<'a, Vec<String>> {
        Box::pin(std::future::ready(Ok(self.keys_now(ns, prefix, limit))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn namespaces_are_separate_and_set_if_absent_claims_once() {
        let kv = MemoryKv::default();
        let a = KvNamespace::Job("a".into());
        let b = KvNamespace::Job("b".into());
        assert!(kv.set_if_absent(&a, "h1", "x").await.unwrap());
        assert!(!kv.set_if_absent(&a, "h1", "y").await.unwrap());
        assert_eq!(kv.get(&a, "h1").await.unwrap().as_deref(), Some("x"));
        assert_eq!(kv.get(&b, "h1").await.unwrap(), None);
        kv.set(&a, "h2", "z").await.unwrap();
        kv.set(&a, "other", "z").await.unwrap();
        assert_eq!(kv.keys(&a, "h", 10).await.unwrap(), vec!["h1", "h2"]);
        assert!(kv.delete(&a, "h1").await.unwrap());
        assert!(!kv.delete(&a, "h1").await.unwrap());
    }

    #[tokio::test]
    async fn a_write_is_held_to_the_tighter_of_its_quota_and_the_stores() {
        let kv = MemoryKv::new(KvQuota {
            max_keys: 3,
            max_bytes: 1000,
        });
        let ns = KvNamespace::Job("q".into());
        let plugin = KvQuota {
            max_keys: 1,
            max_bytes: u64::MAX,
        };
        kv.set_within(&ns, "a", "1", plugin).await.unwrap();
        let err = kv.set_if_absent_within(&ns, "b", "2", plugin).await;
        assert!(matches!(err, Err(KvError::Quota(_))), "{err:?}");
        // A looser quota than the store's is the store's.
        let loose = KvQuota {
            max_keys: 100,
            max_bytes: u64::MAX,
        };
        kv.set_within(&ns, "b", "2", loose).await.unwrap();
        kv.set_within(&ns, "c", "3", loose).await.unwrap();
        let err = kv.set_within(&ns, "d", "4", loose).await;
        assert!(matches!(err, Err(KvError::Quota(_))), "{err:?}");
    }

    #[tokio::test]
    async fn oversized_values_are_refused() {
        let kv = MemoryKv::default();
        let big = "x".repeat(MAX_VALUE_BYTES + 1);
        let err = kv
            .set(&KvNamespace::Pipeline("p".into()), "k", &big)
            .await
            .unwrap_err();
        assert!(matches!(err, KvError::TooLarge { what: "value", .. }));
    }

    #[tokio::test]
    async fn the_quota_refuses_a_write_and_keeps_what_was_there() {
        let kv = MemoryKv::new(KvQuota {
            max_keys: 2,
            max_bytes: 1000,
        });
        let ns = KvNamespace::Job("9".into());
        kv.set(&ns, "a", "1").await.unwrap();
        assert!(kv.set_if_absent(&ns, "b", "2").await.unwrap());
        let err = kv.set(&ns, "c", "3").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "kv quota: namespace job:9 holds 2 keys, the limit is 2"
        );
        assert_eq!(kv.get(&ns, "c").await.unwrap(), None);
        assert!(kv.delete(&ns, "a").await.unwrap());
        kv.set(&ns, "c", "3").await.unwrap();
    }
}
