//! A job created from a seed file, whose runs are planned batch by batch.
//!
//! No transaction spans the file's read: the job is written first with status `planning`,
//! which no worker claims and no listing shows, and every batch of runs commits on its own.
//! On SQLite the one writer is thus free between batches (other jobs' renewals and
//! finishes, a model's registration do not wait for a big file), and on PostgreSQL no
//! session sits idle in a transaction while the file is read. [`JobPlan::commit`] turns the
//! job `running` and announces it; a plan given up ([`JobPlan::abandon`], or dropped) is
//! deleted with its runs. A process that dies while planning leaves a `planning` job behind:
//! [`Store::sweep_abandoned_plans`] deletes it when the planner is a process of this machine
//! that is gone, or when the plan was not touched for [`STALE_PLAN_AFTER_MS`].

use sqlx::Row as _;

use super::jobs::{COLUMNS, JobRow, NewRun, from_row, insert_runs};
use super::{Store, StoreError, dynamic, now_ms};
use crate::llm::CacheMode;
use crate::process_owner::{owner_is_local_and_gone, this_process};

/// A plan untouched this long is swept whoever plans it (one hour: a live planner writes a
/// batch of runs far more often).
pub const STALE_PLAN_AFTER_MS: i64 = 60 * 60 * 1000;

/// A job being created ([`Store::begin_job`]): stored as `planning`, invisible to workers and
/// listings until [`JobPlan::commit`]. Dropped without `commit` or [`JobPlan::abandon`], it
/// is deleted in the background.
pub struct JobPlan {
    /// The job's id.
    id: i64,
    /// The store, to write batches, turn the job running and announce it.
    store: Store,
    /// Committed or abandoned: nothing left to delete when dropped.
    settled: bool,
}

impl JobPlan {
    /// The job's id (the job is seen by others only once committed).
    pub fn job_id(&self) -> i64 {
        self.id
    }

