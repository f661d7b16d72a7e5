//! Runs a stored job to its end: claims its runs with leases, executes them concurrently
//! (bounded by the job's `concurrency`), writes finished runs in batches, and stops on cancel
//! or when a constraint is reached. Running it again after a crash resumes the job: finished
//! runs have records and are never claimed again; runs whose worker died are claimed again
//! once their lease expires.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

mod execute;
mod parent_traces;
mod record_writer;

use execute::{execute, failed_run};
use parent_traces::ParentTraces;
use record_writer::{Batching, RecordWriter};

use crate::engine::Pipeline;
use crate::engine::run::{RunContext, StepGrants};
use crate::engine::validate::validate;
use crate::llm::run_lease::RunLease;
use crate::registry::Registry;
use crate::store::jobs::JobStatus;
use crate::store::runs::{ClaimedRun, FinishedRun};
use crate::store::{Store, StoreError, now_ms};
use crate::usage::JobBudget;

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
    /// Leases of one run lost to a worker's death (its lease expired and another claim took
    /// it over) after which it is recorded as failed instead of run again: it may be what
    /// keeps taking its workers down. A block's failure never counts here (it fails the run
    /// once, with its record), nor does a clean stop (its leases are handed back).
    pub max_lost_leases: i64,
    /// How long a clean stop lets the runs in flight finish (they are stored, so a restart
    /// does not run them again) before it aborts the rest and hands them back.
    pub stop_grace: Duration,
}

impl RunnerConfig {
    /// Defaults for a worker named `owner`: 30 s leases, batches of 64, 200 ms flushes, 10
    /// lost leases, 10 s to finish the runs in flight at a clean stop.
    pub fn new(owner: impl Into<String>) -> Self {
        RunnerConfig {
            owner: owner.into(),
            lease: Duration::from_secs(30),
            batch_size: 64,
            flush_interval: Duration::from_millis(200),
            max_lost_leases: 10,
            stop_grace: Duration::from_secs(10),
        }
    }
}

