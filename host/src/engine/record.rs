//! What a run produces: its record, with the final state, `pipeline_output`, the trace of
//! every block call and the usage.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeSeq;
use serde_json::{Map, Value};

use super::{ModelUsage, Usage};
use crate::llm::journal::LlmCall;
use crate::outbound::HttpCall;
use crate::runtime::{BlockFailure, LogLine};

/// One block call in a run's trace (DataGenFlow's keys, plus usage, logs and failure detail).
#[derive(Debug, Clone, Serialize)]
pub struct TraceEntry {
    /// Block type.
    pub block_type: String,
    /// Zero-based step.
    pub step: u32,
    /// The state the block received.
    pub input: Map<String, Value>,
    /// What it returned (null when it failed).
    pub output: Option<Value>,
    /// The state after merging its output.
    pub accumulated_state: Map<String, Value>,
    /// Seconds the call took (instantiation included).
    pub execution_time: f64,
    /// Seconds of that spent inside host imports (LLM calls, storage, rendering); the rest is
    /// the block's own work and the runtime's overhead.
    pub import_time: f64,
    /// Seconds of CPU time charged to the block against its CPU-time limit: its own work and
    /// the host's work for it (rendering), not its waits; counted at 10 ms ticks.
    pub cpu_time: f64,
    /// The failure message, when it failed.
    pub error: Option<String>,
    /// Classified failure with the block's stderr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<BlockFailure>,
    /// Token usage of the call.
    pub usage: Usage,
    /// The block's requests to models: model, provider, attempts, wait, status, error.
    pub llm_calls: Vec<LlmCall>,
    /// The block's `http` requests (each redirect hop is one): method, URL, status, bytes,
    /// time, error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http_calls: Vec<HttpCall>,
    /// Lines the block logged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
    /// Lines dropped past the per-call limit.
    #[serde(skip_serializing_if = "is_zero")]
    pub logs_dropped: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Whether a run finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every block succeeded.
    Completed,
    /// A block failed; the trace ends with it.
    Failed,
}

/// One run's record.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// The run's id, in every log line of the run.
    pub trace_id: String,
    /// Zero-based index of the seed in the seed file.
    pub seed_index: usize,
    /// Zero-based repetition of the seed.
    pub repetition: u32,
    /// For a run started by a multiplier: which of its seeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_index: Option<usize>,
    /// Completed or failed.
    pub status: RunStatus,
    /// The seed's metadata (the initial state).
    pub metadata: Map<String, Value>,
    /// The final state.
    pub accumulated_state: Map<String, Value>,
    /// The run's result: set by a block, else `assistant`, else the last block's first output.
    pub pipeline_output: Value,
    /// The steps it inherited, then one entry per block call it made.
    pub trace: Trace,
    /// Usage summed over the run.
    pub usage: Usage,
    /// The same, per model.
    #[serde(skip_serializing_if = "ModelUsage::is_empty")]
    pub usage_by_model: ModelUsage,
    /// The failure message when the run failed.
    pub error: Option<String>,
    /// Seconds from start to end.
    pub execution_time: f64,
}

/// A run's trace: first the entries it inherited from the run a multiplier split it from
/// (that run's steps up to the multiplier, its call ending with this run's part of the
/// output), then one entry per block call the run made. Inherited entries are shown, never
/// counted again: their usage, model requests and quality were counted once, with the
/// expansion. It serializes as one list, DataGenFlow's `trace`.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Entries copied from the parent run, as JSON (children share them).
    pub inherited: Vec<Arc<Value>>,
    /// The run's own block calls.
    pub entries: Vec<TraceEntry>,
}

impl Trace {
    /// A trace of the run's own calls only.
    pub fn own(entries: Vec<TraceEntry>) -> Self {
        Trace {
            inherited: Vec::new(),
            entries,
        }
    }

    /// Entries in all.
    pub fn len(&self) -> usize {
        self.inherited.len() + self.entries.len()
    }

    /// Whether there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output of the last entry when it is an object: the last own call's, else the last
    /// inherited one's (a run split off by a pipeline's last block).
    pub fn last_output(&self) -> Option<&Map<String, Value>> {
        match self.entries.last() {
            Some(entry) => entry.output.as_ref().and_then(Value::as_object),
            None => self
                .inherited
                .last()
                .and_then(|entry| entry.get("output"))
                .and_then(Value::as_object),
        }
    }
}

impl Serialize for Trace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for entry in &self.inherited {
            seq.serialize_element(entry.as_ref())?;
        }
        for entry in &self.entries {
            seq.serialize_element(entry)?;
        }
        seq.end()
    }
}

/// `pipeline_output` of a run: an explicit `pipeline_output` field set by a block, else the
/// `assistant` field, else the first value of the last block's output.
pub fn pipeline_output(
    state: &Map<String, Value>,
    explicit: bool,
    last_output: Option<&Map<String, Value>>,
) -> Value {
    if explicit && let Some(value) = state.get("pipeline_output") {
        return value.clone();
    }
    if let Some(assistant) = state.get("assistant") {
        return assistant.clone();
    }
    last_output
        .and_then(|output| output.values().next().cloned())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_trace_lists_inherited_entries_first_and_reads_the_last_output_across_both() {
        let inherited = Arc::new(json!({"step": 0, "output": {"chunk": "c"}}));
        let trace = Trace {
            inherited: vec![inherited],
            entries: Vec::new(),
        };
        assert_eq!(trace.last_output(), Some(&object(json!({"chunk": "c"}))));
        assert_eq!(serde_json::to_value(&trace).unwrap()[0]["step"], 0);
        assert_eq!(trace.len(), 1);
    }

    #[test]
    fn explicit_output_wins_then_assistant_then_last_first_output() {
        let state = object(json!({"assistant": "a", "pipeline_output": "p"}));
        assert_eq!(pipeline_output(&state, true, None), json!("p"));
        assert_eq!(pipeline_output(&state, false, None), json!("a"));
        let last = object(json!({"score": 3, "other": 1}));
        let state = object(json!({"score": 3, "other": 1}));
        assert_eq!(pipeline_output(&state, false, Some(&last)), json!(3));
        assert_eq!(pipeline_output(&Map::new(), false, None), Value::Null);
    }
}
