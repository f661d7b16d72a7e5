//! One run: the state starts from the seed's metadata, the blocks run in order, each output is
//! merged into the state, and every call is traced. A failing block ends the run as failed.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use serde_json::{Map, Value};

use super::call_stats::CallStats;
use super::record::{RunRecord, RunStatus, TraceEntry, pipeline_output};
use super::validate::ValidPipeline;
use super::{JobBudget, ModelUsage, Usage};
use crate::kv::KvNamespace;
use crate::llm::CacheMode;
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

/// What a multiplier produced: its children (kept as it returned them, once) and the usage of
/// its call. The runs start from them one at a time ([`Expansion::into_starts`],
/// [`Expansion::child_states`]), so a large fan-out is never held twice.
#[derive(Debug)]
pub struct Expansion {
    /// The seed run that was expanded.
    parent: RunStart,
    /// The multiplier's type.
    block_type: String,
    /// The children, in order.
    children: Vec<Map<String, Value>>,
    /// The multiplier's call, for each child's trace.
    report: CallReport,
    /// The multiplier's trace id.
    trace_id: String,
    /// When the expansion started.
    started: Instant,
    /// The multiplier's usage.
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: ModelUsage,
    /// The multiplier's model requests (its split runs' records do not carry them: their traces
    /// start after it).
    pub calls: CallStats,
}

impl Expansion {
    /// Number of children.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether the multiplier returned no child.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Each child's initial state (the seed's state with the child merged in), made as it is
    /// read.
    pub fn child_states(&self) -> impl ExactSizeIterator<Item = Map<String, Value>> + '_ {
        self.children.iter().map(|child| {
            let mut state = self.parent.state.clone();
            state.extend(child.clone());
            state
        })
    }

    /// One start per child, made as it is read; the first also carries the multiplier's usage.
    pub fn into_starts(self) -> impl Iterator<Item = RunStart> + Send {
        let Expansion {
            parent,
            block_type,
            children,
            report,
            ..
        } = self;
        children.into_iter().enumerate().map(move |(index, seed)| {
            let mut state = parent.state.clone();
            state.extend(seed.clone());
            let entry = trace_entry(
                &block_type,
                0,
                parent.state.clone(),
                Some(Value::Object(seed)),
                &state,
                &report,
                None,
            );
            RunStart {
                split_index: Some(index),
                state,
                trace: vec![entry],
                // The multiplier's usage is counted once, in its first run, so totals over the
                // records stay exact; every run's trace still shows the call.
                usage: if index == 0 {
                    report.usage
                } else {
                    Usage::default()
                },
                usage_by_model: if index == 0 {
                    report.usage_by_model.clone()
                } else {
                    ModelUsage::default()
                },
                first_step: 1,
                // Each child is a run of its own.
                trace_id: super::trace_id::fresh(),
                ..parent.clone()
            }
        })
    }

    /// The seed's run failed after all, with `failure` (its children are over a limit the
    /// multiplier's call could not know): a failed record carrying the call's trace and usage.
    pub fn into_failed(self, failure: crate::runtime::BlockFailure) -> RunRecord {
        let Expansion {
            parent,
            block_type,
            report,
            trace_id,
            started,
            ..
        } = self;
        failed_expansion(parent, &block_type, report, failure, trace_id, started)
    }
}

/// Where a run starts.
#[derive(Debug, Clone)]
pub struct RunStart {
    /// Index of the seed.
    pub seed_index: usize,
    /// Repetition of the seed.
    pub repetition: u32,
    /// Index among a multiplier's seeds.
    pub split_index: Option<usize>,
    /// The seed's metadata.
    pub metadata: Map<String, Value>,
    /// The state the first step receives.
    pub state: Map<String, Value>,
    /// Trace so far (the multiplier's call).
    pub trace: Vec<TraceEntry>,
    /// Usage so far.
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: ModelUsage,
    /// First step to run.
    pub first_step: usize,
    /// The run's trace id (a multiplier's seed run: also its expansion's). Fresh by default;
    /// a stored job's runner sets the run's stable one ([`super::trace_id::stored_run`]).
    pub trace_id: String,
}

impl RunStart {
    /// A run of seed `seed_index`, repetition `repetition`, from step 0.
    pub fn from_seed(seed_index: usize, repetition: u32, metadata: Map<String, Value>) -> Self {
        RunStart {
            seed_index,
            repetition,
            split_index: None,
            state: metadata.clone(),
            metadata,
            trace: Vec::new(),
            usage: Usage::default(),
            usage_by_model: ModelUsage::default(),
            first_step: 0,
            trace_id: super::trace_id::fresh(),
        }
    }
}

