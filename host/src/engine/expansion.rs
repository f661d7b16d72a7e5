//! What a multiplier's call made of one run: its children. Each child is a run of its own
//! that starts at the step after the multiplier, from the state so far with the child's fields
//! merged in, and inherits the trace so far: the parent's entries before the multiplier, then
//! the multiplier's call with the child's fields as its output. Nothing before the multiplier
//! runs again for a child.
//!
//! The parent's usage through the multiplier is counted once: a run set hands it to the first
//! child ([`Expansion::into_starts`]); a stored job adds it to the job when the expansion is
//! stored. Its model requests ([`Expansion::calls`]) and the checks of its steps
//! ([`Expansion::executed`]) are counted with the expansion too, never from a child's copy.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::call_stats::CallStats;
use super::record::{RunRecord, RunStatus, Trace, TraceEntry};
use super::run_start::RunStart;
use super::work_limits::state_bytes;
use super::{ModelUsage, Usage};
use crate::runtime::{BlockFailure, FailureKind, Limits};

/// Which run reached the multiplier.
#[derive(Debug)]
pub(super) struct Origin {
    /// Index of its seed.
    pub seed_index: usize,
    /// Repetition of the seed.
    pub repetition: u32,
    /// Its index among an earlier multiplier's children.
    pub split_index: Option<usize>,
    /// The seed's metadata.
    pub metadata: Map<String, Value>,
    /// Its trace id.
    pub trace_id: String,
}

/// What a run that reached a multiplier had done: the parts of an [`Expansion`] the run
/// executor knows.
#[derive(Debug)]
pub(super) struct Reached {
    /// The run.
    pub origin: Origin,
    /// The multiplier's step.
    pub step: usize,
    /// The state the multiplier received.
    pub state: Map<String, Value>,
    /// The trace before the multiplier.
    pub trace: Trace,
    /// The multiplier's call (output and state empty).
    pub call: TraceEntry,
    /// When the run started.
    pub started: Instant,
    /// Its usage through the multiplier.
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: ModelUsage,
}

/// A multiplier's children, kept as it returned them, once, with what the run that reached
/// it had done. The runs start from them one at a time ([`Expansion::into_starts`],
/// [`Expansion::stored_children`]), so a large fan-out is never held twice.
#[derive(Debug)]
pub struct Expansion {
    /// The run that reached the multiplier.
    parent: Reached,
    /// The children, in order.
    children: Vec<Map<String, Value>>,
}

impl Expansion {
    /// The expansion of the run that `parent` describes into `children`.
    pub(super) fn new(parent: Reached, children: Vec<Map<String, Value>>) -> Self {
        Expansion { parent, children }
    }

    /// The parent's usage through the multiplier (what it carried in included).
    pub fn usage(&self) -> &Usage {
        &self.parent.usage
    }

    /// The same, per model.
    pub fn usage_by_model(&self) -> &ModelUsage {
        &self.parent.usage_by_model
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether the multiplier returned no child.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// The multiplier's step.
    pub fn step(&self) -> usize {
        self.parent.step
    }

    /// The multiplier's block type.
    pub fn block_type(&self) -> &str {
        &self.parent.call.block_type
    }

    /// The block calls the parent made before the multiplier (not those it inherited).
    pub fn executed(&self) -> &[TraceEntry] {
        &self.parent.trace.entries
    }

    /// The model requests of the parent's own calls, the multiplier's included.
    pub fn calls(&self) -> CallStats {
        CallStats::of_calls(
            self.parent
                .trace
                .entries
                .iter()
                .chain(std::iter::once(&self.parent.call))
                .flat_map(|entry| &entry.llm_calls),
        )
    }

    /// The trace before the multiplier, as JSON entries the children share.
    fn prefix(&self) -> Vec<Arc<Value>> {
        let trace = &self.parent.trace;
        let own = trace.entries.iter().map(|e| Arc::new(entry_json(e)));
        trace.inherited.iter().cloned().chain(own).collect()
    }

    /// What a stored job keeps on the expanded run for its children: the trace before the
    /// multiplier and, last, the multiplier's call, as one JSON list ([`stored_child_trace`]
    /// makes a child's inherited trace of it).
    pub fn stored_prefix(&self) -> String {
        let mut entries: Vec<Value> = self.prefix().iter().map(|e| (**e).clone()).collect();
        entries.push(entry_json(&self.parent.call));
        Value::Array(entries).to_string()
    }

    /// Each child's initial state (the state the multiplier received with the child merged
    /// in) and its own fields, made as they are read.
    pub fn stored_children(
        &self,
    ) -> impl ExactSizeIterator<Item = (Map<String, Value>, Map<String, Value>)> + Send + '_ {
        self.children.iter().map(|child| {
            let mut state = self.parent.state.clone();
            state.extend(child.clone());
            (state, child.clone())
        })
    }

