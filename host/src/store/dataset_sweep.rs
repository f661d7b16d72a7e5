//! Sweeps dataset versions left unfinished (`ready = 0`) by a process that was killed in the
//! middle of an import or operation: their rows take space and no one will finish them.
//!
//! A version is swept only when no live process can be writing it: its writer (named by
//! [`crate::process_owner::this_process`]) is a process of this machine's current boot that is
//! gone, or nothing was written to it for [`STALE_AFTER_MS`] (a writer on another machine
//! sharing a PostgreSQL database, whose process this one cannot see). A live writer touches its
//! version with every batch, far more often than that; a version swept for its age is checked
//! for it again as it is deleted, so a batch written since it was listed keeps it.

use sqlx::Row as _;

use super::{Store, StoreError, now_ms};
use crate::process_owner::owner_is_local_and_gone;

/// An unfinished version untouched this long is swept whoever writes it (6 hours).
pub const STALE_AFTER_MS: i64 = 6 * 60 * 60 * 1000;

impl Store {
    /// Removes the unfinished versions (of the dataset `name`, or of every dataset) whose
    /// writer is gone, with their rows; returns how many were removed.
    pub async fn sweep_unfinished_versions(&self, name: Option<&str>) -> Result<u64, StoreError> {
        let candidates = sqlx::query(
            "SELECT v.id, v.writer, COALESCE(v.touched_at, v.created_at) AS touched_at
             FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
             WHERE v.ready = 0 AND ($1 = '' OR d.name = $1)",
        )
        .bind(name.unwrap_or_default())
        .fetch_all(self.pool())
        .await?;
        let stale_before = now_ms() - STALE_AFTER_MS;
        let mut swept = 0;
        for row in candidates {
            let id: i64 = row.try_get("id")?;
            let writer: Option<String> = row.try_get("writer")?;
            let touched_at: i64 = row.try_get("touched_at")?;
            let gone = writer.as_deref().is_some_and(owner_is_local_and_gone);
            if gone || touched_at < stale_before {
                let untouched_since = (!gone).then_some(stale_before);
                let removed = self.remove_unfinished_version(id, untouched_since).await?;
                if removed == 0 {
                    continue;
                }
                swept += removed;
                tracing::info!(
                    version = id,
                    writer = writer.as_deref().unwrap_or("unknown"),
                    "swept a dataset version its writer left unfinished"
                );
            }
        }
        Ok(swept)
    }

    /// Removes the version `id` with its rows if it is still unfinished (and, given
    /// `untouched_since`, written to before that time); 1 if it was removed.
    async fn remove_unfinished_version(
        &self,
        id: i64,
        untouched_since: Option<i64>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "DELETE FROM dataset_versions WHERE id = $1 AND ready = 0
             AND ($2 < 0 OR COALESCE(touched_at, created_at) < $2)",
        )
        .bind(id)
        .bind(untouched_since.unwrap_or(-1))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Finished (or removed) since it was listed.
            return Ok(0);
        }
        // Rows go explicitly: SQLite's cascade needs foreign keys on for every connection.
        sqlx::query("DELETE FROM dataset_rows WHERE version_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(1)
    }
}
