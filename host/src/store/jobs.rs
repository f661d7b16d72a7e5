//! Jobs: a pipeline over a seed file, and the runs it is made of.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::slots::Slots;
use super::{Backend, Store, StoreError, dynamic, now_ms, parse_json, usage_columns};
use crate::engine::call_stats::CallStats;
use crate::llm::CacheMode;
use crate::usage::{ModelUsage, Usage};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Runs are being executed (or wait to be claimed).
    Running,
    /// Every run finished.
    Completed,
    /// The job could not go on (e.g. its pipeline became invalid).
    Failed,
    /// A user cancelled it.
    Cancelled,
    /// A constraint stopped it.
    Stopped,
}

impl JobStatus {
    /// Every status.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Stopped,
    ];

    /// The status named `name` (as [`JobStatus::as_str`] writes it), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Stopped => "stopped",
        }
    }

    /// The stored status `text`; a name this build does not know is an error, not a guess.
    fn parse(text: &str) -> Result<Self, StoreError> {
        Self::from_name(text).ok_or_else(|| StoreError::UnknownValue {
            what: "job status",
            value: text.to_owned(),
        })
    }

    /// Whether the job has ended.
    pub fn is_finished(self) -> bool {
        self != JobStatus::Running
    }
}

/// A job with its live counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    /// Its id.
    pub id: i64,
    /// The pipeline it runs.
    pub pipeline_id: i64,
    /// Where it stands.
    pub status: JobStatus,
    /// Runs planned.
    pub total_runs: i64,
    /// Runs that completed.
    pub completed_runs: i64,
    /// Runs that failed.
    pub failed_runs: i64,
    /// Usage over the finished runs.
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: ModelUsage,
    /// The model requests behind its records: attempts, retries, failures, waits.
    pub llm_calls: CallStats,
    /// Options given at start (concurrency...).
    pub options: Value,
    /// What the response cache may do for its calls.
    pub cache: CacheMode,
    /// Why it failed or stopped.
    pub error: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// When it ended, Unix ms.
    pub completed_at: Option<i64>,
    /// The block runs most recently entered (type name), while it runs.
    pub current_block: Option<String>,
    /// That block's step index in the pipeline.
    pub current_step: Option<i64>,
}

/// A run to plan: one repetition of one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// Index of the seed.
    pub seed_index: i64,
    /// Repetition of the seed.
    pub repetition: i64,
    /// Index among a multiplier's seeds (-1: none).
    pub split_index: i64,
    /// The run's initial state, as JSON object text (serialized once per seed, not kept as a
    /// tree for every run of a big job, and shared by the seed's repetitions: a seed repeated
    /// 20,000 times is held once while its runs are planned).
    pub metadata: std::sync::Arc<str>,
}

pub(super) const COLUMNS: &str = "id, pipeline_id, status, total_runs, completed_runs, failed_runs, input_tokens, output_tokens, cached_tokens, cost_picodollars, unpriced_calls, cache_hits, llm_requests, llm_attempts, llm_retries, llm_failed, llm_wait_ms, options, cache, error, created_at, completed_at, current_block, current_step";

pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<JobRow, StoreError> {
    Ok(JobRow {
        id: row.try_get("id")?,
        pipeline_id: row.try_get("pipeline_id")?,
        status: JobStatus::parse(&row.try_get::<String, _>("status")?)?,
        total_runs: row.try_get("total_runs")?,
        completed_runs: row.try_get("completed_runs")?,
        failed_runs: row.try_get("failed_runs")?,
        usage: usage_columns(row)?,
        usage_by_model: ModelUsage::default(),
        llm_calls: call_stats_columns(row)?,
        options: parse_json(&row.try_get::<String, _>("options")?, "job options")?,
        // A mode this build does not know (written by a newer one) falls back to the default.
        cache: row
            .try_get::<String, _>("cache")?
            .parse()
            .unwrap_or_default(),
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        completed_at: row.try_get("completed_at")?,
        current_block: row.try_get("current_block")?,
        current_step: row.try_get("current_step")?,
    })
}