    /// One start per child, made as it is read, at the step after the multiplier; the first
    /// also carries the parent's usage.
    pub fn into_starts(self) -> impl Iterator<Item = RunStart> + Send {
        let prefix = self.prefix();
        let call = entry_json(&self.parent.call);
        let Expansion { parent, children } = self;
        let Reached {
            origin,
            step,
            state,
            usage,
            usage_by_model,
            ..
        } = parent;
        children
            .into_iter()
            .enumerate()
            .map(move |(index, fields)| {
                let mut child_state = state.clone();
                child_state.extend(fields.clone());
                let first = index == 0;
                RunStart {
                    seed_index: origin.seed_index,
                    repetition: origin.repetition,
                    metadata: origin.metadata.clone(),
                    split_index: Some(index),
                    inherited: child_trace(&prefix, &call, fields, &child_state),
                    state: child_state,
                    // Counted once, in the first run, so totals over the records stay exact;
                    // every run's trace still shows the calls.
                    usage: if first { usage } else { Usage::default() },
                    usage_by_model: if first {
                        usage_by_model.clone()
                    } else {
                        ModelUsage::default()
                    },
                    first_step: step + 1,
                    // Each child is a run of its own.
                    trace_id: super::trace_id::fresh(),
                    // Run now (a test run), not stored: no lease covers them.
                    lease: None,
                }
            })
    }

    /// Refuses children whose starting states pass the state limits: one child's state (the
    /// state so far with its fields merged in) above `max_state_bytes`, or all the children's
    /// states together above `max_job_state_bytes` — each child keeps its own copy of the
    /// state so far, so a large state times many children is what the job would hold.
    pub fn check_state_limits(&self, limits: &Limits) -> Result<(), Box<BlockFailure>> {
        let max_state = limits.max_state_bytes as u64;
        let parent = state_bytes(&self.parent.state);
        let mut total: u64 = 0;
        for (index, child) in self.children.iter().enumerate() {
            // The merged state is at most the two objects' sizes together (fewer when the
            // child's fields replace keys of the state); merged only when the bound passes.
            let mut bytes = parent.saturating_add(state_bytes(child));
            if bytes > max_state {
                let mut state = self.parent.state.clone();
                state.extend(child.clone());
                bytes = state_bytes(&state);
                if bytes > max_state {
                    return Err(Box::new(self.state_failure(
                        format!(
                            "returned a child (index {index}) that would start from a state \
                             of {bytes} bytes, above the limit of {max_state} bytes per state \
                             (MAX_STATE_BYTES)"
                        ),
                        serde_json::json!({
                            "child": index, "bytes": bytes,
                            "limit": max_state, "setting": "MAX_STATE_BYTES",
                        }),
                    )));
                }
            }
            total = total.saturating_add(bytes);
        }
        if total > limits.max_job_state_bytes {
            return Err(Box::new(self.state_failure(
                format!(
                    "returned {} children that would start from {total} bytes of state in \
                     all (each keeps its own copy of the state so far), above the limit of \
                     {} bytes per job (MAX_JOB_STATE_BYTES); drop fields the later steps do \
                     not need before the multiplier",
                    self.children.len(),
                    limits.max_job_state_bytes
                ),
                serde_json::json!({
                    "children": self.children.len(), "bytes": total,
                    "limit": limits.max_job_state_bytes, "setting": "MAX_JOB_STATE_BYTES",
                }),
            )));
        }
        Ok(())
    }

