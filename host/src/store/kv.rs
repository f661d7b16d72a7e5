//! The `kv` import's storage in the database: what a dedup block claims survives a restart and
//! is seen by every worker sharing the database.
//!
//! Every write runs in one transaction with its namespace's row in `kv_usage` (keys and bytes
//! held): the row is locked first (an `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which takes
//! PostgreSQL's row lock and SQLite's write lock), the [`KvQuota`] admits or refuses the write
//! with those numbers, and the entry and the usage are written together. Concurrent runs of a
//! job therefore never pass the quota, and a refused write leaves nothing behind.

use sqlx::Row;

use super::{Backend, Store, StoreError, dynamic};
use crate::kv::{KvError, KvFuture, KvNamespace, KvQuota, KvStore, KvUsage, check_sizes};

/// [`KvStore`] over the `kv` and `kv_usage` tables.
#[derive(Clone)]
pub struct DbKv {
    store: Store,
    quota: KvQuota,
}

impl Store {
    /// The `kv` import's storage in this database, its namespaces bounded by `quota`.
    pub fn kv(&self, quota: KvQuota) -> DbKv {
        DbKv {
            store: self.clone(),
            quota,
        }
    }

    /// Deletes every entry of `namespace` (a finished preview's, say) with its usage row.
    pub async fn delete_kv_namespace(&self, namespace: &KvNamespace) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        delete_namespaces(&mut tx, std::slice::from_ref(namespace)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The first string after every string starting with `prefix`, in byte (= code point) order:
/// `prefix` with its last character that has a successor raised by one and what follows it cut
/// off. `None` when no such bound exists (an empty prefix, or one of `char::MAX` only).
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value (surrogates are not characters: 0xD7FF is followed by 0xE000).
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// What a write does to a key that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    Replace,
    Keep,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Deletes every entry of `namespaces` and their usage rows, inside `tx`: what deleted jobs
/// and pipelines stored is deleted with them.
pub(super) async fn delete_namespaces(
    tx: &mut Tx,
    namespaces: &[KvNamespace],
) -> Result<(), sqlx::Error> {
    for namespace in namespaces {
        let name = namespace.stored_name();
        // The usage row first: a write locks it before its entry, so taking the locks in the
        // same order cannot deadlock with a run writing to the namespace meanwhile.
        for table in ["kv_usage", "kv"] {
            dynamic(format!("DELETE FROM {table} WHERE namespace = $1"))
                .bind(name.as_str())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

impl DbKv {
    /// The byte length of a text column on this backend.
    fn octets(&self, column: &str) -> String {
        match self.store.backend() {
            Backend::Postgres => format!("octet_length({column})"),
            Backend::Sqlite => format!("length(CAST({column} AS BLOB))"),
        }
    }

    /// Locks `namespace`'s usage row (creating it) and reads what it holds.
    async fn lock_usage(tx: &mut Tx, namespace: &str) -> Result<KvUsage, KvError> {
        let row = sqlx::query(
            "INSERT INTO kv_usage (namespace, keys, bytes) VALUES ($1, 0, 0) \
             ON CONFLICT (namespace) DO UPDATE SET keys = kv_usage.keys \
             RETURNING keys, bytes",
        )
        .bind(namespace.to_owned())
        .fetch_one(&mut **tx)
        .await
        .map_err(storage)?;
        let count = |name: &str| -> Result<u64, KvError> {
            Ok(row.try_get::<i64, _>(name).map_err(storage)?.max(0) as u64)
        };
        Ok(KvUsage {
            keys: count("keys")?,
            bytes: count("bytes")?,
        })
    }

    async fn save_usage(tx: &mut Tx, namespace: &str, usage: KvUsage) -> Result<(), KvError> {
        sqlx::query("UPDATE kv_usage SET keys = $2, bytes = $3 WHERE namespace = $1")
            .bind(namespace.to_owned())
            .bind(i64::try_from(usage.keys).unwrap_or(i64::MAX))
            .bind(i64::try_from(usage.bytes).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await
            .map_err(storage)?;
        Ok(())
    }

    /// Writes `key = value` under `quota` and the store's own; returns whether it was written (`false`: the key
    /// exists and `existing` is [`Existing::Keep`]).
    async fn write(
        &self,
        ns: &KvNamespace,
        key: &str,
        value: &str,
        existing: Existing,
        quota: KvQuota,
    ) -> Result<bool, KvError> {
        check_sizes(key, Some(value))?;
        let namespace = ns.stored_name();
        let mut tx = self.store.pool().begin().await.map_err(storage)?;
        let now = Self::lock_usage(&mut tx, &namespace).await?;
        let old = dynamic(format!(
            "SELECT {} + {} AS size FROM kv WHERE namespace = $1 AND key = $2",
            self.octets("key"),
            self.octets("value")
        ))
        .bind(namespace.clone())
        .bind(key.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(storage)?
        .map(|row| row.try_get::<i64, _>("size").map(|n| n.max(0) as u64))
        .transpose()
        .map_err(storage)?;
        if old.is_some() && existing == Existing::Keep {
            // Nothing to write; the transaction is rolled back when dropped.
            return Ok(false);
        }
        // On a refusal the transaction is dropped: neither the entry nor the usage changes.
        let after = quota
            .tighter(&self.quota)
            .admit(&namespace, now, old, key, value)?;
        sqlx::query(
            "INSERT INTO kv (namespace, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
        )
        .bind(namespace.clone())
        .bind(key.to_owned())
        .bind(value.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        Self::save_usage(&mut tx, &namespace, after).await?;
        tx.commit().await.map_err(storage)?;
        Ok(true)
    }

    /// Removes `key` and gives its keys and bytes back; `true` when it existed.
    async fn remove(&self, ns: &KvNamespace, key: &str) -> Result<bool, KvError> {
        let namespace = ns.stored_name();
        let mut tx = self.store.pool().begin().await.map_err(storage)?;
        let now = Self::lock_usage(&mut tx, &namespace).await?;
        let removed = dynamic(format!(
            "DELETE FROM kv WHERE namespace = $1 AND key = $2 RETURNING {} + {} AS size",
            self.octets("key"),
            self.octets("value")
        ))
        .bind(namespace.clone())
        .bind(key.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(storage)?;
        let Some(row) = removed else {
            return Ok(false);
        };
        let size = row.try_get::<i64, _>("size").map_err(storage)?.max(0) as u64;
        Self::save_usage(&mut tx, &namespace, KvQuota::removed(now, size)).await?;
        tx.commit().await.map_err(storage)?;
        Ok(true)
    }

    /// What `ns` holds, as the quota counts it.
    pub async fn usage(&self, ns: &KvNamespace) -> Result<KvUsage, KvError> {
        let row = sqlx::query("SELECT keys, bytes FROM kv_usage WHERE namespace = $1")
            .bind(ns.stored_name())
            .fetch_optional(self.store.reader())
            .await
            .map_err(storage)?;
        let Some(row) = row else {
            return Ok(KvUsage::default());
        };
        let count = |name: &str| -> Result<u64, KvError> {
            Ok(row.try_get::<i64, _>(name).map_err(storage)?.max(0) as u64)
        };
        Ok(KvUsage {
            keys: count("keys")?,
            bytes: count("bytes")?,
        })
    }
}

fn storage(e: sqlx::Error) -> KvError {
    KvError::Storage(e.to_string())
}

impl KvStore for DbKv {
    fn get<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, Option<String>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT value FROM kv WHERE namespace = $1 AND key = $2")
                .bind(ns.stored_name())
                .bind(key.to_owned())
                .fetch_optional(self.store.reader())
                .await
                .map_err(storage)?;
            row.map(|r| r.try_get::<String, _>("value"))
                .transpose()
                .map_err(storage)
        })
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
        Box::pin(async move {
            self.write(ns, key, value, Existing::Replace, quota)
                .await
                .map(|_| ())
        })
    }

    fn set_if_absent_within<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
        quota: KvQuota,
    ) -> KvFuture<'a, bool> {
        Box::pin(async move { self.write(ns, key, value, Existing::Keep, quota).await })
    }

    fn delete<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, bool> {
        Box::pin(self.remove(ns, key))
    }

    fn keys<'a>(
        &'a self,
        ns: &'a KvNamespace,
        prefix: &'a str,
        limit: usize,
    ) -> KvFuture<'a, Vec<String>> {
        Box::pin(async move {
            // Byte order on both backends (PostgreSQL would otherwise sort and compare by its
            // locale); the range from the prefix to its successor lets the scan start and stop
            // in the index (`(namespace, key)` on SQLite, migration 0028's on PostgreSQL)
            // instead of reading the whole namespace; `substr` keeps the match exact.
            let key = match self.store.backend() {
                Backend::Postgres => "key COLLATE \"C\"",
                Backend::Sqlite => "key",
            };
            let upper = prefix_successor(prefix);
            let below_upper = if upper.is_some() {
                format!("AND {key} < $4 ")
            } else {
                String::new()
            };
            let mut query = dynamic(format!(
                "SELECT key FROM kv WHERE namespace = $1 AND {key} >= $2 {below_upper}\
                 AND substr(key, 1, length($2)) = $2 ORDER BY {key} LIMIT $3"
            ))
            .bind(ns.stored_name())
            .bind(prefix.to_owned())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
            if let Some(upper) = upper {
                query = query.bind(upper);
            }
            let rows = query
                .fetch_all(self.store.reader())
                .await
                .map_err(storage)?;
            rows.iter()
                .map(|r| r.try_get::<String, _>("key").map_err(storage))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_successor;

    #[test]
    fn a_prefixs_successor_bounds_exactly_the_strings_that_start_with_it() {
        assert_eq!(prefix_successor("b/3/"), Some("b/30".to_owned()));
        assert_eq!(prefix_successor("ab"), Some("ac".to_owned()));
        assert_eq!(prefix_successor(""), None);
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        assert_eq!(prefix_successor("a\u{10FFFF}"), Some("b".to_owned()));
        assert_eq!(prefix_successor("\u{D7FF}"), Some("\u{E000}".to_owned()));
        // Every string with the prefix sorts below the bound, bytewise; one without, not between.
        for prefix in ["k/", "é", "a\u{10FFFF}", "z\u{7F}"] {
            let upper = prefix_successor(prefix).unwrap_or_default();
            for tail in ["", "a", "\u{10FFFF}\u{10FFFF}", "\u{7F}"] {
                let key = format!("{prefix}{tail}");
                assert!(key.as_bytes() >= prefix.as_bytes() && key.as_bytes() < upper.as_bytes());
            }
            assert!(upper.as_bytes() > prefix.as_bytes());
            assert!(!upper.starts_with(prefix));
        }
    }
}
