//! Runs a stored job to its end: claims its runs with leases, executes them concurrently
//! (bounded by the job's `concurrency`), writes finished runs in batches, and stops on cancel
//! or when a constraint is reached. Running it again after a crash resumes the job: finished
//! runs have records and are never claimed again; runs whose worker died are claimed again
//! once their lease expires.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::task::JoinSet;

use super::record::{RunRecord, RunStatus};
use super::run::{RunContext, RunStart};
use super::validate::validate;
use super::{Pipeline, Usage};
use crate::registry::Registry;
use crate::store::jobs::JobStatus;
use crate::store::runs::{ClaimedRun, FinishedRun};
use crate::store::{Store, StoreError, now_ms};

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This worker's name in leases; unique per process.
    pub owner: String,
    /// How long a claimed run stays this worker's without renewal.
    pub lease: Duration,
    /// Finished runs written per transaction at most.
    pub batch_size: usize,
    /// Longest wait before finished runs are written and the job's status is checked.
    pub flush_interval: Duration,
    /// Claims of one run after which it is recorded as failed instead of run again (it keeps
    /// taking its worker down).
    pub max_attempts: i64,
}

impl RunnerConfig {
    /// Defaults for a worker named `owner`: 30 s leases, batches of 64, 200 ms flushes, 3
    /// attempts.
    pub fn new(owner: impl Into<String>) -> Self {
        RunnerConfig {
            owner: owner.into(),
            lease: Duration::from_secs(30),
            batch_size: 64,
            flush_interval: Duration::from_millis(200),
            max_attempts: 3,
        }
    }
}

/// What one executed run produced.
enum Outcome {
    Finished(Box<FinishedRun>),
    Expanded(i64),
}

/// Runs job `job_id` until it completes, is cancelled, stops on a constraint or fails; returns
/// its final status.
pub async fn run_job(
    store: &Store,
    registry: &Registry,
    job_id: i64,
    config: &RunnerConfig,
) -> Result<JobStatus, StoreError> {
    let job = store.job(job_id).await?;
    if job.status.is_finished() {
        return Ok(job.status);
    }
    let pipeline_row = store.pipeline(job.pipeline_id).await?;
    let origin = format!("pipeline {}", pipeline_row.id);
    // The definition as it was when the job started: editing the pipeline does not change a
    // job under way (nor the runs a multiplier already planned).
    let definition = match job.options.get("pipeline") {
        Some(snapshot) if snapshot.is_object() => snapshot.clone(),
        _ => pipeline_row.definition.clone(),
    };
    let valid = match Pipeline::parse(&definition.to_string(), &origin) {
        Ok(pipeline) => validate(&pipeline, registry).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let valid = match valid {
        Ok(valid) => valid,
        Err(error) => {
            store
                .finish_job(job_id, JobStatus::Failed, Some(&error))
                .await?;
            return Ok(JobStatus::Failed);
        }
    };
    let constraints = valid.pipeline.constraints;
    let concurrency = job.options["concurrency"]
        .as_u64()
        .unwrap_or(16)
        .clamp(1, 1024) as usize;
    let ctx = Arc::new(RunContext {
        runtime: registry.runtime().clone(),
        pipeline_id: pipeline_row.id.to_string(),
        job_id: job_id.to_string(),
        pipeline: valid,
        current_step: Default::default(),
        cache: job.cache,
    });

    let mut in_flight: JoinSet<Result<Outcome, StoreError>> = JoinSet::new();
    // Which run each task executes, to record a run whose task died.
    let mut tasks: HashMap<tokio::task::Id, ClaimedRun> = HashMap::new();
    let mut held: HashSet<i64> = HashSet::new();
    let mut buffer: Vec<FinishedRun> = Vec::new();
    let mut last_flush = Instant::now();
    let mut last_renewal = Instant::now();
    let mut reported_step: Option<usize> = None;
    // Runs claimed and not started yet: claims are made in batches (one statement for about
    // `concurrency` runs) instead of one per finished run.
    let mut queue: VecDeque<ClaimedRun> = VecDeque::new();
    loop {
        if queue.len() <= concurrency / 2 {
            let want = 2 * concurrency - in_flight.len() - queue.len();
            for run in store
                .claim_runs(&config.owner, want, config.lease, Some(job_id))
                .await?
            {
                if run.attempts > config.max_attempts {
                    let reason = format!(
                        "run abandoned: claimed {} times, its worker never finished it (limit {})",
                        run.attempts, config.max_attempts
                    );
                    buffer.push(failed_run(&run, pipeline_row.id, reason));
                    continue;
                }
                held.insert(run.id);
                queue.push_back(run);
            }
        }
        while in_flight.len() < concurrency {
            let Some(run) = queue.pop_front() else { break };
            let ctx = ctx.clone();
            let store = store.clone();
            let pipeline_id = pipeline_row.id;
            let task_run = run.clone();
            let handle =
                in_flight.spawn(async move { execute(&ctx, &store, task_run, pipeline_id).await });
            tasks.insert(handle.id(), run);
        }
        if in_flight.is_empty() && buffer.is_empty() {
            if store.unfinished_runs(job_id).await? == 0 {
                store.finish_job(job_id, JobStatus::Completed, None).await?;
                return Ok(store.job(job_id).await?.status);
            }
            // Other workers hold the remaining runs, or a multiplier just planned more.
            tokio::time::sleep(config.flush_interval).await;
        } else {
            tokio::select! {
                Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    match done {
                        Ok((task, Ok(Outcome::Finished(run)))) => {
                            tasks.remove(&task);
                            held.remove(&run.run_id);
                            buffer.push(*run);
                        }
                        Ok((task, Ok(Outcome::Expanded(run_id)))) => {
                            tasks.remove(&task);
                            held.remove(&run_id);
                        }
                        Ok((_, Err(e))) => return Err(e),
                        // A task panicked: its run fails with the panic, not stays leased.
                        Err(e) => {
                            tracing::error!(job_id, error = %e, "a run task ended abnormally");
                            if let Some(run) = tasks.remove(&e.id()) {
                                held.remove(&run.id);
                                buffer.push(failed_run(&run, pipeline_row.id, format!("the run's task ended abnormally: {e}")));
                            }
                        }
                    }
                }
                _ = tokio::time::sleep(config.flush_interval) => {}
            }
        }
        let due = buffer.len() >= config.batch_size
            || last_flush.elapsed() >= config.flush_interval
            || in_flight.is_empty();
        if due {
            if !buffer.is_empty() {
                store.finish_runs(&buffer).await?;
                buffer.clear();
            }
            last_flush = Instant::now();
            let entered = ctx.current_step.get();
            if entered != reported_step
                && let Some(step) = entered
            {
                let block_type = &ctx.pipeline.steps[step].spec.block_type;
                store
                    .set_current_block(job_id, step as i64, block_type)
                    .await?;
                reported_step = entered;
            }
            let job = store.job(job_id).await?;
            if job.status.is_finished() {
                // Cancelled (or ended elsewhere): abort the calls in flight.
                in_flight.abort_all();
                return Ok(job.status);
            }
            let elapsed = (now_ms() - job.created_at).max(0) as f64 / 1000.0;
            if let Some(hit) = constraints.check(&job.usage, elapsed) {
                in_flight.abort_all();
                let reason = format!("Constraint exceeded: {}", hit.constraint);
                store
                    .finish_job(job_id, JobStatus::Stopped, Some(&reason))
                    .await?;
                return Ok(store.job(job_id).await?.status);
            }
        }
        if last_renewal.elapsed() >= config.lease / 3 && !held.is_empty() {
            let ids: Vec<i64> = held.iter().copied().collect();
            store
                .renew_leases(&config.owner, &ids, config.lease)
                .await?;
            last_renewal = Instant::now();
        }
    }
}

