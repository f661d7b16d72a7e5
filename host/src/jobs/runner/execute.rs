//! One claimed run of a stored job, executed: a run that reaches the pipeline's multiplier
//! is stored as its split runs; a split run goes on after the multiplier with the trace it
//! inherits from the run that reached it.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Outcome;
use super::parent_traces::ParentTraces;
use crate::engine::quality::QualityCounts;
use crate::engine::record::{RunRecord, RunStatus, Trace};
use crate::engine::run::{Advanced, RunContext, RunStart};
use crate::engine::trace_id;
use crate::llm::run_lease::RunLease;
use crate::runtime::BlockFailure;
use crate::store::runs::{ClaimedRun, Expanded, FinishedRun, Split};
use crate::store::{Store, StoreError};
use crate::usage::Usage;

/// Executes one claimed run: a run that reaches the pipeline's multiplier is expanded into
/// split runs; a split run goes on after the multiplier with the trace it inherits; any other
/// run goes through the blocks. Its model requests go out only while `lease` is held.
pub(super) async fn execute(
    ctx: &RunContext,
    store: &Store,
    parents: &ParentTraces,
    run: ClaimedRun,
    pipeline_id: i64,
    lease: RunLease,
) -> Result<Outcome, StoreError> {
    let finished = |record: RunRecord| {
        Ok(Outcome::Finished(Box::new(FinishedRun {
            run_id: run.id,
            job_id: run.job_id,
            pipeline_id,
            record,
        })))
    };
    let seed_index = usize::try_from(run.seed_index).unwrap_or(0);
    let repetition = u32::try_from(run.repetition).unwrap_or(0);
    let mut start = RunStart::from_seed(seed_index, repetition, run.metadata.clone());
    // Every attempt at this run (after a lost lease, a crash, a stop) carries the same id.
    start.trace_id = trace_id::stored_run(run.job_id, run.id);
    start.lease = Some(lease);
    if run.split_index >= 0 {
        // A split run starts after the multiplier, with the state it planned: it cannot
        // expand again (a pipeline has one multiplier).
        start.split_index = usize::try_from(run.split_index).ok();
        start.first_step = usize::try_from(run.first_step).unwrap_or(0);
        match inherited(store, parents, &run).await? {
            Ok((trace, metadata)) => {
                start.inherited = trace;
                // The record shows the seed's metadata; the planned state is only where the
                // run starts from.
                if let Some(metadata) = metadata {
                    start.metadata = metadata;
                }
            }
            Err(reason) => {
                return Ok(Outcome::Finished(Box::new(failed_run(
                    &run,
                    pipeline_id,
                    reason,
                ))));
            }
        }
        return finished(ctx.advance(start).await.into_record());
    }
    let expansion = match ctx.advance(start).await {
        Advanced::Finished(record) => return finished(*record),
        Advanced::Expanded(expansion) => expansion,
    };
    let max_runs = ctx.runtime.limits().max_runs_per_job;
    if let Err(failure) = expansion.check_state_limits(ctx.runtime.limits()) {
        return finished(expansion.into_failed(*failure));
    }
    let inherited_trace = expansion.stored_prefix();
    let mut quality = QualityCounts::default();
    quality.add_steps(expansion.executed());
    let split = Split {
        children: expansion.stored_children(),
        first_step: expansion.step() as i64 + 1,
        inherited_trace: &inherited_trace,
        usage: expansion.usage(),
        usage_by_model: expansion.usage_by_model(),
        calls: &expansion.calls(),
        quality: &quality,
    };
    match store.expand_run(&run, split, max_runs).await? {
        Expanded::Planned | Expanded::Again => Ok(Outcome::Expanded(run.id)),
        Expanded::OverLimit { total } => {
            let failure = BlockFailure::runs_per_job(
                expansion.block_type(),
                expansion.step() as u32,
                expansion.len() as u64,
                total,
                max_runs,
            );
            finished(expansion.into_failed(failure))
        }
    }
}

/// The trace split run `run` inherits from the run that reached the multiplier and that
/// run's metadata, or why they cannot be had (the run fails with that reason). A split
/// planned before runs kept their parent inherits nothing, as then.
async fn inherited(
    store: &Store,
    parents: &ParentTraces,
    run: &ClaimedRun,
) -> Result<Result<(Vec<Arc<Value>>, Option<Map<String, Value>>), String>, StoreError> {
    let Some(parent) = run.parent_run_id else {
        return Ok(Ok((Vec::new(), None)));
    };
    let parent_run = match parents.get(store, parent).await? {
        Ok(parent_run) => parent_run,
        Err(reason) => return Ok(Err(reason)),
    };
    let output = match run
        .split_output
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        Some(Ok(Value::Object(output))) => output,
        _ => {
            return Ok(Err(format!(
                "this split run's part of the multiplier's output (run {parent}) is not a stored JSON object"
            )));
        }
    };
    let trace = parent_run.prefix.child_trace(output, &run.metadata);
    Ok(Ok((trace, Some(parent_run.metadata.clone()))))
}

/// A failed record for a run that could not be executed, with the reason.
pub(super) fn failed_run(run: &ClaimedRun, pipeline_id: i64, reason: String) -> FinishedRun {
    FinishedRun {
        run_id: run.id,
        job_id: run.job_id,
        pipeline_id,
        record: RunRecord {
            trace_id: trace_id::stored_run(run.job_id, run.id),
            seed_index: usize::try_from(run.seed_index).unwrap_or(0),
            repetition: u32::try_from(run.repetition).unwrap_or(0),
            split_index: usize::try_from(run.split_index).ok(),
            status: RunStatus::Failed,
            metadata: run.metadata.clone(),
            accumulated_state: run.metadata.clone(),
            pipeline_output: Value::Null,
            trace: Trace::default(),
            usage: Usage::default(),
            usage_by_model: Default::default(),
            error: Some(reason),
            execution_time: 0.0,
        },
    }
}
