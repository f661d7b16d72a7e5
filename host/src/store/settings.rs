//! The `settings` table: server-wide settings as key → JSON value. What the keys mean and
//! which values they take is the API's business (`api/settings.rs`); this only stores them.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Store, StoreError, now_ms};

impl Store {
    /// Every stored setting.
    pub async fn settings(&self) -> Result<Map<String, Value>, StoreError> {
        let rows = sqlx::query("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(self.reader())
            .await?;
        let mut settings = Map::new();
        for row in rows {
            let key: String = row.try_get("key")?;
            let text: String = row.try_get("value")?;
            let value = serde_json::from_str(&text).map_err(|source| StoreError::Corrupt {
                what: "settings.value",
                source,
            })?;
            settings.insert(key, value);
        }
        Ok(settings)
    }

    /// Stores `values`, replacing the earlier value of each key, in one transaction.
    pub async fn put_settings(&self, values: &Map<String, Value>) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        for (key, value) in values {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