/// The `llm_*` columns (counters, never negative).
fn call_stats_columns(row: &sqlx::any::AnyRow) -> Result<CallStats, StoreError> {
    let count = |column: &str| -> Result<u64, StoreError> {
        Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
    };
    Ok(CallStats {
        requests: count("llm_requests")?,
        attempts: count("llm_attempts")?,
        retries: count("llm_retries")?,
        failed: count("llm_failed")?,
        wait_ms: count("llm_wait_ms")?,
    })
}

/// Rows per multi-row INSERT when planning runs.
const RUNS_PER_INSERT: usize = 200;

/// Metadata bytes past which a batch of planned runs is written before it has
/// [`RUNS_PER_INSERT`] rows: a multiplier's children each carry the seed's state, which may be
/// a whole document.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Where the runs of one expansion start and whose trace they inherit: the run that reached
/// the multiplier, and the step after it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lineage {
    /// The expanded run (it keeps the trace its children inherit).
    pub parent_run_id: i64,
    /// The step the children start at.
    pub first_step: i64,
}

/// A run to insert: its row and, for a multiplier's child, what the multiplier returned for it
/// (JSON object text).
pub(super) trait PlannedRun {
    /// The row.
    fn run(&self) -> &NewRun;
    /// The multiplier's output for this child, if it is one.
    fn split_output(&self) -> Option<&str>;
}

impl PlannedRun for &NewRun {
    fn run(&self) -> &NewRun {
        self
    }

    fn split_output(&self) -> Option<&str> {
        None
    }
}

/// A multiplier's child to plan: its row and its part of the multiplier's output.
pub(super) struct SplitRun {
    /// The row.
    pub run: NewRun,
    /// The multiplier's output for it, as JSON object text.
    pub output: String,
}

impl PlannedRun for SplitRun {
    fn run(&self) -> &NewRun {
        &self.run
    }

    fn split_output(&self) -> Option<&str> {
        Some(&self.output)
    }
}

