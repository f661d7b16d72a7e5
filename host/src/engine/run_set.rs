//! A run set: every repetition of every seed, run concurrently up to a bound, records handed
//! to an observer as they finish, stopped when a constraint is reached. A run that reaches a
//! multiplier (at any step) becomes its children, started one at a time as slots free up from
//! the step after it; an expansion that would take the set past `Limits::max_runs_per_job`
//! fails that run with `fan_out_limit`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::record::{RunRecord, RunStatus, TraceEntry};
use super::run::{Advanced, RunContext, RunStart};
use super::{ConstraintHit, Seed, Usage};
use crate::runtime::BlockFailure;

/// Run set settings.
#[derive(Debug, Clone)]
pub struct RunSetOptions {
    /// Runs in flight at once.
    pub concurrency: usize,
}

impl Default for RunSetOptions {
    fn default() -> Self {
        RunSetOptions { concurrency: 16 }
    }
}

/// Receives progress as the run set goes.
pub trait RunSetObserver: Send {
    /// The number of planned runs changed by `delta`: the seeds' repetitions at the start,
    /// then, each time a multiplier turns one planned run into its seeds, their number minus one.
    fn planned(&mut self, delta: i64);
    /// A run reached a multiplier after making `executed` (its block calls before it): its
    /// children carry copies of them, which are not counted again.
    fn expanded(&mut self, executed: &[TraceEntry]) {
        let _ = executed;
    }
    /// A run finished.
    fn record(&mut self, record: RunRecord);
}

/// How a run set ended.
#[derive(Debug, Clone)]
pub struct RunSetSummary {
    /// Runs that completed.
    pub completed: u64,
    /// Runs that failed.
    pub failed: u64,
    /// Usage over every run.
    pub usage: Usage,
    /// Time from start to end.
    pub elapsed: Duration,
    /// The constraint that stopped the set early, if one did.
    pub stopped: Option<ConstraintHit>,
}

/// A multiplier's children not started yet, made one at a time.
type Children = Box<dyn Iterator<Item = RunStart> + Send>;

/// Runs every repetition of every seed through the pipeline of `ctx`.
pub async fn run_all(
    ctx: Arc<RunContext>,
    seeds: Vec<Seed>,
    options: &RunSetOptions,
    observer: &mut dyn RunSetObserver,
) -> RunSetSummary {
    let started = Instant::now();
    let concurrency = options.concurrency.max(1);
    let constraints = ctx.pipeline.pipeline.constraints;
    let max_runs = ctx.runtime.limits().max_runs_per_job;
    let mut planned = super::total_runs(&seeds);
    observer.planned(i64::try_from(planned).unwrap_or(i64::MAX));

    let mut new_runs = seeds
        .into_iter()
        .enumerate()
        .flat_map(|(seed_index, seed)| {
            (0..seed.repetitions).map(move |repetition| {
                RunStart::from_seed(seed_index, repetition, seed.metadata.clone())
            })
        });
    let mut expanded: VecDeque<Children> = VecDeque::new();
    let mut in_flight: JoinSet<Advanced> = JoinSet::new();
    let mut summary = RunSetSummary {
        completed: 0,
        failed: 0,
        usage: Usage::default(),
        elapsed: Duration::ZERO,
        stopped: None,
    };
    // A budget too large to represent is no budget.
    let deadline = constraints
        .max_total_execution_time
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .and_then(|budget| tokio::time::Instant::from_std(started).checked_add(budget));

    loop {
        while in_flight.len() < concurrency {
            // Children of an expanded seed go first, so a multiplier's output does not pile up.
            let next_child = loop {
                let Some(children) = expanded.front_mut() else {
                    break None;
                };
                match children.next() {
                    Some(start) => break Some(start),
                    None => {
                        expanded.pop_front();
                    }
                }
            };
            let Some(start) = next_child.or_else(|| new_runs.next()) else {
                break;
            };
            let ctx = ctx.clone();
            in_flight.spawn(async move { ctx.advance(start).await });
        }
        let finished = tokio::select! {
            finished = in_flight.join_next() => finished,
            _ = sleep_until(deadline) => {
                let elapsed = started.elapsed().as_secs_f64();
                summary.stopped = Some(ConstraintHit {
                    constraint: "max_total_execution_time",
                    limit: constraints.max_total_execution_time.unwrap_or(elapsed),
                    value: elapsed,
                });
                break;
            }
        };
        let Some(finished) = finished else { break };
        let done = match finished {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "a run task ended abnormally");
                summary.failed += 1;
                continue;
            }
        };
        let record = match done {
            Advanced::Expanded(expansion) => {
                let children = expansion.len() as u64;
                // One planned run becomes `children` runs.
                let total = (planned + children).saturating_sub(1);
                if let Err(failure) = expansion.check_state_limits(ctx.runtime.limits()) {
                    Box::new(expansion.into_failed(*failure))
                } else if total > max_runs {
                    let failure = BlockFailure::runs_per_job(
                        expansion.block_type(),
                        expansion.step() as u32,
                        children,
                        total,
                        max_runs,
                    );
                    Box::new(expansion.into_failed(failure))
                } else {
                    planned = total;
                    observer.planned(children as i64 - 1);
                    observer.expanded(expansion.executed());
                    if expansion.is_empty() {
                        // With no run to carry it, the multiplier's usage is counted here.
                        summary.usage.add(expansion.usage());
                    } else {
                        expanded.push_back(Box::new(expansion.into_starts()));
                    }
                    continue;
                }
            }
            Advanced::Finished(record) => record,
        };
        summary.usage.add(&record.usage);
        match record.status {
            RunStatus::Completed => summary.completed += 1,
            RunStatus::Failed => summary.failed += 1,
        }
        observer.record(*record);
        if let Some(hit) = constraints.check(&summary.usage, started.elapsed().as_secs_f64()) {
            tracing::info!(%hit, "constraint reached: stopping the run set");
            summary.stopped = Some(hit);
            break;
        }
    }
    // Dropping the set aborts runs still in flight (only when a constraint stopped it).
    in_flight.abort_all();
    summary.elapsed = started.elapsed();
    summary
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
