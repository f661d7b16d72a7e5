//! Claiming runs with leases, renewing and handing them back, and planning a multiplier's
//! split runs (finished runs are stored by `finish_runs`).

use std::time::Duration;

use serde_json::{Map, Value};
use sqlx::Row;

use super::slots::Slots;
use super::{Backend, Store, StoreError, dynamic, now_ms, parse_json};
use crate::engine::call_stats::CallStats;
use crate::engine::quality::QualityCounts;
use crate::engine::record::RunRecord;
use crate::store::jobs::{Lineage, NewRun, SplitRun};
use crate::usage::{ModelUsage, Usage};

/// A run a worker holds a lease on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedRun {
    /// The run's id.
    pub id: i64,
    /// Its job.
    pub job_id: i64,
    /// Index of its seed.
    pub seed_index: i64,
    /// Repetition of the seed.
    pub repetition: i64,
    /// Index among a multiplier's seeds (-1: none).
    pub split_index: i64,
    /// Its initial state.
    pub metadata: Map<String, Value>,
    /// The step it starts at (a multiplier's child: the step after the multiplier).
    pub first_step: i64,
    /// A multiplier's child: the run that reached the multiplier, whose trace it inherits
    /// ([`Store::inherited_trace`]); `None` for a seed's run and for a split planned before
    /// runs kept their parent.
    pub parent_run_id: Option<i64>,
    /// A multiplier's child: what the multiplier returned for it (JSON object text).
    pub split_output: Option<String>,
    /// How many times it has been claimed, this one included.
    pub attempts: i64,
    /// How many of those claims took it over from a worker whose lease expired (it died or
    /// stalled), this one included.
    pub lost_leases: i64,
}

/// What a split run inherits from the run that reached the multiplier.
#[derive(Debug, Clone)]
pub struct Inheritance {
    /// The stored trace prefix, as JSON text.
    pub trace: String,
    /// The parent run's metadata: the seed's.
    pub metadata: Map<String, Value>,
}

/// What [`Store::expand_run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expanded {
    /// The children are planned.
    Planned,
    /// The run was expanded before (or is no longer leased): nothing changed.
    Again,
    /// The children would make the job `total` runs, above the limit: nothing changed, the
    /// run is still leased.
    OverLimit {
        /// The job's total had the children been planned.
        total: u64,
    },
}

/// What [`Store::expand_run`] stores of an expansion.
pub struct Split<'a, C> {
    /// Each child's initial state and its own part of the multiplier's output, in order.
    pub children: C,
    /// The step the children start at (the one after the multiplier).
    pub first_step: i64,
    /// The trace they inherit (JSON, kept once on the expanded run).
    pub inherited_trace: &'a str,
    /// The expanded run's own usage through the multiplier.
    pub usage: &'a Usage,
    /// The same, per model.
    pub usage_by_model: &'a ModelUsage,
    /// Its model requests.
    pub calls: &'a CallStats,
    /// What its calls before the multiplier checked and scored.
    pub quality: &'a QualityCounts,
}

/// A finished run to store: its record, for its job and pipeline.
#[derive(Debug, Clone)]
pub struct FinishedRun {
    /// The run's id.
    pub run_id: i64,
    /// Its job.
    pub job_id: i64,
    /// The job's pipeline.
    pub pipeline_id: i64,
    /// What the run produced.
    pub record: RunRecord,
}

/// Which runs a claim statement takes.
#[derive(Debug, Clone, Copy)]
enum Claimable {
    /// Leased runs whose lease has expired.
    Expired,
    /// Runs nobody has claimed yet (or handed back).
    Pending,
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Leases up to `limit` runs of running jobs (of `job_id` only, when given) to `owner` for
    /// `lease`: runs whose lease expired (their worker died) first, then pending runs, each in
    /// id order. On PostgreSQL rows another worker is claiming are skipped, not waited for;
    /// SQLite has one writer at a time, so each statement is atomic there as it is.
    ///
    /// Each kind is claimed by its own statement so that each reads only claimable rows, from
    /// an index in the order it takes them: pending runs of a job by `(job_id, status, id)`,
    /// expired leases by `(job_id, status, lease_expires_at)`. (One statement for both walked
    /// the job's runs from its first, finished ones included: 16 ms per claim with 6,000 of
    /// 20,000 runs finished, growing with every run the job finished.)
    pub async fn claim_runs(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
        job_id: Option<i64>,
    ) -> Result<Vec<ClaimedRun>, StoreError> {
        let now = now_ms();
        let mut claimed = self
            .claim_where(owner, limit, lease, job_id, now, Claimable::Expired)
            .await?;
        if claimed.len() < limit {
            let pending = self
                .claim_where(
                    owner,
                    limit - claimed.len(),
                    lease,
                    job_id,
                    now,
                    Claimable::Pending,
                )
                .await?;
            claimed.extend(pending);
        }
        Ok(claimed)
    }

