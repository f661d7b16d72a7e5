//! The LLM response cache in the database: answers survive a restart and are shared by every
//! server and worker on it. Writing a key again replaces its answer.

use futures::future::BoxFuture;
use sqlx::Row;

use super::{Store, StoreError, now_ms, token_columns};
use crate::llm::StorageError;
use crate::llm::cache::{CachedAnswer, ResponseStore};

/// Token counts are u64; the columns are BIGINT.
fn column(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// The answer kept under `key`.
    pub async fn cached_response(&self, key: &str) -> Result<Option<CachedAnswer>, StoreError> {
        let row = sqlx::query(
            "SELECT content, model, input_tokens, output_tokens, cached_tokens FROM llm_cache WHERE key = $1",
        )
        .bind(key.to_owned())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(CachedAnswer {
            content: row.try_get("content")?,
            model: row.try_get("model")?,
            usage: token_columns(&row)?,
        }))
    }

    /// Keeps `answer` under `key`, replacing an earlier one.
    pub async fn keep_response(&self, key: &str, answer: &CachedAnswer) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO llm_cache (key, content, model, input_tokens, output_tokens, cached_tokens, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (key) DO UPDATE SET content = excluded.content, model = excluded.model, \
             input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, \
             cached_tokens = excluded.cached_tokens, created_at = excluded.created_at",
        )
        .bind(key.to_owned())
        .bind(answer.content.clone())
        .bind(answer.model.clone())
        .bind(column(answer.usage.input_tokens))
        .bind(column(answer.usage.output_tokens))
        .bind(column(answer.usage.cached_tokens))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl ResponseStore for Store {
    fn get<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<CachedAnswer>, StorageError>> {
        Box::pin(async move { self.cached_response(key).await.map_err(StorageError::new) })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        answer: &'a CachedAnswer,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            self.keep_response(key, answer)
                .await
                .map_err(StorageError::new)
        })
    }
}
