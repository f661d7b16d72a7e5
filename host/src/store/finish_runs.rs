//! Storing a batch of finished runs: each run still leased is marked finished and gets its
//! record, and its job's counters, usage and quality counts move in the same transaction.
//!
//! A batch costs a handful of statements, whatever its size: the runs are marked with one
//! `UPDATE … SET status = CASE id … END WHERE id IN (…) RETURNING id` per 64 runs, in id
//! order (so two workers finishing the same runs — one of them stalled past its leases —
//! lock them in the same order and cannot deadlock, which marking completed runs and failed
//! runs in two statements could on PostgreSQL), the records go in with one multi-row
//! `INSERT … RETURNING run_id`. A run listed twice in a batch counts once (its first entry). On PostgreSQL the finishers of one job take turns on the job's
//! row, so record ids follow commit order (the job stream reads records by id); the row is
//! locked only after the runs are marked, so the part of the transaction the other workers
//! wait for is the records' insert and the counters, not one statement per run. (With two
//! statements per run under the lock, three workers spent most of their time waiting for the
//! job row: see docs/design.md, *Workers that add up*.)

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sqlx::Row;

use super::runs::{BindUsage, FinishedRun, add_model_usage, capped};
use super::slots::Slots;
use super::{Backend, Store, StoreError, dynamic, now_ms};
use crate::engine::call_stats::CallStats;
use crate::engine::quality::QualityCounts;
use crate::engine::record::RunStatus;
use crate::json::object_text;
use crate::usage::{ModelUsage, Usage};

/// Rows per statement: 64 records bind 1,152 values, far below either backend's limit.
const ROWS_PER_STATEMENT: usize = 64;

/// The name a run's status is stored under.
fn stored_status(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Completed => "completed",
        RunStatus::Failed => "failed",
    }
}

/// What a batch adds to one job: runs completed and failed, usage, per model, model requests
/// and quality counts.
#[derive(Default)]
struct JobSums {
    completed: i64,
    failed: i64,
    usage: Usage,
    by_model: ModelUsage,
    calls: CallStats,
    quality: QualityCounts,
}

