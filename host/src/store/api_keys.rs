//! The `api_keys` table: named API keys, each kept as the SHA-256 of the key (hex), its first
//! characters and its access (`read-only` or `read-write`). What a key may do is the API's
//! business; this only stores them.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// A stored key, without the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Its id.
    pub id: i64,
    /// The name the user gave it.
    pub name: String,
    /// The SHA-256 of the key, hex.
    pub key_hash: String,
    /// The key's first characters.
    pub prefix: String,
    /// `read-only` or `read-write`.
    pub access: String,
    /// When it was made (ms since the epoch).
    pub created_at: i64,
}

fn row_of(row: &sqlx::any::AnyRow) -> Result<ApiKeyRow, StoreError> {
    Ok(ApiKeyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        key_hash: row.try_get("key_hash")?,
        prefix: row.try_get("prefix")?,
        access: row.try_get("access")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Every stored key, oldest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, key_hash, prefix, access, created_at FROM api_keys ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// Stores a new key; `Duplicate` when `name` is taken.
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        prefix: &str,
        access: &str,
    ) -> Result<ApiKeyRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_keys (name, key_hash, prefix, access, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, key_hash, prefix, access, created_at",
        )
        .bind(name)
        .bind(key_hash)
        .bind(prefix)
        .bind(access)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate {
                what: "api key",
                name: name.to_owned(),
            },
            _ => StoreError::Database(e),
        })?;
        row_of(&row)
    }

    /// Deletes key `id`; `NotFound` when there is none.
    pub async fn delete_api_key(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "api key",
                id,
            });
        }
        Ok(())
    }
}