/// Plans `runs` of job `job_id` (status `pending`) in the caller's transaction,
/// [`RUNS_PER_INSERT`] rows (or [`BATCH_BYTES`] of metadata) per statement, reading `runs` as
/// it goes: only one batch of rows is held at a time. A run already planned (same seed,
/// repetition and split) is left as it is. A multiplier's children name their `lineage`.
pub(super) async fn insert_runs<R: PlannedRun>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    job_id: i64,
    runs: impl Iterator<Item = R>,
    lineage: Option<Lineage>,
) -> Result<(), StoreError> {
    const BINDS: usize = 8;
    let mut runs = runs.peekable();
    let mut batch: Vec<R> = Vec::with_capacity(RUNS_PER_INSERT);
    while runs.peek().is_some() {
        batch.clear();
        let mut bytes = 0;
        while batch.len() < RUNS_PER_INSERT && bytes < BATCH_BYTES {
            let Some(run) = runs.next() else { break };
            bytes += run.run().metadata.len() + run.split_output().map_or(0, str::len);
            batch.push(run);
        }
        let mut sql = String::from(
            "INSERT INTO runs (job_id, seed_index, repetition, split_index, metadata, first_step, \
             parent_run_id, split_output, status) VALUES ",
        );
        Slots::new(backend).push_rows(&mut sql, batch.len(), |slots, sql| {
            slots.push_list(sql, BINDS);
            sql.push_str(", 'pending'");
        });
        sql.push_str(" ON CONFLICT (job_id, seed_index, repetition, split_index) DO NOTHING");
        let mut query = dynamic(sql);
        for planned in &batch {
            let run = planned.run();
            query = query
                .bind(job_id)
                .bind(run.seed_index)
                .bind(run.repetition)
                .bind(run.split_index)
                .bind(run.metadata.to_string())
                .bind(lineage.map_or(0, |l| l.first_step))
                .bind(lineage.map(|l| l.parent_run_id))
                .bind(planned.split_output().map(str::to_owned));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// The job `id`.
    pub async fn job(&self, id: i64) -> Result<JobRow, StoreError> {
        let mut job = self.job_row(self.reader(), id).await?;
        job.usage_by_model = self.job_usage_by_model(id).await?;
        Ok(job)
    }

    /// The job `id` with its status and totals but no per-model usage (`usage_by_model` is
    /// empty): one statement, for the job runner, which reads the job back after every batch.
    /// It reads through the writer's connection (on SQLite), which the runner takes in turn
    /// anyway: the runner never queues behind the API's readers of records.
    pub async fn job_progress(&self, id: i64) -> Result<JobRow, StoreError> {
        self.job_row(self.pool(), id).await
    }

    async fn job_row(&self, pool: &sqlx::AnyPool, id: i64) -> Result<JobRow, StoreError> {
        // A job still being planned is not there yet ([`JobPlan`]).
        let row = dynamic(format!(
            "SELECT {COLUMNS} FROM jobs WHERE id = $1 AND status <> 'planning'"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound { what: "job", id })?;
        from_row(&row)
    }

    /// Job `id`'s usage per model.
    pub async fn job_usage_by_model(&self, id: i64) -> Result<ModelUsage, StoreError> {
        let rows = sqlx::query(
            "SELECT model, input_tokens, output_tokens, cached_tokens, cost_picodollars, unpriced_calls, cache_hits \
             FROM job_model_usage WHERE job_id = $1",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let mut by_model = ModelUsage::default();
        for row in &rows {
            by_model
                .0
                .insert(row.try_get("model")?, usage_columns(row)?);
        }
        Ok(by_model)
    }

    /// Jobs, newest first, of one pipeline or all, in one status or any.
    pub async fn jobs(
        &self,
        pipeline_id: Option<i64>,
        status: Option<JobStatus>,
    ) -> Result<Vec<JobRow>, StoreError> {
        self.jobs_where(pipeline_id, status, i64::MAX).await
    }

    /// The newest running job, if any (DataGenFlow's UI asks every few seconds).
    pub async fn active_job(&self) -> Result<Option<JobRow>, StoreError> {
        Ok(self
            .jobs_where(None, Some(JobStatus::Running), 1)
            .await?
            .pop())
    }

    /// At most `limit` jobs matching the filters, newest first, with their usage per model.
    async fn jobs_where(
        &self,
        pipeline_id: Option<i64>,
        status: Option<JobStatus>,
        limit: i64,
    ) -> Result<Vec<JobRow>, StoreError> {
        // Only the filters given, so the pipeline's index serves its filter.
        let jobs_of = match pipeline_id {
            Some(_) => "pipeline_id = $1",
            None => "$1 < 0",
        };
        // Jobs still being planned are never listed ([`JobPlan`]).
        let in_status = match status {
            Some(_) => "status = $2",
            None => "status <> 'planning' AND $2 = ''",
        };
        let matching = format!(
            "SELECT id FROM jobs WHERE {jobs_of} AND {in_status} ORDER BY id DESC LIMIT $3"
        );
        let bind = |sql: String| {
            dynamic(sql)
                .bind(pipeline_id.unwrap_or(-1))
                .bind(status.map_or("", JobStatus::as_str).to_owned())
                .bind(limit.max(0))
        };
        let rows = bind(format!(
            "SELECT {COLUMNS} FROM jobs WHERE {jobs_of} AND {in_status} ORDER BY id DESC LIMIT $3"
        ))
        .fetch_all(self.reader())
        .await?;
        // The listed jobs' usage per model in one statement, not one query per job (the UI
        // rereads this list every few seconds).
        let usage_rows = bind(format!(
            "SELECT u.job_id, u.model, u.input_tokens, u.output_tokens, u.cached_tokens, \
             u.cost_picodollars, u.unpriced_calls, u.cache_hits \
             FROM job_model_usage u WHERE u.job_id IN ({matching})"
        ))
        .fetch_all(self.reader())
        .await?;
        let mut by_job: std::collections::HashMap<i64, ModelUsage> = Default::default();
        for row in &usage_rows {
            by_job
                .entry(row.try_get("job_id")?)
                .or_default()
                .0
                .insert(row.try_get("model")?, usage_columns(row)?);
        }
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut job = from_row(row)?;
            job.usage_by_model = by_job.remove(&job.id).unwrap_or_default();
            jobs.push(job);
        }
        Ok(jobs)
    }

    /// Ends a running job with `status` (and why). A job that has already ended keeps its
    /// status: cancelling a finished job does not turn it into a cancelled one. Returns whether
    /// the job changed.
    pub async fn finish_job(
        &self,
        id: i64,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, error = $2, completed_at = $3 WHERE id = $4 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(error.map(str::to_owned))
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            self.job(id).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// Records which block the running job `id` has most recently entered.
    pub async fn set_current_block(
        &self,
        id: i64,
        step: i64,
        block_type: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET current_block = $1, current_step = $2 WHERE id = $3 AND status = 'running'",
        )
        .bind(block_type.to_owned())
        .bind(step)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ids of the jobs still running (to resume at start).
    pub async fn running_jobs(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM jobs WHERE status = 'running' ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_and_an_unknown_one_is_an_error() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(matches!(
            JobStatus::parse("sleeping"),
            Err(StoreError::UnknownValue { value, .. }) if value == "sleeping"
        ));
    }

    #[tokio::test]
    async fn a_job_plan_given_up_leaves_no_job_and_no_run() {
        let path = std::env::temp_dir().join(format!("blockforge-plan-{}.db", std::process::id()));
        let store = Store::connect(&path.display().to_string()).await.unwrap();
        let pipeline = store
            .create_pipeline("p", &serde_json::json!({"blocks": []}))
            .await
            .unwrap();
        let runs: Vec<NewRun> = (0..450)
            .map(|i| NewRun {
                seed_index: i,
                repetition: 0,
                split_index: -1,
                metadata: "{}".into(),
            })
            .collect();
        let count = |sql: &'static str| {
            let store = store.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(store.pool())
                    .await
                    .unwrap()
            }
        };
        // Runs added in batches, then the plan given up (a seed file wrong half-way).
        let mut plan = store
            .begin_job(pipeline.id, 900, &serde_json::json!({}), CacheMode::Auto)
            .await
            .unwrap();
        plan.add_runs(&runs).await.unwrap();
        plan.add_runs(&runs[..10]).await.unwrap();
        plan.abandon().await.unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM jobs").await, 0);
        assert_eq!(count("SELECT COUNT(*) FROM runs").await, 0);
        // Committed, the job runs with all its runs.
        let mut plan = store
            .begin_job(pipeline.id, 450, &serde_json::json!({}), CacheMode::Auto)
            .await
            .unwrap();
        plan.add_runs(&runs[..200]).await.unwrap();
        plan.add_runs(&runs[200..]).await.unwrap();
        let job = plan.commit().await.unwrap();
        assert_eq!(job.total_runs, 450);
        assert_eq!(count("SELECT COUNT(*) FROM jobs").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM runs").await, 450);
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn the_runner_reads_its_job_while_every_reader_connection_is_taken() {
        let path = std::env::temp_dir().join(format!("blockforge-busy-{}.db", std::process::id()));
        let store = Store::connect(&path.display().to_string()).await.unwrap();
        let pipeline = store
            .create_pipeline("p", &serde_json::json!({"blocks": []}))
            .await
            .unwrap();
        let job = store
            .create_job(pipeline.id, &[], &serde_json::json!({}))
            .await
            .unwrap();
        // Readers of the API hold every read connection (a page of records each).
        let mut held = Vec::new();
        for _ in 0..super::super::SQLITE_READERS {
            held.push(store.reader().acquire().await.unwrap());
        }
        // The runner's read does not wait for them (it would, until the pool gave up).
        let progress = store.job_progress(job.id).await.unwrap();
        assert_eq!(progress.id, job.id);
        drop(held);
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
