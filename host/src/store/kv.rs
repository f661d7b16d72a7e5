//! The `kv` import's storage in the database: what a dedup block claims survives a restart and
//! is seen by every worker sharing the database. `set_if_absent` is one
//! `INSERT … ON CONFLICT DO NOTHING`, atomic on both backends.

use sqlx::Row;

use super::{Backend, Store, dynamic};
use crate::kv::{KvError, KvFuture, KvNamespace, KvStore, check_sizes};

/// [`KvStore`] over the `kv` table.
#[derive(Clone)]
pub struct DbKv {
    store: Store,
}

impl Store {
    /// The `kv` import's storage in this database.
    pub fn kv(&self) -> DbKv {
        DbKv {
            store: self.clone(),
        }
    }
}

fn namespace(ns: &KvNamespace) -> String {
    match ns {
        KvNamespace::Job(id) => format!("job:{id}"),
        KvNamespace::Pipeline(id) => format!("pipeline:{id}"),
    }
}

impl DbKv {
    /// Inserts `key`; `on_conflict` (a constant) says what an existing key does. Returns the
    /// rows written.
    async fn insert(
        &self,
        ns: &KvNamespace,
        key: &str,
        value: &str,
        on_conflict: &'static str,
    ) -> Result<u64, KvError> {
        check_sizes(key, Some(value))?;
        let done = dynamic(format!(
            "INSERT INTO kv (namespace, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (namespace, key) {on_conflict}"
        ))
        .bind(namespace(ns))
        .bind(key.to_owned())
        .bind(value.to_owned())
        .execute(self.store.pool())
        .await
        .map_err(storage)?;
        Ok(done.rows_affected())
    }
}

fn storage(e: sqlx::Error) -> KvError {
    KvError::Storage(e.to_string())
}

impl KvStore for DbKv {
    fn get<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, Option<String>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT value FROM kv WHERE namespace = $1 AND key = $2")
                .bind(namespace(ns))
                .bind(key.to_owned())
                .fetch_optional(self.store.pool())
                .await
                .map_err(storage)?;
            row.map(|r| r.try_get::<String, _>("value"))
                .transpose()
                .map_err(storage)
        })
    }

    fn set<'a>(&'a self, ns: &'a KvNamespace, key: &'a str, value: &'a str) -> KvFuture<'a, ()> {
        Box::pin(async move {
            self.insert(ns, key, value, "DO UPDATE SET value = excluded.value")
                .await
                .map(|_| ())
        })
    }

    fn set_if_absent<'a>(
        &'a self,
        ns: &'a KvNamespace,
        key: &'a str,
        value: &'a str,
    ) -> KvFuture<'a, bool> {
        Box::pin(async move { Ok(self.insert(ns, key, value, "DO NOTHING").await? == 1) })
    }

    fn delete<'a>(&'a self, ns: &'a KvNamespace, key: &'a str) -> KvFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM kv WHERE namespace = $1 AND key = $2")
                .bind(namespace(ns))
                .bind(key.to_owned())
                .execute(self.store.pool())
                .await
                .map_err(storage)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn keys<'a>(
        &'a self,
        ns: &'a KvNamespace,
        prefix: &'a str,
        limit: usize,
    ) -> KvFuture<'a, Vec<String>> {
        Box::pin(async move {
            // Byte order on both backends (PostgreSQL would otherwise sort by its locale).
            let order = match self.store.backend() {
                Backend::Postgres => "key COLLATE \"C\"",
                Backend::Sqlite => "key",
            };
            let rows = dynamic(format!(
                "SELECT key FROM kv WHERE namespace = $1 AND substr(key, 1, length($2)) = $2 \
                 ORDER BY {order} LIMIT $3"
            ))
            .bind(namespace(ns))
            .bind(prefix.to_owned())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.store.pool())
            .await
            .map_err(storage)?;
            rows.iter()
                .map(|r| r.try_get::<String, _>("key").map_err(storage))
                .collect()
        })
    }
}