    /// Leases up to `limit` runs of one `kind` (see [`Store::claim_runs`]), in id order.
    async fn claim_where(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
        job_id: Option<i64>,
        now: i64,
        kind: Claimable,
    ) -> Result<Vec<ClaimedRun>, StoreError> {
        // On PostgreSQL the runs are picked by an init plan (`ARRAY(…)`), run once: as
        // `id IN (…)`, the generic plan of the prepared statement (its `LIMIT` unknown) joined
        // the pick to a sequential scan of every run of every job (93 ms against 2.8 ms with
        // 20,000 runs, `EXPLAIN ANALYZE` with `plan_cache_mode = force_generic_plan`).
        let (pick, lock, picked) = match self.backend() {
            Backend::Postgres => ("id = ANY(ARRAY(", "FOR UPDATE OF r SKIP LOCKED", "))"),
            Backend::Sqlite => ("id IN (", "", ")"),
        };
        let job_filter = if job_id.is_some() {
            "r.job_id = $3"
        } else {
            "$3 < 0"
        };
        let claimable = match kind {
            Claimable::Expired => "r.status = 'leased' AND r.lease_expires_at < $5",
            Claimable::Pending => "r.status = 'pending'",
        };
        let sql = format!(
            "UPDATE runs SET status = 'leased', attempts = attempts + 1, \
             lost_leases = lost_leases + CASE WHEN status = 'leased' THEN 1 ELSE 0 END, \
             lease_owner = $1, lease_expires_at = $2 \
             WHERE {pick} \
               SELECT r.id FROM runs r \
               WHERE {job_filter} AND {claimable} \
                 AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id AND j.status = 'running') \
               ORDER BY r.id LIMIT $4 {lock}{picked} \
             RETURNING id, job_id, seed_index, repetition, split_index, metadata, attempts, lost_leases, \
             first_step, parent_run_id, split_output"
        );
        let query = dynamic(sql)
            .bind(owner)
            .bind(now.saturating_add(lease_ms(lease)))
            .bind(job_id.unwrap_or(-1))
            .bind(limit as i64);
        let query = match kind {
            Claimable::Expired => query.bind(now),
            Claimable::Pending => query,
        };
        let rows = query.fetch_all(self.pool()).await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                Ok(ClaimedRun {
                    id: row.try_get("id")?,
                    job_id: row.try_get("job_id")?,
                    seed_index: row.try_get("seed_index")?,
                    repetition: row.try_get("repetition")?,
                    split_index: row.try_get("split_index")?,
                    metadata: parse_json(&row.try_get::<String, _>("metadata")?, "run metadata")?,
                    attempts: row.try_get("attempts")?,
                    lost_leases: row.try_get("lost_leases")?,
                    first_step: row.try_get("first_step")?,
                    parent_run_id: row.try_get("parent_run_id")?,
                    split_output: row.try_get("split_output")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    /// Extends `owner`'s leases on `run_ids` by `lease`; returns the ids it still held (a run
    /// missing was taken over after its lease expired, or finished by its new holder). One
    /// statement per 500 runs, not one per run.
    pub async fn renew_leases(
        &self,
        owner: &str,
        run_ids: &[i64],
        lease: Duration,
    ) -> Result<Vec<i64>, StoreError> {
        const IDS_PER_STATEMENT: usize = 500;
        let mut renewed = Vec::with_capacity(run_ids.len());
        let expires = now_ms().saturating_add(lease_ms(lease));
        for chunk in run_ids.chunks(IDS_PER_STATEMENT) {
            let mut slots = Slots::new(self.backend());
            let mut query = dynamic(format!(
                "UPDATE runs SET lease_expires_at = {} WHERE lease_owner = {} AND status = 'leased' \
                 AND id IN ({}) RETURNING id",
                slots.list(1),
                slots.list(1),
                slots.list(chunk.len())
            ))
            .bind(expires)
            .bind(owner);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                renewed.push(row.try_get::<i64, _>("id")?);
            }
        }
        Ok(renewed)
    }

    /// The owners of leased runs, each once.
    pub async fn lease_owners(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT lease_owner FROM runs WHERE status = 'leased' AND lease_owner IS NOT NULL",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("lease_owner")?))
            .collect()
    }

    /// Ends `owner`'s leases now, as if they had expired (their worker is known dead): the
    /// next claim takes them over, counting a lost lease. Returns how many there were.
    pub async fn expire_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET lease_expires_at = 0 WHERE lease_owner = $1 AND status = 'leased'",
        )
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Replaces a claimed run that reached a multiplier with the runs the multiplier returned,
    /// in one transaction: the children are planned (`split_index` 0..n, their initial state in
    /// `metadata`, their part of the multiplier's output, the step after it, this run as their
    /// parent), written in batches as `split.children` yields them; the run is marked expanded
    /// (it makes no record) and keeps the trace its children inherit; the job's total is
    /// adjusted and the run's usage, model requests and checks counted. When the children would
    /// take the job's total past `max_runs`, nothing changes and the answer says the total
    /// they would have made (the check and the new total are one statement, so concurrent
    /// expansions cannot both pass it). A repeated expansion of the same run changes nothing.
    pub async fn expand_run<C>(
        &self,
        parent: &ClaimedRun,
        split: Split<'_, C>,
        max_runs: u64,
    ) -> Result<Expanded, StoreError>
    where
        C: ExactSizeIterator<Item = (Map<String, Value>, Map<String, Value>)> + Send,
    {
        let mut tx = self.pool().begin().await?;
        // The first statement writes (SQLite upgrades a reading transaction badly).
        let marked = sqlx::query(
            "UPDATE runs SET status = 'expanded', lease_owner = NULL, lease_expires_at = NULL, \
             inherited_trace = $2 WHERE id = $1 AND status = 'leased'",
        )
        .bind(parent.id)
        .bind(split.inherited_trace.to_owned())
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            return Ok(Expanded::Again);
        }
        // One planned run becomes `children.len()` runs.
        let delta = i64::try_from(split.children.len()).unwrap_or(i64::MAX / 2) - 1;
        let max_runs = column(max_runs);
        let grown = sqlx::query(
            "UPDATE jobs SET total_runs = total_runs + $1 WHERE id = $2 AND total_runs + $1 <= $3",
        )
        .bind(delta)
        .bind(parent.job_id)
        .bind(max_runs)
        .execute(&mut *tx)
        .await?;
        if grown.rows_affected() == 0 {
            let row = sqlx::query("SELECT total_runs FROM jobs WHERE id = $1")
                .bind(parent.job_id)
                .fetch_one(&mut *tx)
                .await?;
            let total: i64 = row.try_get("total_runs")?;
            tx.rollback().await?;
            return Ok(Expanded::OverLimit {
                total: u64::try_from(total.saturating_add(delta)).unwrap_or(0),
            });
        }
        let (seed_index, repetition) = (parent.seed_index, parent.repetition);
        let rows = split
            .children
            .enumerate()
            .map(|(index, (state, output))| SplitRun {
                run: NewRun {
                    seed_index,
                    repetition,
                    split_index: index as i64,
                    metadata: Value::Object(state).to_string().into(),
                },
                output: Value::Object(output).to_string(),
            });
        let lineage = Lineage {
            parent_run_id: parent.id,
            first_step: split.first_step,
        };
        super::jobs::insert_runs(&mut tx, self.backend(), parent.job_id, rows, Some(lineage))
            .await?;
        // The run's own model usage (the multiplier's and its steps' before) counts toward the
        // job (and its budgets) here, and so do their checks.
        sqlx::query(
            "UPDATE jobs SET input_tokens = input_tokens + $1, \
             output_tokens = output_tokens + $2, cached_tokens = cached_tokens + $3, \
             cost_picodollars = cost_picodollars + $4, unpriced_calls = unpriced_calls + $5, \
             cache_hits = cache_hits + $6, llm_requests = llm_requests + $7, \
             llm_attempts = llm_attempts + $8, llm_retries = llm_retries + $9, \
             llm_failed = llm_failed + $10, llm_wait_ms = llm_wait_ms + $11 WHERE id = $12",
        )
        .bind_usage(&capped(split.usage))
        .bind_calls(split.calls)
        .bind(parent.job_id)
        .execute(&mut *tx)
        .await?;
        add_model_usage(&mut tx, parent.job_id, split.usage_by_model).await?;
        if !split.quality.is_empty() {
            super::quality::add_quality(&mut tx, self.backend(), parent.job_id, split.quality)
                .await?;
        }
        tx.commit().await?;
        Ok(Expanded::Planned)
    }

