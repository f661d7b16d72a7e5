//! How much one `kv` namespace may hold: keys and bytes (keys plus values), the same limits in
//! the CLI's in-memory store and the database-backed one. The arithmetic lives here, apart from
//! either store, so both refuse the same writes with the same numbers.

use super::KvError;

/// Default most keys in one namespace (`KV_MAX_KEYS_PER_NAMESPACE`).
pub const DEFAULT_MAX_KEYS: u64 = 1_000_000;
/// Default most bytes, keys and values, in one namespace (`KV_MAX_BYTES_PER_NAMESPACE`).
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The limits of one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvQuota {
    /// Most keys.
    pub max_keys: u64,
    /// Most bytes (keys and values).
    pub max_bytes: u64,
}

impl KvQuota {
    /// The tighter of `self` and `other`, limit by limit.
    pub fn tighter(&self, other: &KvQuota) -> KvQuota {
        KvQuota {
            max_keys: self.max_keys.min(other.max_keys),
            max_bytes: self.max_bytes.min(other.max_bytes),
        }
    }
}

impl Default for KvQuota {
    fn default() -> Self {
        KvQuota {
            max_keys: DEFAULT_MAX_KEYS,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What a namespace holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvUsage {
    /// Keys stored.
    pub keys: u64,
    /// Bytes of keys and values stored.
    pub bytes: u64,
}

/// Which limit a write would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaResource {
    /// The number of keys.
    Keys,
    /// The bytes of keys and values.
    Bytes,
}

/// A write refused by the namespace's quota, with the numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct QuotaExceeded {
    /// The namespace as stored: `job:<id>` or `pipeline:<id>`.
    pub namespace: String,
    /// The limit passed.
    pub resource: QuotaResource,
    /// What the namespace holds (keys or bytes).
    pub held: u64,
    /// What the write would add.
    pub adding: u64,
    /// The limit.
    pub limit: u64,
}

impl QuotaExceeded {
    fn describe(&self) -> String {
        match self.resource {
            QuotaResource::Keys => format!(
                "kv quota: namespace {} holds {} keys, the limit is {}",
                self.namespace, self.held, self.limit
            ),
            QuotaResource::Bytes => format!(
                "kv quota: namespace {} holds {} bytes, writing {} more would pass the limit of {} bytes",
                self.namespace, self.held, self.adding, self.limit
            ),
        }
    }
}

impl KvUsage {
    /// The bytes an entry takes.
    pub fn entry_bytes(key: &str, value: &str) -> u64 {
        (key.len() + value.len()) as u64
    }
}

impl KvQuota {
    /// What `namespace` holds after writing `key = value` over `old` (the bytes of the entry it
    /// replaces, `None` for a new key), or why the quota refuses it. A write that does not grow
    /// the namespace is always allowed, so a namespace over a lowered limit can still shrink.
    pub fn admit(
        &self,
        namespace: &str,
        now: KvUsage,
        old: Option<u64>,
        key: &str,
        value: &str,
    ) -> Result<KvUsage, KvError> {
        let new = KvUsage::entry_bytes(key, value);
        let refused = |resource, held, adding, limit| {
            KvError::Quota(QuotaExceeded {
                namespace: namespace.to_owned(),
                resource,
                held,
                adding,
                limit,
            })
        };
        let keys = match old {
            Some(_) => now.keys,
            None => {
                if now.keys.saturating_add(1) > self.max_keys {
                    return Err(refused(QuotaResource::Keys, now.keys, 1, self.max_keys));
                }
                now.keys + 1
            }
        };
        let bytes = now
            .bytes
            .saturating_sub(old.unwrap_or(0))
            .saturating_add(new);
        if bytes > now.bytes && bytes > self.max_bytes {
            let adding = bytes - now.bytes;
            return Err(refused(
                QuotaResource::Bytes,
                now.bytes,
                adding,
                self.max_bytes,
            ));
        }
        Ok(KvUsage { keys, bytes })
    }

    /// What the namespace holds after removing an entry of `bytes`.
    pub fn removed(now: KvUsage, bytes: u64) -> KvUsage {
        KvUsage {
            keys: now.keys.saturating_sub(1),
            bytes: now.bytes.saturating_sub(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(max_keys: u64, max_bytes: u64) -> KvQuota {
        KvQuota {
            max_keys,
            max_bytes,
        }
    }

    fn usage(keys: u64, bytes: u64) -> KvUsage {
        KvUsage { keys, bytes }
    }

    #[test]
    fn new_keys_count_against_the_key_limit() {
        let q = quota(2, 1000);
        assert_eq!(
            q.admit("job:1", usage(1, 2), None, "k", "vv"),
            Ok(usage(2, 5))
        );
        let err = q.admit("job:1", usage(2, 5), None, "k", "v").unwrap_err();
        assert_eq!(
            err.to_string(),
            "kv quota: namespace job:1 holds 2 keys, the limit is 2"
        );
        // Overwriting a key at the key limit is fine.
        assert_eq!(
            q.admit("job:1", usage(2, 5), Some(3), "k", "vvvv"),
            Ok(usage(2, 7))
        );
    }

    #[test]
    fn bytes_are_keys_plus_values_and_replacements_count_the_difference() {
        let q = quota(100, 10);
        assert_eq!(
            q.admit("p", usage(0, 0), None, "ab", "cdefghij"),
            Ok(usage(1, 10))
        );
        let err = q
            .admit("pipeline:7", usage(1, 10), None, "a", "")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "kv quota: namespace pipeline:7 holds 10 bytes, writing 1 more would pass the limit of 10 bytes"
        );
        // Replacing a 10-byte entry with a 6-byte one shrinks the namespace.
        assert_eq!(
            q.admit("p", usage(1, 10), Some(10), "ab", "cdef"),
            Ok(usage(1, 6))
        );
        // A namespace already over a (lowered) limit may still shrink, never grow.
        assert!(q.admit("p", usage(1, 20), Some(10), "ab", "cd").is_ok());
        assert!(q.admit("p", usage(1, 20), Some(4), "ab", "cdef").is_err());
    }

    #[test]
    fn removing_gives_keys_and_bytes_back() {
        assert_eq!(KvQuota::removed(usage(3, 30), 10), usage(2, 20));
        assert_eq!(KvQuota::removed(usage(0, 0), 10), usage(0, 0));
    }
}
