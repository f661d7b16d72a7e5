//! One run: the state starts from the seed's metadata, the blocks run in order, each output is
//! merged into the state, and every call is traced. A failing block ends the run as failed; a
//! multiplier ends it as expanded into children ([`super::expansion`]), which go on from the
//! next step.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use serde_json::{Map, Value};

use super::JobBudget;
pub use super::expansion::Expansion;
use super::expansion::{Origin, Reached};
use super::record::{RunRecord, RunStatus, Trace, TraceEntry, pipeline_output};
pub use super::run_start::RunStart;
use super::validate::ValidPipeline;
use crate::kv::KvNamespace;
use crate::llm::CacheMode;
use crate::llm::run_lease::RunLease;
use crate::runtime::{CallOutput, CallReport, CallScope, Runtime};

/// What every run of one run set shares.
pub struct RunContext {
    /// The runtime.
    pub runtime: Arc<Runtime>,
    /// The validated pipeline.
    pub pipeline: ValidPipeline,
    /// The job's id (the CLI makes one per invocation); scopes `kv` job storage.
    pub job_id: String,
    /// The pipeline's id (its name in the CLI); scopes `kv` pipeline storage.
    pub pipeline_id: String,
    /// The step a run of this context most recently entered, for live progress.
    pub current_step: CurrentStep,
    /// What the response cache may do for the runs' LLM calls.
    pub cache: CacheMode,
    /// The job's token and cost budget, which every model call of its runs checks and is
    /// charged to; `None`: unlimited.
    pub budget: Option<Arc<JobBudget>>,
    /// The effective grant of each step's block, read once for the run set
    /// ([`StepGrants::new`]).
    pub grants: StepGrants,
}

/// The effective grant of each step of a pipeline: computed once when a job (or an
/// execution) starts from the grants read then, so a block call checks its grant without
/// reading anything.
#[derive(Clone, Default)]
pub struct StepGrants(Vec<Arc<crate::grants::EffectiveGrant>>);

impl StepGrants {
    /// The grants of `pipeline`'s steps under `grants`.
    pub fn new(
        runtime: &Runtime,
        pipeline: &ValidPipeline,
        grants: &crate::grants::GrantSet,
    ) -> Self {
        StepGrants(
            pipeline
                .steps
                .iter()
                .map(|step| runtime.effective_grant(&step.block, grants))
                .collect(),
        )
    }

    /// The grant of step `step`.
    fn get(&self, step: usize) -> Arc<crate::grants::EffectiveGrant> {
        self.0[step].clone()
    }
}

/// The step a run most recently entered, shared by the runs of one context (`None` before any).
#[derive(Debug, Clone, Default)]
pub struct CurrentStep(Arc<std::sync::atomic::AtomicUsize>);