    /// A state-limit failure of the multiplier's call, saying `what` it returned.
    fn state_failure(&self, what: String, detail: Value) -> BlockFailure {
        let (block_type, step) = (self.block_type(), self.step());
        BlockFailure {
            kind: FailureKind::StateLimit,
            block_type: block_type.to_owned(),
            step: step as u32,
            message: format!("{block_type} (step {step}) {what}"),
            stderr: None,
            detail: Some(detail),
            code: None,
        }
    }

    /// The parent's run failed after all, with `failure` (its children are over a limit the
    /// multiplier's call could not know): a failed record with its trace and usage.
    pub fn into_failed(self, failure: BlockFailure) -> RunRecord {
        let Reached {
            origin,
            state,
            mut trace,
            mut call,
            started,
            usage,
            usage_by_model,
            ..
        } = self.parent;
        let message = failure.message.clone();
        call.error = Some(message.clone());
        call.failure = Some(failure);
        call.accumulated_state = state.clone();
        trace.entries.push(call);
        RunRecord {
            trace_id: origin.trace_id,
            seed_index: origin.seed_index,
            repetition: origin.repetition,
            split_index: origin.split_index,
            status: RunStatus::Failed,
            pipeline_output: Value::Null,
            accumulated_state: state,
            metadata: origin.metadata,
            trace,
            usage,
            usage_by_model,
            error: Some(message),
            execution_time: started.elapsed().as_secs_f64(),
        }
    }
}

/// A child's inherited trace: `prefix`, then the multiplier's `call` with the child's `fields`
/// as its output and `state` (the child's initial state) after it.
fn child_trace(
    prefix: &[Arc<Value>],
    call: &Value,
    fields: Map<String, Value>,
    state: &Map<String, Value>,
) -> Vec<Arc<Value>> {
    let mut own_call = call.clone();
    if let Value::Object(entry) = &mut own_call {
        entry.insert("output".to_owned(), Value::Object(fields));
        entry.insert("accumulated_state".to_owned(), Value::Object(state.clone()));
    }
    prefix
        .iter()
        .cloned()
        .chain(std::iter::once(Arc::new(own_call)))
        .collect()
}

/// A parent's [`Expansion::stored_prefix`] read back: the trace before the multiplier and
/// the multiplier's call, parsed once for all the parent's children.
#[derive(Debug)]
pub struct StoredPrefix {
    /// The entries before the multiplier, shared by every child's trace.
    prefix: Vec<Arc<Value>>,
    /// The multiplier's call, without a child's part.
    call: Value,
}

impl StoredPrefix {
    /// Parses what [`Expansion::stored_prefix`] wrote.
    pub fn parse(stored: &str) -> Result<Self, serde_json::Error> {
        let mut entries: Vec<Value> = serde_json::from_str(stored)?;
        let call = entries.pop().unwrap_or(Value::Null);
        Ok(StoredPrefix {
            prefix: entries.into_iter().map(Arc::new).collect(),
            call,
        })
    }

    /// A child's inherited trace, from its own fields and its initial state.
    pub fn child_trace(
        &self,
        fields: Map<String, Value>,
        state: &Map<String, Value>,
    ) -> Vec<Arc<Value>> {
        child_trace(&self.prefix, &self.call, fields, state)
    }
}

/// A stored child's inherited trace, from its parent's [`Expansion::stored_prefix`], the
/// child's own fields and its initial state.
pub fn stored_child_trace(
    stored: &str,
    fields: Map<String, Value>,
    state: &Map<String, Value>,
) -> Result<Vec<Arc<Value>>, serde_json::Error> {
    Ok(StoredPrefix::parse(stored)?.child_trace(fields, state))
}