    /// What the children of the expanded run `run_id` inherit: its trace, as
    /// [`crate::engine::expansion::Expansion::stored_prefix`] wrote it, and its metadata (the
    /// seed's, which their records show). `None` when the run or its trace is not stored.
    pub async fn inherited_trace(&self, run_id: i64) -> Result<Option<Inheritance>, StoreError> {
        let row = sqlx::query("SELECT inherited_trace, metadata FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(trace) = row.try_get::<Option<String>, _>("inherited_trace")? else {
            return Ok(None);
        };
        let metadata = parse_json(&row.try_get::<String, _>("metadata")?, "run metadata")?;
        Ok(Some(Inheritance { trace, metadata }))
    }

    /// Hands `owner`'s leased runs back (a worker stopping cleanly): they become pending again,
    /// without counting the interrupted attempt.
    pub async fn release_leases(&self, owner: &str) -> Result<u64, StoreError> {
        self.release(owner, "$2 < 0", -1).await
    }

    /// Hands back `owner`'s leased runs of job `job_id` (its runner ending after a cancel):
    /// until then, deleting every record waits for them ([`Store::delete_records`]).
    pub async fn release_job_leases(&self, owner: &str, job_id: i64) -> Result<u64, StoreError> {
        self.release(owner, "job_id = $2", job_id).await
    }