impl CurrentStep {
    fn enter(&self, step: usize) {
        self.0.store(step + 1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The step most recently entered.
    pub fn get(&self) -> Option<usize> {
        self.0
            .load(std::sync::atomic::Ordering::Relaxed)
            .checked_sub(1)
    }
}

impl RunContext {
    /// The scope of step `step` of the run `trace_id`, whose `http` requests are counted in
    /// `http_requests` and whose model requests wait for `lease`.
    fn scope(
        &self,
        trace_id: &str,
        step: usize,
        run_deadline: Instant,
        http_requests: &Arc<AtomicU64>,
        lease: &Option<RunLease>,
    ) -> CallScope {
        CallScope {
            trace_id: trace_id.to_owned(),
            step: step as u32,
            block_type: self.pipeline.steps[step].spec.block_type.clone(),
            job_kv: KvNamespace::Job(self.job_id.clone()),
            pipeline_kv: KvNamespace::Pipeline(self.pipeline_id.clone()),
            cache: self.cache,
            budget: self.budget.clone(),
            run_deadline: Some(run_deadline),
            lease: lease.clone(),
            grant: self.grants.get(step),
            http_requests: Arc::clone(http_requests),
        }
    }

    /// When a run started now stops waiting for a provider.
    fn run_deadline(&self) -> Instant {
        Instant::now() + self.runtime.limits().llm_run_deadline
    }

    /// Runs the remaining steps of `start`: its record, or, when it reaches a multiplier, its
    /// expansion into the children that go on from the next step.
    ///
    /// Everything logged meanwhile (block calls, model requests, the blocks' own lines) is in
    /// a `run` span carrying the run's trace id, so one run's lines can be found with it. The
    /// span is at ERROR level so that it is there whatever level the lines are logged at.
    pub async fn advance(&self, start: RunStart) -> Advanced {
        use tracing::Instrument as _;
        let span = tracing::error_span!("run", trace_id = %start.trace_id);
        self.advance_traced(start).instrument(span).await
    }

    /// [`Self::advance`] inside its span.
    async fn advance_traced(&self, start: RunStart) -> Advanced {
        let started = Instant::now();
        let mut state_budget = StateBudget::new(self.runtime.limits(), &start);
        let RunStart {
            seed_index,
            repetition,
            split_index,
            metadata,
            mut state,
            inherited,
            mut usage,
            mut usage_by_model,
            first_step,
            trace_id,
            lease,
        } = start;
        let mut trace = Trace {
            inherited,
            entries: Vec::new(),
        };
        let mut error = None;
        // A step before a multiplier may have set `pipeline_output`: the child keeps it.
        let mut explicit_output = trace.inherited.iter().any(|entry| {
            entry
                .get("output")
                .and_then(Value::as_object)
                .is_some_and(|output| output.contains_key("pipeline_output"))
        });
        let run_deadline = self.run_deadline();
        let http_requests = Arc::default();
        for index in first_step..self.pipeline.steps.len() {
            let step = &self.pipeline.steps[index];
            self.current_step.enter(index);
            let mut report = self
                .runtime
                .execute(
                    &step.block,
                    &state,
                    &step.spec.config,
                    self.scope(&trace_id, index, run_deadline, &http_requests, &lease),
                )
                .await;
            crate::telemetry::telemetry().block_call(
                &step.spec.block_type,
                report.outcome.as_ref().err().map(|f| f.kind.name()),
                report.wall_time,
            );
            usage.add(&report.usage);
            usage_by_model.add(&report.usage_by_model);
            // The children move out of the report: they are kept once, in the expansion.
            let outcome = std::mem::replace(&mut report.outcome, Ok(CallOutput::Seeds(Vec::new())));
            match outcome {
                Ok(CallOutput::Seeds(children)) => {
                    let call = trace_entry(
                        &step.spec.block_type,
                        index,
                        state.clone(),
                        None,
                        &Map::new(),
                        &report,
                        None,
                    );
                    let reached = Reached {
                        origin: Origin {
                            seed_index,
                            repetition,
                            split_index,
                            metadata,
                            trace_id,
                        },
                        step: index,
                        state,
                        trace,
                        call,
                        started,
                        usage,
                        usage_by_model,
                    };
                    return Advanced::Expanded(Box::new(Expansion::new(reached, children)));
                }
                Ok(CallOutput::Object(output)) => {
                    let input = state.clone();
                    explicit_output |= output.contains_key("pipeline_output");
                    state.extend(output.clone());
                    let over = state_budget.charge(&state, &step.spec.block_type, index);
                    error = over.as_ref().map(|failure| failure.message.clone());
                    trace.entries.push(trace_entry(
                        &step.spec.block_type,
                        index,
                        input,
                        Some(Value::Object(output)),
                        &state,
                        &report,
                        over,
                    ));
                    if error.is_some() {
                        break;
                    }
                }
                Err(failure) => {
                    error = Some(failure.message.clone());
                    trace.entries.push(trace_entry(
                        &step.spec.block_type,
                        index,
                        state.clone(),
                        None,
                        &state,
                        &report,
                        Some(failure.clone()),
                    ));
                    break;
                }
            }
        }
        // The last block's output is the last trace entry's.
        let last_output = trace.last_output();
        let status = if error.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Completed
        };
        crate::telemetry::telemetry().run_finished(match status {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
        });
        let pipeline_output = if error.is_some() {
            Value::Null
        } else {
            pipeline_output(&state, explicit_output, last_output)
        };
        Advanced::Finished(Box::new(RunRecord {
            trace_id,
            seed_index,
            repetition,
            split_index,
            status,
            pipeline_output,
            metadata,
            accumulated_state: state,
            trace,
            usage,
            usage_by_model,
            error,
            execution_time: started.elapsed().as_secs_f64(),
        }))
    }
}

/// Where [`RunContext::advance`] left a run.
#[derive(Debug)]
pub enum Advanced {
    /// It ran to its end (or failed): its record.
    Finished(Box<RunRecord>),
    /// It reached a multiplier: the children that go on from the next step.
    Expanded(Box<Expansion>),
}

impl Advanced {
    /// The record of a run that started after the pipeline's multiplier (a pipeline has at
    /// most one, [`super::validate`]), so cannot expand.
    pub fn into_record(self) -> RunRecord {
        match self {
            Advanced::Finished(record) => *record,
            Advanced::Expanded(expansion) => unreachable!(
                "a run reached a second multiplier ({} at step {}): validation allows one",
                expansion.block_type(),
                expansion.step()
            ),
        }
    }
}

/// The state bounds of one run: no state above `max_state_bytes`, and the states its steps
/// receive (each kept twice by the trace) summed at most `max_run_state_bytes`.
struct StateBudget {
    max_state: u64,
    max_carried: u64,
    carried: u64,
}

impl StateBudget {
    /// A run as `start` sets it out: its initial state (checked at planning, so counted, not
    /// refused, here) and the states its inherited trace carries.
    fn new(limits: &crate::runtime::Limits, start: &RunStart) -> Self {
        StateBudget {
            max_state: limits.max_state_bytes as u64,
            max_carried: limits.max_run_state_bytes,
            carried: super::work_limits::state_bytes(&start.state)
                .saturating_add(start.inherited_state_bytes()),
        }
    }

