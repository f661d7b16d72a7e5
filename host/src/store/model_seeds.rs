//! Seeding the model registry from the environment (`LLM_*`, `EMBEDDING_*`), so a fresh
//! install works as before the registry existed.
//!
//! A kind with no model gets the environment's model as its default. That model then follows
//! the environment at each start (a changed `LLM_ENDPOINT` applies) as long as nobody edited
//! it through the API: `model_seeds` keeps a fingerprint of what was seeded, and a model whose
//! fields no longer match it was edited and is left alone.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::models::ModelKind;
use super::{Store, StoreError, now_ms};

/// A model the environment describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedModel {
    /// The name it is registered under (`default`).
    pub name: String,
    /// Provider.
    pub provider: String,
    /// Base URL.
    pub endpoint: String,
    /// Bearer key; empty for none.
    pub api_key: String,
    /// The provider's model identifier.
    pub model_name: String,
}

/// What [`Store::seed_model`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    /// The kind had no model: the environment's is now its default.
    Created,
    /// The seeded model was not edited since: it now has the environment's values.
    Refreshed,
    /// Nothing to do (unchanged, edited through the API, or other models exist).
    Kept,
}

/// SHA-256 of the seeded fields, hex.
fn fingerprint(provider: &str, endpoint: &str, api_key: &str, model_name: &str) -> String {
    let mut hash = Sha256::new();
    for field in [provider, endpoint, api_key, model_name] {
        hash.update(field.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(hash.finalize())
}

impl Store {
    /// Seeds `model` into the registry of `kind` (see the module notes).
    pub async fn seed_model(
        &self,
        kind: ModelKind,
        model: &SeedModel,
    ) -> Result<Seeded, StoreError> {
        let wanted = fingerprint(
            &model.provider,
            &model.endpoint,
            &model.api_key,
            &model.model_name,
        );
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM models WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        let outcome = if count == 0 {
            // Two servers starting at once on PostgreSQL: the unique name keeps one row.
            sqlx::query(
                "INSERT INTO models (kind, name, provider, endpoint, api_key, model_name, dimensions, is_default, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 1, $7, $7) ON CONFLICT DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(model.name.as_str())
            .bind(model.provider.as_str())
            .bind(model.endpoint.as_str())
            .bind(model.api_key.as_str())
            .bind(model.model_name.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Seeded::Created
        } else {
            let seed = sqlx::query("SELECT name, fingerprint FROM model_seeds WHERE kind = $1")
                .bind(kind.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(seed) = seed else {
                tx.commit().await?;
                return Ok(Seeded::Kept);
            };
            let (name, seeded): (String, String) =
                (seed.try_get("name")?, seed.try_get("fingerprint")?);
            let current = sqlx::query(
                "SELECT provider, endpoint, api_key, model_name FROM models WHERE kind = $1 AND name = $2",
            )
            .bind(kind.as_str())
            .bind(name.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let untouched = match current {
                Some(row) => {
                    fingerprint(
                        &row.try_get::<String, _>("provider")?,
                        &row.try_get::<String, _>("endpoint")?,
                        &row.try_get::<String, _>("api_key")?,
                        &row.try_get::<String, _>("model_name")?,
                    ) == seeded
                }
                None => false,
            };
            if !untouched || seeded == wanted {
                tx.commit().await?;
                return Ok(Seeded::Kept);
            }
            sqlx::query(
                "UPDATE models SET provider = $1, endpoint = $2, api_key = $3, model_name = $4, updated_at = $5 \
                 WHERE kind = $6 AND name = $7",
            )
            .bind(model.provider.as_str())
            .bind(model.endpoint.as_str())
            .bind(model.api_key.as_str())
            .bind(model.model_name.as_str())
            .bind(now)
            .bind(kind.as_str())
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
            Seeded::Refreshed
        };
        sqlx::query(
            "INSERT INTO model_seeds (kind, name, fingerprint, seeded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind) DO UPDATE SET name = excluded.name, fingerprint = excluded.fingerprint, seeded_at = excluded.seeded_at",
        )
        .bind(kind.as_str())
        .bind(model.name.as_str())
        .bind(wanted.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