    /// Makes `owner`'s leased runs matching `scope` (with `$2` bound to `value`) pending again.
    async fn release(&self, owner: &str, scope: &str, value: i64) -> Result<u64, StoreError> {
        let done = dynamic(format!(
            "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE lease_owner = $1 AND status = 'leased' AND {scope}"
        ))
        .bind(owner)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Runs of a job not finished yet (pending or leased).
    pub async fn unfinished_runs(&self, job_id: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM runs WHERE job_id = $1 AND status IN ('pending', 'leased')",
        )
        .bind(job_id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get("n")?)
    }
}

/// Most tokens one run may add to a counter: sums of a million runs stay far below BIGINT's
/// limit however absurd a provider's reported usage.
const MAX_TOKENS_PER_RUN: u64 = 1 << 40;

/// Most picodollars one run may add to a job's cost ($1,000, beyond any real run): a BIGINT of
/// picodollars holds $9.2 million, far above what one job can spend.
const MAX_PICODOLLARS_PER_RUN: u64 = 1_000 * 1_000_000_000_000;

/// One run's usage with every count capped (tokens at [`MAX_TOKENS_PER_RUN`], cost at
/// [`MAX_PICODOLLARS_PER_RUN`]). A run's record and the job's sums both take the capped
/// value, so the counters always equal the sum of the records; the caps apply per run, never
/// to a batch's sum.
pub(super) fn capped(usage: &Usage) -> Usage {
    let mut capped = *usage;
    capped.input_tokens = capped.input_tokens.min(MAX_TOKENS_PER_RUN);
    capped.output_tokens = capped.output_tokens.min(MAX_TOKENS_PER_RUN);
    capped.cached_tokens = capped.cached_tokens.min(MAX_TOKENS_PER_RUN);
    capped.cache_hits = capped.cache_hits.min(MAX_TOKENS_PER_RUN);
    capped.cost.unpriced_calls = capped.cost.unpriced_calls.min(MAX_TOKENS_PER_RUN);
    capped.cost.picodollars = capped.cost.picodollars.min(MAX_PICODOLLARS_PER_RUN);
    capped
}

/// A count for a BIGINT column (saturating).
fn column(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds `by_model` into job `job_id`'s usage per model, in the caller's transaction.
pub(super) async fn add_model_usage(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    job_id: i64,
    by_model: &ModelUsage,
) -> Result<(), StoreError> {
    for (model, usage) in &by_model.0 {
        sqlx::query(
            "INSERT INTO job_model_usage (job_id, model, input_tokens, output_tokens, cached_tokens, \
             cost_picodollars, unpriced_calls, cache_hits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (job_id, model) DO UPDATE SET \
             input_tokens = job_model_usage.input_tokens + excluded.input_tokens, \
             output_tokens = job_model_usage.output_tokens + excluded.output_tokens, \
             cached_tokens = job_model_usage.cached_tokens + excluded.cached_tokens, \
             cost_picodollars = job_model_usage.cost_picodollars + excluded.cost_picodollars, \
             unpriced_calls = job_model_usage.unpriced_calls + excluded.unpriced_calls, \
             cache_hits = job_model_usage.cache_hits + excluded.cache_hits",
        )
        .bind(job_id)
        .bind(model.clone())
        .bind_usage(usage)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Binds a usage's six columns in their order: `input_tokens`, `output_tokens`,
/// `cached_tokens`, `cost_picodollars`, `unpriced_calls`, `cache_hits`; and model request
/// counts' five: `llm_requests`, `llm_attempts`, `llm_retries`, `llm_failed`, `llm_wait_ms`.
pub(super) trait BindUsage {
    fn bind_usage(self, usage: &Usage) -> Self;
    fn bind_calls(self, calls: &CallStats) -> Self;
}

impl<'q> BindUsage for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    fn bind_usage(self, usage: &Usage) -> Self {
        self.bind(column(usage.input_tokens))
            .bind(column(usage.output_tokens))
            .bind(column(usage.cached_tokens))
            .bind(column(usage.cost.picodollars))
            .bind(column(usage.cost.unpriced_calls))
            .bind(column(usage.cache_hits))
    }

    fn bind_calls(self, calls: &CallStats) -> Self {
        self.bind(column(calls.requests))
            .bind(column(calls.attempts))
            .bind(column(calls.retries))
            .bind(column(calls.failed))
            .bind(column(calls.wait_ms))
    }
}