    /// Adds `runs` to the job, in multi-row statements, in a transaction of their own; an
    /// error when the job is no longer being planned (its pipeline was deleted meanwhile).
    pub async fn add_runs(&mut self, runs: &[NewRun]) -> Result<(), StoreError> {
        let id = self.id;
        let mut tx = self.store.pool().begin().await?;
        // Writes first (on SQLite a transaction that reads first can fail to become a
        // writer); the touch also tells a sweep that the planner is alive.
        let touched =
            sqlx::query("UPDATE jobs SET planned_at = $1 WHERE id = $2 AND status = 'planning'")
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if touched == 0 {
            return Err(StoreError::NotFound { what: "job", id });
        }
        insert_runs(&mut tx, self.store.backend(), id, runs.iter(), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns the job running (its creation time is now: time constraints count from here)
    /// and announces it to the workers (the PostgreSQL notice is sent by the commit itself);
    /// returns the job as it starts.
    pub async fn commit(mut self) -> Result<JobRow, StoreError> {
        let id = self.id;
        let now = now_ms();
        let mut tx = self.store.pool().begin().await?;
        let row = dynamic(format!(
            "UPDATE jobs SET status = 'running', planner = NULL, planned_at = NULL, \
             created_at = $1, started_at = $1 WHERE id = $2 AND status = 'planning' \
             RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { what: "job", id })?;
        let job = from_row(&row)?;
        self.store.announce_running_job(&mut tx).await?;
        tx.commit().await?;
        self.settled = true;
        self.store.announced();
        Ok(job)
    }

    /// Gives the plan up: the job and the runs planned so far are deleted.
    pub async fn abandon(mut self) -> Result<(), StoreError> {
        self.settled = true;
        remove_plan(&self.store, self.id).await.map(|_| ())
    }
}

impl Drop for JobPlan {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // Dropped mid-way (the request's client went away): delete it in the background;
        // should that fail too, the next sweep does.
        let (store, id) = (self.store.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = remove_plan(&store, id).await {
                    tracing::warn!(job_id = id, error = %e, "cannot delete an abandoned job plan");
                }
            });
        }
    }
}

/// Deletes job `id` and its runs if it is still being planned; returns whether it was.
async fn remove_plan(store: &Store, id: i64) -> Result<bool, StoreError> {
    let mut tx = store.pool().begin().await?;
    // The job row first: from then on no batch of its planner can add runs.
    let removed = sqlx::query("DELETE FROM jobs WHERE id = $1 AND status = 'planning'")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed > 0 {
        // Also where foreign keys are not enforced.
        sqlx::query("DELETE FROM runs WHERE job_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(removed > 0)
}

impl Store {
    /// Creates a running job of `pipeline_id` with its runs (planned in batches, seen once
    /// all are there), with the default cache mode.
    pub async fn create_job(
        &self,
        pipeline_id: i64,
        runs: &[NewRun],
        options: &serde_json::Value,
    ) -> Result<JobRow, StoreError> {
        self.create_job_with_cache(pipeline_id, runs, options, CacheMode::Auto)
            .await
    }

    /// As [`Store::create_job`], with the job's response cache mode.
    pub async fn create_job_with_cache(
        &self,
        pipeline_id: i64,
        runs: &[NewRun],
        options: &serde_json::Value,
        cache: CacheMode,
    ) -> Result<JobRow, StoreError> {
        let mut plan = self
            .begin_job(pipeline_id, runs.len() as u64, options, cache)
            .await?;
        plan.add_runs(runs).await?;
        plan.commit().await
    }

    /// Starts creating a job of `pipeline_id` that will have `total_runs` runs: it is stored
    /// as `planning` at once, its runs are then added batch by batch
    /// ([`JobPlan::add_runs`]), and it becomes running at [`JobPlan::commit`].
    pub async fn begin_job(
        &self,
        pipeline_id: i64,
        total_runs: u64,
        options: &serde_json::Value,
        cache: CacheMode,
    ) -> Result<JobPlan, StoreError> {
        let now = now_ms();
        let job = dynamic(
            "INSERT INTO jobs (pipeline_id, status, total_runs, options, created_at, started_at, cache, \
             planner, planned_at) \
             SELECT $1, 'planning', $2, $3, $4, $4, $5, $6, $4 WHERE EXISTS (SELECT 1 FROM pipelines WHERE id = $1) \
             RETURNING id"
                .to_owned(),
        )
        .bind(pipeline_id)
        .bind(i64::try_from(total_runs).unwrap_or(i64::MAX))
        .bind(options.to_string())
        .bind(now)
        .bind(cache.as_str())
        .bind(this_process())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound {
            what: "pipeline",
            id: pipeline_id,
        })?;
        Ok(JobPlan {
            id: job.try_get("id")?,
            store: self.clone(),
            settled: false,
        })
    }

    /// Deletes the jobs left `planning` by a planner that cannot be planning them any more:
    /// a process of this machine that is gone, or any planner when the plan was not touched
    /// for [`STALE_PLAN_AFTER_MS`]; returns how many were deleted.
    pub async fn sweep_abandoned_plans(&self) -> Result<u64, StoreError> {
        let candidates = sqlx::query(
            "SELECT id, planner, COALESCE(planned_at, created_at) AS planned_at FROM jobs \
             WHERE status = 'planning'",
        )
        .fetch_all(self.pool())
        .await?;
        let stale_before = now_ms() - STALE_PLAN_AFTER_MS;
        let mut swept = 0;
        for row in candidates {
            let id: i64 = row.try_get("id")?;
            let planner: Option<String> = row.try_get("planner")?;
            let planned_at: i64 = row.try_get("planned_at")?;
            let gone = planner.as_deref().is_none_or(owner_is_local_and_gone);
            if (gone || planned_at < stale_before) && remove_plan(self, id).await? {
                tracing::info!(job_id = id, planner, "deleted a job plan left unfinished");
                swept += 1;
            }
        }
        Ok(swept)
    }
}