impl Store {
    /// Stores finished runs in one transaction: a run still leased is marked finished and its
    /// record written (a run finished twice — say by a worker whose lease had expired, or one
    /// already expanded — writes nothing the second time), and the job's counters and usage
    /// updated in the same transaction, so they always agree with the records. Returns how
    /// many records were new.
    pub async fn finish_runs(&self, finished: &[FinishedRun]) -> Result<u64, StoreError> {
        let now = now_ms();
        let finished = once_each(finished);
        let mut tx = self.pool().begin().await?;
        // The run rows decide: only a run still leased can finish, once. (First, before the
        // job's row is locked: each worker's runs are its own, so nobody waits here.)
        let won = mark_finished(&mut tx, self.backend(), &finished).await?;
        let winners: Vec<&FinishedRun> = finished
            .into_iter()
            .filter(|run| won.contains(&run.run_id))
            .collect();
        if self.backend() == Backend::Postgres {
            let jobs: BTreeSet<i64> = winners.iter().map(|run| run.job_id).collect();
            for job_id in jobs {
                sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
                    .bind(job_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
        }
        let inserted = insert_records(&mut tx, self.backend(), &winners, now).await?;
        let mut per_job: BTreeMap<i64, JobSums> = BTreeMap::new();
        for run in winners.iter().filter(|run| inserted.contains(&run.run_id)) {
            let record = &run.record;
            let sums = per_job.entry(run.job_id).or_default();
            match record.status {
                RunStatus::Completed => sums.completed += 1,
                RunStatus::Failed => sums.failed += 1,
            }
            sums.usage.add(&capped(&record.usage));
            sums.by_model.add(&record.usage_by_model);
            sums.calls.add(&CallStats::of_trace(&record.trace.entries));
            sums.quality.add_record(record);
        }
        for (job_id, sums) in &per_job {
            add_job_sums(&mut tx, self.backend(), *job_id, sums).await?;
        }
        let written = inserted.len() as u64;
        let _committing = (written > 0).then(|| self.records_written.committing());
        tx.commit().await?;
        crate::telemetry::telemetry().records_written(written);
        Ok(written)
    }
}

/// The runs of a batch, each once (its first entry), in id order: the order every worker
/// locks them in.
fn once_each(finished: &[FinishedRun]) -> Vec<&FinishedRun> {
    let mut runs: Vec<&FinishedRun> = finished.iter().collect();
    // A stable sort keeps a run's entries in batch order, so the dedup keeps its first.
    runs.sort_by_key(|run| run.run_id);
    runs.dedup_by_key(|run| run.run_id);
    runs
}

/// Marks the runs of `finished` (each once, in id order) that are still leased as finished,
/// each with its own status, in one statement per [`ROWS_PER_STATEMENT`] runs; returns their
/// ids.
async fn mark_finished(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    finished: &[&FinishedRun],
) -> Result<HashSet<i64>, StoreError> {
    let mut won = HashSet::with_capacity(finished.len());
    for chunk in finished.chunks(ROWS_PER_STATEMENT) {
        // Each run's id and status in the CASE, then the ids again in the IN list: every
        // placeholder is bound in the order written ([`Slots`]).
        let mut slots = Slots::new(backend);
        let mut sql = String::from("UPDATE runs SET status = CASE id");
        for _ in chunk {
            sql.push_str(" WHEN ");
            slots.push(&mut sql);
            sql.push_str(" THEN ");
            slots.push(&mut sql);
        }
        sql.push_str(
            " END, lease_owner = NULL, lease_expires_at = NULL WHERE status = 'leased' AND id IN (",
        );
        slots.push_list(&mut sql, chunk.len());
        sql.push_str(") RETURNING id");
        let mut query = dynamic(sql);
        for run in chunk {
            query = query
                .bind(run.run_id)
                .bind(stored_status(run.record.status));
        }
        for run in chunk {
            query = query.bind(run.run_id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            won.insert(row.try_get::<i64, _>("id")?);
        }
    }
    Ok(won)
}

/// Writes the records of `runs` (none written yet for a run, by its unique `run_id`); returns
/// the run ids whose record this wrote.
async fn insert_records(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    runs: &[&FinishedRun],
    now: i64,
) -> Result<HashSet<i64>, StoreError> {
    let mut inserted = HashSet::with_capacity(runs.len());
    for chunk in runs.chunks(ROWS_PER_STATEMENT) {
        let mut slots = Slots::new(backend);
        let mut sql = String::from(
            "INSERT INTO records (job_id, pipeline_id, run_id, trace_id, run_status, status, metadata, output, \
             pipeline_output, trace, input_tokens, output_tokens, cached_tokens, cost_picodollars, unpriced_calls, \
             cache_hits, error, created_at, updated_at) VALUES ",
        );
        slots.push_rows(&mut sql, chunk.len(), |slots, sql| {
            slots.push_list(sql, 5);
            sql.push_str(", 'pending', ");
            // The values after the status, and the creation time twice (`updated_at`).
            slots.push_list(sql, 13);
        });
        sql.push_str(" ON CONFLICT (run_id) DO NOTHING RETURNING run_id");
        let mut query = dynamic(sql);
        for run in chunk {
            let record = &run.record;
            query = query
                .bind(run.job_id)
                .bind(run.pipeline_id)
                .bind(run.run_id)
                .bind(record.trace_id.clone())
                .bind(stored_status(record.status))
                .bind(object_text(&record.metadata))
                .bind(object_text(&record.accumulated_state))
                .bind(record.pipeline_output.to_string())
                .bind(serde_json::to_string(&record.trace).unwrap_or_else(|_| "[]".to_owned()))
                .bind_usage(&capped(&record.usage))
                .bind(record.error.clone())
                .bind(now)
                .bind(now);
        }
        for row in query.fetch_all(&mut **tx).await? {
            inserted.insert(row.try_get::<i64, _>("run_id")?);
        }
    }
    Ok(inserted)
}

/// Adds what a batch wrote to job `job_id`'s counters, usage, usage per model and quality.
async fn add_job_sums(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    job_id: i64,
    sums: &JobSums,
) -> Result<(), StoreError> {
    super::quality::add_quality(tx, backend, job_id, &sums.quality).await?;
    add_model_usage(tx, job_id, &sums.by_model).await?;
    sqlx::query(
        "UPDATE jobs SET completed_runs = completed_runs + $1, failed_runs = failed_runs + $2, \
         input_tokens = input_tokens + $3, output_tokens = output_tokens + $4, cached_tokens = cached_tokens + $5, \
         cost_picodollars = cost_picodollars + $6, unpriced_calls = unpriced_calls + $7, cache_hits = cache_hits + $8, \
         llm_requests = llm_requests + $9, llm_attempts = llm_attempts + $10, llm_retries = llm_retries + $11, \
         llm_failed = llm_failed + $12, llm_wait_ms = llm_wait_ms + $13 \
         WHERE id = $14",
    )
    .bind(sums.completed)
    .bind(sums.failed)
    .bind_usage(&sums.usage)
    .bind_calls(&sums.calls)
    .bind(job_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