/// A trace entry as JSON (as the record shows it).
fn entry_json(entry: &TraceEntry) -> Value {
    serde_json::to_value(entry).unwrap_or_else(|e| {
        json!({"block_type": entry.block_type, "step": entry.step,
               "error": format!("the trace entry could not be kept: {e}")})
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_stored_childs_trace_ends_with_the_call_showing_its_own_part() {
        let stored = json!([
            {"block_type": "Fetch", "step": 0, "output": {"text": "ab"}},
            {"block_type": "Chunker", "step": 1, "input": {"text": "ab"}, "output": null,
             "accumulated_state": {}}
        ])
        .to_string();
        let state = object(json!({"text": "ab", "chunk": "b"}));
        let trace = stored_child_trace(&stored, object(json!({"chunk": "b"})), &state).unwrap();
        assert_eq!(trace.len(), 2);
        assert_eq!(trace[0]["block_type"], "Fetch");
        assert_eq!(trace[1]["output"], json!({"chunk": "b"}));
        assert_eq!(trace[1]["accumulated_state"], Value::Object(state));
        assert_eq!(trace[1]["input"], json!({"text": "ab"}));
    }

    /// An expansion of a run whose state so far is `state` into `children`.
    fn expansion(state: Value, children: Vec<Value>) -> Expansion {
        let call = TraceEntry {
            block_type: "Chunker".to_owned(),
            step: 1,
            input: Map::new(),
            output: None,
            accumulated_state: Map::new(),
            execution_time: 0.0,
            import_time: 0.0,
            cpu_time: 0.0,
            error: None,
            failure: None,
            usage: Usage::default(),
            llm_calls: Vec::new(),
            http_calls: Vec::new(),
            logs: Vec::new(),
            logs_dropped: 0,
        };
        let parent = Reached {
            origin: Origin {
                seed_index: 0,
                repetition: 0,
                split_index: None,
                metadata: Map::new(),
                trace_id: "t".to_owned(),
            },
            step: 1,
            state: object(state),
            trace: Trace::default(),
            call,
            started: Instant::now(),
            usage: Usage::default(),
            usage_by_model: ModelUsage::default(),
        };
        Expansion::new(parent, children.into_iter().map(object).collect())
    }

    fn limits(max_state_bytes: usize, max_job_state_bytes: u64) -> Limits {
        Limits {
            max_state_bytes,
            max_job_state_bytes,
            ..Limits::default()
        }
    }

    #[test]
    fn children_that_each_copy_a_large_state_pass_the_job_state_limit() {
        let page = "x".repeat(1000);
        let children = (0..10).map(|i| json!({"chunk": i})).collect();
        let expansion = expansion(json!({"html": page}), children);
        // Ten copies of a 1 KB state: about 10 KB in all.
        assert!(expansion.check_state_limits(&limits(2000, 20_000)).is_ok());
        let failure = expansion
            .check_state_limits(&limits(2000, 9_000))
            .expect_err("ten copies of 1 KB pass 9 KB");
        assert_eq!(failure.kind, FailureKind::StateLimit);
        assert_eq!(failure.step, 1);
        assert!(
            failure.message.contains("MAX_JOB_STATE_BYTES"),
            "{}",
            failure.message
        );
        assert!(
            failure
                .message
                .starts_with("Chunker (step 1) returned 10 children")
        );
    }

    #[test]
    fn one_child_whose_merged_state_is_too_large_fails_the_expansion() {
        let children = vec![json!({"chunk": "a"}), json!({"chunk": "b".repeat(600)})];
        let expansion = expansion(json!({"text": "y".repeat(600)}), children);
        let failure = expansion
            .check_state_limits(&limits(1000, u64::MAX))
            .expect_err("600 + 600 bytes pass 1000");
        assert!(failure.message.contains("index 1"), "{}", failure.message);
        assert!(
            failure.message.contains("MAX_STATE_BYTES"),
            "{}",
            failure.message
        );
        assert_eq!(
            failure.detail.as_ref().map(|d| d["child"].clone()),
            Some(json!(1))
        );
    }

    #[test]
    fn a_child_replacing_a_large_field_is_measured_merged() {
        // The bound (state + child) passes the limit, the merged state does not.
        let children = vec![json!({"text": "short"})];
        let expansion = expansion(json!({"text": "y".repeat(600)}), children);
        assert!(expansion.check_state_limits(&limits(700, u64::MAX)).is_ok());
    }

    #[test]
    fn a_stored_prefix_that_is_not_a_list_is_an_error() {
        assert!(stored_child_trace("{}", Map::new(), &Map::new()).is_err());
    }
}