    /// Counts `state`, the state after `block_type` at `step`, which the next step receives;
    /// the failure that ends the run when it passes a bound.
    fn charge(
        &mut self,
        state: &Map<String, Value>,
        block_type: &str,
        step: usize,
    ) -> Option<crate::runtime::BlockFailure> {
        let bytes = super::work_limits::state_bytes(state);
        self.carried = self.carried.saturating_add(bytes);
        let what = if bytes > self.max_state {
            format!(
                "made the run's state {bytes} bytes, above the limit of {} bytes per state \
                 (MAX_STATE_BYTES)",
                self.max_state
            )
        } else if self.carried > self.max_carried {
            format!(
                "brought the state the run carried over its steps to {} bytes, above the limit \
                 of {} bytes per run (MAX_RUN_STATE_BYTES)",
                self.carried, self.max_carried
            )
        } else {
            return None;
        };
        Some(crate::runtime::BlockFailure {
            kind: crate::runtime::FailureKind::StateLimit,
            block_type: block_type.to_owned(),
            step: step as u32,
            message: format!("{block_type} (step {step}) {what}"),
            stderr: None,
            detail: Some(serde_json::json!({
                "bytes": bytes,
                "carried": self.carried,
                "max_state_bytes": self.max_state,
                "max_run_state_bytes": self.max_carried,
            })),
            code: None,
        })
    }
}

fn trace_entry(
    block_type: &str,
    step: usize,
    input: Map<String, Value>,
    output: Option<Value>,
    state: &Map<String, Value>,
    report: &CallReport,
    failure: Option<crate::runtime::BlockFailure>,
) -> TraceEntry {
    TraceEntry {
        block_type: block_type.to_owned(),
        step: step as u32,
        input,
        output,
        accumulated_state: state.clone(),
        execution_time: report.wall_time.as_secs_f64(),
        import_time: report.import_time.as_secs_f64(),
        cpu_time: report.cpu_time.as_secs_f64(),
        error: failure.as_ref().map(|f| f.message.clone()),
        failure,
        usage: report.usage,
        llm_calls: report.llm_call_log.clone(),
        http_calls: report.http_calls.clone(),
        logs: report.logs.clone(),
        logs_dropped: report.logs_dropped,
    }
}