impl RunContext {
    /// The scope of step `step` of the run `trace_id`, whose `http` requests are counted in
    /// `http_requests`.
    fn scope(
        &self,
        trace_id: &str,
        step: usize,
        run_deadline: Instant,
        http_requests: &Arc<AtomicU64>,
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
            grant: self.grants.get(step),
            http_requests: Arc::clone(http_requests),
        }
    }

    /// When a run started now stops waiting for a provider.
    fn run_deadline(&self) -> Instant {
        Instant::now() + self.runtime.limits().llm_run_deadline
    }

    /// Runs the pipeline's multiplier on a seed: one start per seed it returns (and the
    /// multiplier's usage, which the first start also carries), or a failed record when it
    /// fails.
    pub async fn expand(&self, start: RunStart) -> Result<Expansion, Box<RunRecord>> {
        let started = Instant::now();
        let trace_id = start.trace_id.clone();
        let step = &self.pipeline.steps[0];
        self.current_step.enter(0);
        let mut report = self
            .runtime
            .execute(
                &step.block,
                &start.state,
                &step.spec.config,
                self.scope(&trace_id, 0, self.run_deadline(), &Arc::default()),
            )
            .await;
        // The children move out of the report: they are kept once, in the expansion.
        let outcome = std::mem::replace(&mut report.outcome, Ok(CallOutput::Seeds(Vec::new())));
        match outcome {
            Ok(CallOutput::Seeds(children)) => Ok(Expansion {
                usage: report.usage,
                usage_by_model: report.usage_by_model.clone(),
                calls: CallStats::of_calls(&report.llm_call_log),
                parent: start,
                block_type: step.spec.block_type.clone(),
                children,
                report,
                trace_id,
                started,
            }),
            Ok(CallOutput::Object(_)) => {
                unreachable!("the runtime rejects objects from multipliers")
            }
            Err(failure) => Err(Box::new(failed_expansion(
                start,
                &step.spec.block_type,
                report,
                failure,
                trace_id,
                started,
            ))),
        }
    }

    /// Runs the remaining steps of `start` and returns its record.
    pub async fn run(&self, start: RunStart) -> RunRecord {
        let started = Instant::now();
        let RunStart {
            seed_index,
            repetition,
            split_index,
            metadata,
            mut state,
            mut trace,
            mut usage,
            mut usage_by_model,
            first_step,
            trace_id,
        } = start;
        let mut error = None;
        let mut explicit_output = false;
        let mut state_budget = StateBudget::new(self.runtime.limits(), &state);
        let run_deadline = self.run_deadline();
        let http_requests = Arc::default();
        for index in first_step..self.pipeline.steps.len() {
            let step = &self.pipeline.steps[index];
            self.current_step.enter(index);
            let report = self
                .runtime
                .execute(
                    &step.block,
                    &state,
                    &step.spec.config,
                    self.scope(&trace_id, index, run_deadline, &http_requests),
                )
                .await;
            usage.add(&report.usage);
            usage_by_model.add(&report.usage_by_model);
            match &report.outcome {
                Ok(CallOutput::Object(output)) => {
                    let input = state.clone();
                    explicit_output |= output.contains_key("pipeline_output");
                    state.extend(output.clone());
                    let over = state_budget.charge(&state, &step.spec.block_type, index);
                    error = over.as_ref().map(|failure| failure.message.clone());
                    trace.push(trace_entry(
                        &step.spec.block_type,
                        index,
                        input,
                        Some(Value::Object(output.clone())),
                        &state,
                        &report,
                        over,
                    ));
                    if error.is_some() {
                        break;
                    }
                }
                Ok(CallOutput::Seeds(_)) => {
                    unreachable!("the runtime rejects seeds from transforms")
                }
                Err(failure) => {
                    error = Some(failure.message.clone());
                    trace.push(trace_entry(
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
        let last_output = match trace.last().and_then(|t| t.output.as_ref()) {
            Some(Value::Object(output)) => Some(output),
            _ => None,
        };
        let status = if error.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Completed
        };
        RunRecord {
            trace_id,
            seed_index,
            repetition,
            split_index,
            status,
            pipeline_output: if error.is_some() {
                Value::Null
            } else {
                pipeline_output(&state, explicit_output, last_output)
            },
            metadata,
            accumulated_state: state,
            trace,
            usage,
            usage_by_model,
            error,
            execution_time: started.elapsed().as_secs_f64(),
        }
    }
}

/// The failed record of a seed run whose multiplier failed (or whose children were refused).
fn failed_expansion(
    start: RunStart,
    block_type: &str,
    report: CallReport,
    failure: crate::runtime::BlockFailure,
    trace_id: String,
    started: Instant,
) -> RunRecord {
    let message = failure.message.clone();
    let entry = trace_entry(
        block_type,
        0,
        start.state.clone(),
        None,
        &start.state,
        &report,
        Some(failure),
    );
    RunRecord {
        trace_id,
        seed_index: start.seed_index,
        repetition: start.repetition,
        split_index: None,
        status: RunStatus::Failed,
        pipeline_output: Value::Null,
        accumulated_state: start.state,
        metadata: start.metadata,
        trace: vec![entry],
        usage: report.usage,
        usage_by_model: report.usage_by_model,
        error: Some(message),
        execution_time: started.elapsed().as_secs_f64(),
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
    /// A run starting from `state` (checked at planning, so counted, not refused, here).
    fn new(limits: &crate::runtime::Limits, state: &Map<String, Value>) -> Self {
        StateBudget {
            max_state: limits.max_state_bytes as u64,
            max_carried: limits.max_run_state_bytes,
            carried: super::work_limits::state_bytes(state),
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