/// Executes one claimed run: a seed of a multiplier pipeline is expanded into split runs; any
/// other run goes through the remaining blocks.
async fn execute(
    ctx: &RunContext,
    store: &Store,
    run: ClaimedRun,
    pipeline_id: i64,
) -> Result<Outcome, StoreError> {
    let seed_index = usize::try_from(run.seed_index).unwrap_or(0);
    let repetition = u32::try_from(run.repetition).unwrap_or(0);
    let mut start = RunStart::from_seed(seed_index, repetition, run.metadata.clone());
    if ctx.pipeline.starts_with_multiplier() {
        if run.split_index < 0 {
            return match ctx.expand(start).await {
                Ok(expansion) => {
                    let children: Vec<Map<String, Value>> =
                        expansion.starts.into_iter().map(|s| s.state).collect();
                    store
                        .expand_run(&run, &children, &expansion.usage, &expansion.usage_by_model)
                        .await?;
                    Ok(Outcome::Expanded(run.id))
                }
                Err(failed) => Ok(Outcome::Finished(Box::new(FinishedRun {
                    run_id: run.id,
                    job_id: run.job_id,
                    pipeline_id,
                    record: *failed,
                }))),
            };
        }
        // A split run starts after the multiplier with the state it planned.
        start.split_index = usize::try_from(run.split_index).ok();
        start.first_step = 1;
    }
    let record = ctx.run(start).await;
    Ok(Outcome::Finished(Box::new(FinishedRun {
        run_id: run.id,
        job_id: run.job_id,
        pipeline_id,
        record,
    })))
}

/// A failed record for a run that could not be executed, with the reason.
fn failed_run(run: &ClaimedRun, pipeline_id: i64, reason: String) -> FinishedRun {
    FinishedRun {
        run_id: run.id,
        job_id: run.job_id,
        pipeline_id,
        record: RunRecord {
            trace_id: uuid::Uuid::new_v4().to_string(),
            seed_index: usize::try_from(run.seed_index).unwrap_or(0),
            repetition: u32::try_from(run.repetition).unwrap_or(0),
            split_index: usize::try_from(run.split_index).ok(),
            status: RunStatus::Failed,
            metadata: run.metadata.clone(),
            accumulated_state: run.metadata.clone(),
            pipeline_output: Value::Null,
            trace: Vec::new(),
            usage: Usage::default(),
            usage_by_model: Default::default(),
            error: Some(reason),
            execution_time: 0.0,
        },
    }
}
