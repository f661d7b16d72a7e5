//! Saved pipelines.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError, dynamic, found, now_ms, parse_json};
use crate::kv::KvNamespace;

/// A saved pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PipelineRow {
    /// Its id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The definition (`{name, blocks, constraints}`).
    #[schema(value_type = crate::engine::Pipeline)]
    pub definition: Value,
    /// Review settings (DataGenFlow's `validation_config`); until set, an empty field order
    /// ([`empty_validation_config`]), never null.
    #[schema(value_type = ValidationConfig)]
    pub validation_config: Value,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// The shape of a stored `validation_config` (the API checks it before it is stored; other
/// keys a client sent are kept).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ValidationConfig {
    /// How the review page groups a record's fields.
    pub field_order: FieldOrder,
}

/// DataGenFlow's field groups: each field in one group at most.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldOrder {
    /// Shown first.
    pub primary: Vec<String>,
    /// Shown below.
    pub secondary: Vec<String>,
    /// Not shown.
    pub hidden: Vec<String>,
}

/// The `validation_config` of a pipeline never given one: DataGenFlow's empty field order.
pub fn empty_validation_config() -> Value {
    serde_json::json!({"field_order": {"primary": [], "secondary": [], "hidden": []}})
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<PipelineRow, StoreError> {
    let validation: Option<String> = row.try_get("validation_config")?;
    Ok(PipelineRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        definition: parse_json(
            &row.try_get::<String, _>("definition")?,
            "pipeline definition",
        )?,
        validation_config: match validation.as_deref() {
            Some(text) => parse_json(text, "validation_config")?,
            None => empty_validation_config(),
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const COLUMNS: &str = "id, name, definition, validation_config, created_at, updated_at";

impl Store {
    /// Saves a new pipeline and returns it.
    pub async fn create_pipeline(
        &self,
        name: &str,
        definition: &Value,
    ) -> Result<PipelineRow, StoreError> {
        let now = now_ms();
        let row = dynamic(format!(
            "INSERT INTO pipelines (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(definition.to_string())
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        from_row(&row)
    }

    /// The pipeline `id`.
    pub async fn pipeline(&self, id: i64) -> Result<PipelineRow, StoreError> {
        let row = dynamic(format!("SELECT {COLUMNS} FROM pipelines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound {
                what: "pipeline",
                id,
            })?;
        from_row(&row)
    }

    /// Every pipeline, newest first.
    pub async fn pipelines(&self) -> Result<Vec<PipelineRow>, StoreError> {
        let rows = dynamic(format!("SELECT {COLUMNS} FROM pipelines ORDER BY id DESC"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Replaces a pipeline's name and definition.
    pub async fn update_pipeline(
        &self,
        id: i64,
        name: &str,
        definition: &Value,
    ) -> Result<PipelineRow, StoreError> {
        let row = dynamic(format!(
            "UPDATE pipelines SET name = $1, definition = $2, updated_at = $3 WHERE id = $4 RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(definition.to_string())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound { what: "pipeline", id })?;
        from_row(&row)
    }

    /// Sets the review settings of a pipeline.
    pub async fn set_validation_config(&self, id: i64, config: &Value) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE pipelines SET validation_config = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(config.to_string())
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        found(&done, "pipeline", id)
    }

    /// Deletes a pipeline with its jobs, runs, records and `kv` entries (its own and its
    /// jobs').
    pub async fn delete_pipeline(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        // Writes first: on SQLite a transaction that reads first can fail to become a writer.
        let jobs: Vec<i64> = sqlx::query("DELETE FROM jobs WHERE pipeline_id = $1 RETURNING id")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
        let done = sqlx::query("DELETE FROM pipelines WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let namespaces: Vec<KvNamespace> = jobs
            .iter()
            .map(|job| KvNamespace::Job(job.to_string()))
            .chain([KvNamespace::Pipeline(id.to_string())])
            .collect();
        super::kv::delete_namespaces(&mut tx, &namespaces).await?;
        found(&done, "pipeline", id)?;
        // Its jobs' records go with them (`ON DELETE CASCADE`).
        let _committing = self.records_written.committing();
        tx.commit().await?;
        Ok(())
    }
}