/// Asks runners to stop cleanly: they claim nothing more, let the runs in flight finish
/// (for at most [`RunnerConfig::stop_grace`]), store every finished run and return
/// [`JobStatus::Running`], leaving the job to the next start. Its leases are the caller's to
/// hand back ([`Store::release_leases`]).
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// A signal and the switch that raises it.
    pub fn new() -> (watch::Sender<bool>, StopSignal) {
        let (switch, signal) = watch::channel(false);
        (switch, StopSignal(signal))
    }

    /// A signal never raised.
    pub fn never() -> StopSignal {
        StopSignal::new().1
    }

    /// Whether the stop was asked for.
    pub fn raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the stop is asked for (forever when the switch is gone unraised).
    async fn wait(&mut self) {
        if self.0.wait_for(|raised| *raised).await.is_err() {
            std::future::pending::<()>().await;
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
    run_job_until(store, registry, job_id, config, StopSignal::never()).await
}

/// [`run_job`] that also returns, with the job still running, when `stop` is raised (after
/// storing every run that finished).
pub async fn run_job_until(
    store: &Store,
    registry: &Registry,
    job_id: i64,
    config: &RunnerConfig,
    stop: StopSignal,
) -> Result<JobStatus, StoreError> {
    let job = store.job_progress(job_id).await?;
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
    let concurrency = job.options["concurrency"]
        .as_u64()
        .unwrap_or(16)
        .clamp(1, 1024) as usize;
    let valid_constraints = valid.pipeline.constraints;
    // Grants are read once per job start: a change applies to the jobs started after it.
    let grants = store.grant_set(registry.runtime().user_grant()).await?;
    let grants = StepGrants::new(registry.runtime(), &valid, &grants);
    let ctx = Arc::new(RunContext {
        runtime: registry.runtime().clone(),
        pipeline_id: pipeline_row.id.to_string(),
        job_id: job_id.to_string(),
        pipeline: valid,
        current_step: Default::default(),
        cache: job.cache,
        // From what the job has spent so far, so a resumed job does not start over.
        budget: JobBudget::new(&valid_constraints, job.usage).map(Arc::new),
        grants,
    });

    let mut writer = RecordWriter::start(
        store.clone(),
        job,
        ctx.clone(),
        Batching {
            size: config.batch_size,
            interval: config.flush_interval,
        },
    );
    let job = JobShape {
        id: job_id,
        pipeline_id: pipeline_row.id,
        concurrency,
    };
    let ending = drive(store, &ctx, &mut writer, job, config, stop).await;
    // Whatever happened, the runs that finished are stored before the job ends.
    let closed = writer.close().await;
    let ending = ending?;
    closed?;
    match ending {
        Ending::Drained => {
            store.finish_job(job_id, JobStatus::Completed, None).await?;
        }
        Ending::EndedElsewhere | Ending::Stopped => {}
        Ending::Constraint(reason) => {
            store
                .finish_job(job_id, JobStatus::Stopped, Some(&reason))
                .await?;
        }
    }
    // Once the job has ended, the runs aborted here go back to pending now rather than when
    // their leases expire, so deleting every record is not held up by a job that ended.
    store.release_job_leases(&config.owner, job_id).await?;
    Ok(store.job_progress(job_id).await?.status)
}

/// The job [`drive`] runs: its id, its pipeline's, and how many runs it executes at once.
struct JobShape {
    id: i64,
    pipeline_id: i64,
    concurrency: usize,
}

/// Why [`drive`] returned.
enum Ending {
    /// Every run of the job is finished.
    Drained,
    /// The job was cancelled or ended by another process.
    EndedElsewhere,
    /// A constraint was reached (DataGenFlow's reason text).
    Constraint(String),
    /// A clean stop was asked for: the job goes on at the next start.
    Stopped,
}

/// Claims, executes and hands finished runs to `writer` until the job has no unfinished run,
/// ends elsewhere or reaches a constraint; runs in flight are aborted in the last two cases.
async fn drive(
    store: &Store,
    ctx: &Arc<RunContext>,
    writer: &mut RecordWriter,
    job: JobShape,
    config: &RunnerConfig,
    mut stop: StopSignal,
) -> Result<Ending, StoreError> {
    let JobShape {
        id: job_id,
        pipeline_id,
        concurrency,
    } = job;
    let constraints = &ctx.pipeline.pipeline.constraints;
    let mut in_flight: JoinSet<Result<Outcome, StoreError>> = JoinSet::new();
    // Split runs of one parent are claimed together: its inherited trace is read once.
    let parents = Arc::new(ParentTraces::default());
    // Which run each task executes, to record a run whose task died.
    let mut tasks: HashMap<tokio::task::Id, ClaimedRun> = HashMap::new();
    // The task executing each run, to abort a run whose lease was lost.
    let mut running: HashMap<i64, tokio::task::AbortHandle> = HashMap::new();
    // The leases this worker holds (runs queued or in flight), each with when it expires by
    // this process's clock; a run's model requests wait for its lease to be held.
    let mut held: HashMap<i64, RunLease> = HashMap::new();
    // When the last renewal was sent (not when it returned: the process may have stalled
    // while it was under way).
    let mut last_renewal = Instant::now();
    // Set when a claim returns that was made before the last renewal: its leases may have
    // expired meanwhile (the process stalled), so they are renewed before any starts.
    let mut renew_now = false;
    let mut claim_started = Instant::now();
    // Runs claimed and not started yet: claims are made in batches (one statement for about
    // `concurrency` runs) instead of one per finished run, in a task of their own so runs keep
    // starting while a claim is under way.
    let mut queue: VecDeque<ClaimedRun> = VecDeque::new();
    let mut claiming: Option<tokio::task::JoinHandle<Result<Vec<ClaimedRun>, StoreError>>> = None;
    // After a claim that found nothing, the next waits a flush interval (other workers may
    // hold the rest, or a multiplier may plan more).
    let mut next_claim = Instant::now();
    // Set once a clean stop is asked for: when the runs in flight must be done.
    let mut stopping: Option<Instant> = None;
    loop {
        if stopping.is_none() && stop.raised() {
            stopping = Some(Instant::now() + config.stop_grace);
            // Runs claimed and not started are handed back with the rest of the leases.
            queue.clear();
            if let Some(claim) = claiming.take() {
                claim.abort();
            }
        }
        if let Some(deadline) = stopping
            && (in_flight.is_empty() || Instant::now() >= deadline)
        {
            abort(&mut in_flight, None);
            return Ok(Ending::Stopped);
        }
        if (renew_now || last_renewal.elapsed() >= config.lease / 3) && !held.is_empty() {
            renew_now = false;
            // Before any queued run starts: after a stall (SIGSTOP, a frozen host) longer than
            // the lease, other workers own these runs and may have stored them already.
            let ids: Vec<i64> = held.keys().copied().collect();
            let sent = Instant::now();
            let renewed: HashSet<i64> = store
                .renew_leases(&config.owner, &ids, config.lease)
                .await?
                .into_iter()
                .collect();
            // Counted from when the renewal was sent: a stall while it was under way leaves
            // the leases expired by this clock, and renewed again at once.
            last_renewal = sent;
            for (id, lease) in &held {
                if renewed.contains(id) {
                    lease.renew(sent + config.lease);
                }
            }
            let lost: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|id| !renewed.contains(id))
                .collect();
            if !lost.is_empty() {
                tracing::warn!(
                    job_id,
                    lost = lost.len(),
                    "leases lost to other workers; giving those runs up"
                );
                queue.retain(|run| renewed.contains(&run.id));
                for id in &lost {
                    // Aborted first: woken by the lost lease, its task must not go on to
                    // finish the run (as failed, its request refused).
                    if let Some(task) = running.remove(id) {
                        task.abort();
                    }
                    // Its model requests not yet sent are refused from now on.
                    if let Some(lease) = held.remove(id) {
                        lease.lose();
                    }
                }
            }
        }
        if writer
            .job_update()
            .is_some_and(|job| job.status.is_finished())
        {
            // Cancelled (or ended elsewhere): abort the calls in flight.
            abort(&mut in_flight, claiming.take());
            return Ok(Ending::EndedElsewhere);
        }
        let (usage, created_at) = writer.usage();
        let elapsed = (now_ms() - created_at).max(0) as f64 / 1000.0;
        if let Some(hit) = constraints.check(&usage, elapsed) {
            abort(&mut in_flight, claiming.take());
            return Ok(Ending::Constraint(format!(
                "Constraint exceeded: {}",
                hit.constraint
            )));
        }
        if writer.stopped() {
            abort(&mut in_flight, claiming.take());
            // `close` reports the writer's error.
            return Ok(Ending::EndedElsewhere);
        }
        if stopping.is_none()
            && claiming.is_none()
            && queue.len() <= concurrency / 2
            && Instant::now() >= next_claim
        {
            let want = 2 * concurrency - in_flight.len() - queue.len();
            let store = store.clone();
            let owner = config.owner.clone();
            let lease = config.lease;
            claim_started = Instant::now();
            claiming = Some(tokio::spawn(async move {
                store.claim_runs(&owner, want, lease, Some(job_id)).await
            }));
        }
        while in_flight.len() < concurrency {
            let Some(next) = queue.front() else { break };
            let Some(lease) = held.get(&next.id).cloned() else {
                // Not held any more (lost at a renewal): not this worker's to run.
                queue.pop_front();
                continue;
            };
            if lease.until() <= Instant::now() {
                // Expired by this clock (a stall): only a renewal tells whether it is ours.
                renew_now = true;
                break;
            }
            let Some(run) = queue.pop_front() else { break };
            let ctx = ctx.clone();
            let store = store.clone();
            let parents = parents.clone();
            let task_run = run.clone();
            let handle = in_flight.spawn(async move {
                execute(&ctx, &store, &parents, task_run, pipeline_id, lease).await
            });
            running.insert(run.id, handle.clone());
            tasks.insert(handle.id(), run);
        }
        if in_flight.is_empty() && queue.is_empty() && claiming.is_none() {
            // Nothing to run here: once what finished is stored, the job may be complete.
            if writer.flush().await && store.unfinished_runs(job_id).await? == 0 {
                return Ok(Ending::Drained);
            }
            // Other workers hold the remaining runs (or a multiplier is planning more): wait
            // for the next claim rather than spin on the flush's fresh job read.
            tokio::time::sleep(config.flush_interval).await;
            continue;
        }
        tokio::select! {
            Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                let finished = match done {
                    Ok((task, Ok(Outcome::Finished(run)))) => {
                        tasks.remove(&task);
                        held.remove(&run.run_id);
                        running.remove(&run.run_id);
                        Some(*run)
                    }
                    Ok((task, Ok(Outcome::Expanded(run_id)))) => {
                        tasks.remove(&task);
                        held.remove(&run_id);
                        running.remove(&run_id);
                        // Its split runs can be claimed at once.
                        next_claim = Instant::now();
                        None
                    }
                    Ok((_, Err(e))) => {
                        abort(&mut in_flight, claiming.take());
                        return Err(e);
                    }
                    // Aborted: its lease was lost to another worker.
                    Err(e) if e.is_cancelled() => {
                        tasks.remove(&e.id());
                        None
                    }
                    // A task panicked: its run fails with the panic, not stays leased.
                    Err(e) => {
                        tracing::error!(job_id, error = %e, "a run task ended abnormally");
                        tasks.remove(&e.id()).map(|run| {
                            held.remove(&run.id);
                            running.remove(&run.id);
                            failed_run(&run, pipeline_id, format!("the run's task ended abnormally: {e}"))
                        })
                    }
                };
                if let Some(run) = finished
                    && !writer.push(run).await
                {
                    // The writer stopped on a storage error (`close` reports it): stop too,
                    // rather than finish runs nobody stores.
                    abort(&mut in_flight, claiming.take());
                    return Ok(Ending::EndedElsewhere);
                }
            }
            Some(claimed) = wait_for(&mut claiming), if claiming.is_some() => {
                claiming = None;
                renew_now = claim_started.elapsed() >= config.lease / 3;
                let claimed = claimed.map_err(|e| StoreError::TaskFailed(format!("claiming runs: {e}")))??;
                if claimed.is_empty() {
                    next_claim = Instant::now() + config.flush_interval;
                }
                for run in claimed {
                    if run.lost_leases > config.max_lost_leases {
                        let reason = format!(
                            "run abandoned: its worker died or stalled while holding it {} times \
                             (limit {}); it may be what takes its workers down",
                            run.lost_leases, config.max_lost_leases
                        );
                        if !writer.push(failed_run(&run, pipeline_id, reason)).await {
                            abort(&mut in_flight, claiming.take());
                            return Ok(Ending::EndedElsewhere);
                        }
                        continue;
                    }
                    // The claim set the lease from the database's clock after it was sent.
                    held.insert(run.id, RunLease::new(claim_started + config.lease));
                    queue.push_back(run);
                }
            }
            _ = writer.changed() => {}
            // Renewals are due even while nothing else happens (every run waiting on a model).
            _ = tokio::time::sleep_until((last_renewal + config.lease / 3).into()), if !held.is_empty() => {}
            _ = std::future::ready(()), if renew_now && !held.is_empty() => {}
            _ = tokio::time::sleep_until(next_claim.into()), if stopping.is_none() && claiming.is_none() && queue.len() <= concurrency / 2 => {}
            _ = stop.wait(), if stopping.is_none() => {}
            _ = tokio::time::sleep_until(stopping.unwrap_or_else(Instant::now).into()), if stopping.is_some() => {}
        }
    }
}

/// The result of the claim under way, if there is one.
async fn wait_for<T>(
    task: &mut Option<tokio::task::JoinHandle<T>>,
) -> Option<Result<T, tokio::task::JoinError>> {
    match task {
        Some(handle) => Some(handle.await),
        None => None,
    }
}

/// Aborts the runs in flight and a claim under way (its runs stay leased until the lease
/// expires, then are claimed again).
fn abort(
    in_flight: &mut JoinSet<Result<Outcome, StoreError>>,
    claiming: Option<tokio::task::JoinHandle<Result<Vec<ClaimedRun>, StoreError>>>,
) {
    in_flight.abort_all();
    if let Some(claim) = claiming {
        claim.abort();
    }
}
