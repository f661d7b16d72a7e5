//! The model registry: named LLM and embedding endpoints (DataGenFlow's `llm_models` and
//! `embedding_models`), one table with a `kind` column. At most one model per kind is the
//! default; the first model saved of a kind becomes it.
//!
//! Rows carry the API key in clear: only the API layer masks it, so the test endpoint and,
//! later, the gateway can use it.

use futures::future::BoxFuture;
use sqlx::Row;

use super::{Store, StoreError, dynamic, now_ms};
use crate::llm::StorageError;
// The rows are the LLM layer's types: the router reads them through `ModelSource`.
pub use crate::llm::models::{ModelKind, ModelLimitColumns, ModelRow};
use crate::llm::models::{ModelSource, redacted};

/// The fields a create or update writes (its `Debug` hides the key).
#[derive(Clone)]
pub struct ModelFields {
    /// Unique name within its kind.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// Base URL.
    pub endpoint: String,
    /// Bearer key (empty: none).
    pub api_key: String,
    /// The provider's model identifier.
    pub model_name: String,
    /// Vector size (embedding models).
    pub dimensions: i64,
    /// Limits of its own.
    pub limits: ModelLimitColumns,
}

impl std::fmt::Debug for ModelFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFields")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("api_key", &redacted(&self.api_key))
            .field("model_name", &self.model_name)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "kind, name, provider, endpoint, api_key, model_name, dimensions, max_concurrency, rpm, tpm, is_default, created_at, updated_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<ModelRow, StoreError> {
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "embedding" => ModelKind::Embedding,
        _ => ModelKind::Llm,
    };
    Ok(ModelRow {
        kind,
        name: row.try_get("name")?,
        provider: row.try_get("provider")?,
        endpoint: row.try_get("endpoint")?,
        api_key: row.try_get("api_key")?,
        model_name: row.try_get("model_name")?,
        dimensions: row.try_get("dimensions")?,
        limits: ModelLimitColumns {
            max_concurrency: row.try_get("max_concurrency")?,
            rpm: row.try_get("rpm")?,
            tpm: row.try_get("tpm")?,
        },
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A unique-constraint failure becomes `Duplicate`; anything else stays a database error.
fn duplicate_or(e: sqlx::Error, kind: ModelKind, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate {
            what: kind.label(),
            name: name.to_owned(),
        },
        _ => StoreError::Database(e),
    }
}

impl Store {
    /// Every model of `kind`, by name.
    pub async fn models(&self, kind: ModelKind) -> Result<Vec<ModelRow>, StoreError> {
        let rows = dynamic(format!(
            "SELECT {COLUMNS} FROM models WHERE kind = $1 ORDER BY name"
        ))
        .bind(kind.as_str())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The names of every model of `kind`, sorted.
    pub async fn model_names(&self, kind: ModelKind) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT name FROM models WHERE kind = $1 ORDER BY name")
            .bind(kind.as_str())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>("name")?))
            .collect()
    }

    /// The model `name` of `kind`, or `None`.
    pub async fn find_model(
        &self,
        kind: ModelKind,
        name: &str,
    ) -> Result<Option<ModelRow>, StoreError> {
        let row = dynamic(format!(
            "SELECT {COLUMNS} FROM models WHERE kind = $1 AND name = $2"
        ))
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The model `name` of `kind`; `Missing` when there is none.
    pub async fn model(&self, kind: ModelKind, name: &str) -> Result<ModelRow, StoreError> {
        self.find_model(kind, name)
            .await?
            .ok_or_else(|| StoreError::Missing {
                what: kind.label(),
                name: name.to_owned(),
            })
    }

    /// Saves a new model; `Duplicate` when the name is taken. It becomes the default when
    /// `make_default` is set or when it is the first of its kind.
    pub async fn create_model(
        &self,
        kind: ModelKind,
        fields: &ModelFields,
        make_default: bool,
    ) -> Result<ModelRow, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let taken = sqlx::query("SELECT 1 FROM models WHERE kind = $1 AND name = $2")
            .bind(kind.as_str())
            .bind(&fields.name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Duplicate {
                what: kind.label(),
                name: fields.name.clone(),
            });
        }
        let has_default = sqlx::query("SELECT 1 FROM models WHERE kind = $1 AND is_default = 1")
            .bind(kind.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let is_default = make_default || !has_default;
        if is_default && has_default {
            sqlx::query("UPDATE models SET is_default = 0 WHERE kind = $1 AND is_default = 1")
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let row = dynamic(format!(
            "INSERT INTO models (kind, name, provider, endpoint, api_key, model_name, dimensions, is_default, created_at, updated_at, max_concurrency, rpm, tpm) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12) RETURNING {COLUMNS}"
        ))
        .bind(kind.as_str())
        .bind(&fields.name)
        .bind(&fields.provider)
        .bind(&fields.endpoint)
        .bind(&fields.api_key)
        .bind(&fields.model_name)
        .bind(fields.dimensions)
        .bind(i64::from(is_default))
        .bind(now)
        .bind(fields.limits.max_concurrency)
        .bind(fields.limits.rpm)
        .bind(fields.limits.tpm)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, kind, &fields.name))?;
        let saved = from_row(&row)?;
        tx.commit()
            .await
            .map_err(|e| duplicate_or(e, kind, &fields.name))?;
        Ok(saved)
    }

    /// Replaces the model `name` of `kind` with `fields` (which may rename it).
    pub async fn update_model(
        &self,
        kind: ModelKind,
        name: &str,
        fields: &ModelFields,
    ) -> Result<ModelRow, StoreError> {
        let row = dynamic(format!(
            "UPDATE models SET name = $1, provider = $2, endpoint = $3, api_key = $4, model_name = $5, dimensions = $6, updated_at = $7, \
             max_concurrency = $10, rpm = $11, tpm = $12 WHERE kind = $8 AND name = $9 RETURNING {COLUMNS}"
        ))
        .bind(&fields.name)
        .bind(&fields.provider)
        .bind(&fields.endpoint)
        .bind(&fields.api_key)
        .bind(&fields.model_name)
        .bind(fields.dimensions)
        .bind(now_ms())
        .bind(kind.as_str())
        .bind(name)
        .bind(fields.limits.max_concurrency)
        .bind(fields.limits.rpm)
        .bind(fields.limits.tpm)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| duplicate_or(e, kind, &fields.name))?
        .ok_or_else(|| StoreError::Missing {
            what: kind.label(),
            name: name.to_owned(),
        })?;
        from_row(&row)
    }

    /// Makes the model `name` its kind's only default, in one transaction.
    pub async fn set_default_model(
        &self,
        kind: ModelKind,
        name: &str,
    ) -> Result<ModelRow, StoreError> {
        let mut tx = self.pool().begin().await?;
        let exists = sqlx::query("SELECT 1 FROM models WHERE kind = $1 AND name = $2")
            .bind(kind.as_str())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::Missing {
                what: kind.label(),
                name: name.to_owned(),
            });
        }
        // Clear first: the partial unique index refuses two defaults even for a moment.
        sqlx::query("UPDATE models SET is_default = 0 WHERE kind = $1 AND is_default = 1")
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
        let row = dynamic(format!(
            "UPDATE models SET is_default = 1, updated_at = $1 WHERE kind = $2 AND name = $3 RETURNING {COLUMNS}"
        ))
        .bind(now_ms())
        .bind(kind.as_str())
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let saved = from_row(&row)?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Deletes the model `name` of `kind`. Deleting the default leaves the kind without one.
    pub async fn delete_model(&self, kind: ModelKind, name: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM models WHERE kind = $1 AND name = $2")
            .bind(kind.as_str())
            .bind(name)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Missing {
                what: kind.label(),
                name: name.to_owned(),
            });
        }
        Ok(())
    }
}

