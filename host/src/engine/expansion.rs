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
use super::{ModelUsage, Usage};
use crate::runtime::BlockFailure;

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
                }
            })
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

/// A stored child's inherited trace, from its parent's [`Expansion::stored_prefix`], the
/// child's own fields and its initial state.
pub fn stored_child_trace(
    stored: &str,
    fields: Map<String, Value>,
    state: &Map<String, Value>,
) -> Result<Vec<Arc<Value>>, serde_json::Error> {
    let mut entries: Vec<Value> = serde_json::from_str(stored)?;
    let call = entries.pop().unwrap_or(Value::Null);
    let prefix: Vec<Arc<Value>> = entries.into_iter().map(Arc::new).collect();
    Ok(child_trace(&prefix, &call, fields, state))
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

    #[test]
    fn a_stored_prefix_that_is_not_a_list_is_an_error() {
        assert!(stored_child_trace("{}", Map::new(), &Map::new()).is_err());
    }
}
