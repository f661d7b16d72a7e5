//! Who a request's bearer key belongs to: the `API_KEY` of the environment, or one of the
//! named keys stored in the database (read-only or read-write).
//!
//! A named key is `bf_` and 64 hex digits from two version-4 UUIDs (244 random bits from the
//! operating system); only its SHA-256 is stored. A fast hash is enough for keys this random:
//! a slow one protects guessable passwords, and nobody guesses 244 bits. The stored keys are
//! read again at most every [`KEYS_TTL`] (at once after a change made through this server), so
//! a key made or deleted through another server on the same database counts here soon after.
//! A read that was under way when this server changed the keys is not kept: it may hold the
//! old set (a deleted key would work again until the next read).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::store::api_keys::ApiKeyRow;
use crate::store::{Store, StoreError};

/// How long the stored keys are trusted before they are read again.
pub const KEYS_TTL: Duration = Duration::from_secs(5);

/// The name the environment's `API_KEY` goes by (in rate limits); no named key may take it.
pub const ENV_KEY_NAME: &str = "API_KEY";

/// What a named key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `GET`, `HEAD` and `OPTIONS` only.
    ReadOnly,
    /// Everything.
    ReadWrite,
}

impl Access {
    /// `read-only` or `read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        }
    }

    /// The access spelled `text`.
    pub fn parse(text: &str) -> Option<Access> {
        match text {
            "read-only" => Some(Access::ReadOnly),
            "read-write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// The owner of a request's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's name ([`ENV_KEY_NAME`] for the environment's).
    pub name: String,
    /// What it may do.
    pub access: Access,
}

/// What a request's `Authorization` header makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No key is configured at all: the API is open.
    Open,
    /// A known key.
    Known(Caller),
    /// Keys are configured and this request has none of them.
    Refused,
}

/// The stored keys by the SHA-256 of the key (hex), as last read.
type Stored = Arc<HashMap<String, Caller>>;

/// The stored keys as last read, and how many changes this server has made to them.
#[derive(Default)]
struct Cache {
    /// Bumped by every change ([`KeyRing::forget`]): a read started before a change does not
    /// replace what was read after it.
    generation: u64,
    /// When the keys were read, and the keys.
    keys: Option<(Instant, Stored)>,
}

/// The environment's key and the stored ones.
pub struct KeyRing {
    env_key: Option<Arc<str>>,
    stored: Mutex<Cache>,
}

/// The SHA-256 of `key`, hex: what is stored of a named key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key.
pub fn new_key() -> String {
    format!(
        "bf_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares without an early exit on the first differing byte.
fn same_secret(given: &str, key: &str) -> bool {
    given.len() == key.len()
        && given
            .bytes()
            .zip(key.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

impl KeyRing {
    /// A ring with the environment's `API_KEY` (if set); stored keys are read when needed.
    pub fn new(env_key: Option<Arc<str>>) -> Self {
        KeyRing {
            env_key,
            stored: Mutex::new(Cache::default()),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.stored.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the next request read the stored keys again (after a change), and keeps a read
    /// under way from caching what it read before the change.
    pub fn forget(&self) {
        let mut cache = self.cache();
        cache.generation += 1;
        cache.keys = None;
    }

    /// The stored keys, read again when older than [`KEYS_TTL`].
    async fn stored(&self, store: &Store) -> Result<Stored, StoreError> {
        self.stored_from(store.api_keys()).await
    }

    /// The stored keys, from the cache or from `read` (awaited only when the cache is stale);
    /// what `read` returns is cached unless the keys changed while it ran.
    async fn stored_from(
        &self,
        read: impl std::future::Future<Output = Result<Vec<ApiKeyRow>, StoreError>>,
    ) -> Result<Stored, StoreError> {
        let generation = {
            let cache = self.cache();
            if let Some((read_at, keys)) = &cache.keys
                && read_at.elapsed() < KEYS_TTL
            {
                return Ok(keys.clone());
            }
            cache.generation
        };
        let read_at = Instant::now();
        let keys: Stored = Arc::new(
            read.await?
                .into_iter()
                .filter_map(|row| {
                    let access = Access::parse(&row.access)?;
                    Some((
                        row.key_hash,
                        Caller {
                            name: row.name,
                            access,
                        },
                    ))
                })
                .collect(),
        );
        let mut cache = self.cache();
        if cache.generation == generation {
            cache.keys = Some((read_at, keys.clone()));
        }
        Ok(keys)
    }

    /// Whose `bearer` key it is. Keys are required once `API_KEY` is set or a named key
    /// exists.
    pub async fn identify(
        &self,
        store: &Store,
        bearer: Option<&str>,
    ) -> Result<Identity, StoreError> {
        if let (Some(key), Some(given)) = (self.env_key.as_deref(), bearer)
            && same_secret(given, key)
        {
            return Ok(Identity::Known(Caller {
                name: ENV_KEY_NAME.to_owned(),
                access: Access::ReadWrite,
            }));
        }
        let stored = self.stored(store).await?;
        if self.env_key.is_none() && stored.is_empty() {
            return Ok(Identity::Open);
        }
        Ok(bearer
            .and_then(|given| stored.get(&hash(given)).cloned())
            .map_or(Identity::Refused, Identity::Known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_differ_and_hash_to_hex_sha256() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        assert!(a.starts_with("bf_"));
        assert_eq!(hash(&a).len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn row(name: &str, key: &str) -> ApiKeyRow {
        ApiKeyRow {
            id: 1,
            name: name.to_owned(),
            key_hash: hash(key),
            prefix: key[..6].to_owned(),
            access: "read-write".to_owned(),
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn a_read_under_way_when_a_key_is_deleted_does_not_bring_it_back() {
        let ring = KeyRing::new(None);
        // A request reads the keys; the read returns the set as it was before a deletion.
        let (release, before) = tokio::sync::oneshot::channel::<Vec<ApiKeyRow>>();
        let reading = ring.stored_from(async { Ok(before.await.unwrap()) });
        let deleting = async {
            // The key is deleted through this server while the read is under way.
            ring.forget();
            release.send(vec![row("old", "bf_deleted")]).unwrap();
        };
        let (read, ()) = tokio::join!(reading, deleting);
        assert_eq!(read.unwrap().len(), 1, "that request saw the old set");
        // The next request reads again and does not find the deleted key.
        let after = ring.stored_from(async { Ok(Vec::new()) }).await.unwrap();
        assert!(after.is_empty(), "the old set was cached over the deletion");
        // A read with no change meanwhile is cached as before.
        let cached = ring
            .stored_from(async { Ok(vec![row("new", "bf_created_elsewhere")]) })
            .await
            .unwrap();
        assert!(cached.is_empty(), "read again within the TTL");
    }

    #[test]
    fn access_levels_round_trip() {
        for access in [Access::ReadOnly, Access::ReadWrite] {
            assert_eq!(Access::parse(access.as_str()), Some(access));
        }
        assert_eq!(Access::parse("admin"), None);
    }
}