impl ModelSource for Store {
    fn models(&self, kind: ModelKind) -> BoxFuture<'_, Result<Vec<ModelRow>, StorageError>> {
        Box::pin(async move { Store::models(self, kind).await.map_err(StorageError::new) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::client::EndpointConfig;

    #[test]
    fn debug_output_never_shows_an_api_key() {
        let key = "sk-secret-key-1234";
        let row = ModelRow {
            kind: ModelKind::Llm,
            name: "gpt".to_owned(),
            provider: "openai".to_owned(),
            endpoint: String::new(),
            api_key: key.to_owned(),
            model_name: "gpt-4o".to_owned(),
            dimensions: 0,
            limits: ModelLimitColumns::default(),
            is_default: true,
            created_at: 0,
            updated_at: 0,
        };
        let fields = ModelFields {
            name: row.name.clone(),
            provider: row.provider.clone(),
            endpoint: row.endpoint.clone(),
            api_key: key.to_owned(),
            model_name: row.model_name.clone(),
            dimensions: 0,
            limits: ModelLimitColumns::default(),
        };
        let mut endpoint = EndpointConfig::new("http://h/v1");
        endpoint.api_key = Some(key.to_owned());
        for shown in [
            format!("{row:?}"),
            format!("{fields:?}"),
            format!("{endpoint:?}"),
        ] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
