//! `POST /api/pipelines/{id}/execute`'s answer: one run, or one per child of a multiplier.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::record::{RunRecord, Trace};
use crate::usage::Usage;

/// One run's outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunAnswer {
    /// The final state.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub result: Map<String, Value>,
    /// What the pipeline produced (DataGenFlow's `pipeline_output`), any JSON value.
    #[schema(value_type = serde_json::Value)]
    pub pipeline_output: Value,
    /// One entry per block call (block type, step, input, output, state, times, usage, LLM
    /// calls, logs).
    #[schema(value_type = Vec<std::collections::HashMap<String, serde_json::Value>>)]
    pub trace: Trace,
    /// The run's trace id.
    pub trace_id: String,
    /// Tokens and cost of the run.
    pub usage: Usage,
}

impl From<RunRecord> for RunAnswer {
    fn from(record: RunRecord) -> Self {
        RunAnswer {
            result: record.accumulated_state,
            pipeline_output: record.pipeline_output,
            trace: record.trace,
            trace_id: record.trace_id,
            usage: record.usage,
        }
    }
}

/// `{result, pipeline_output, trace, trace_id, usage}` for a run that reached no multiplier,
/// `{results: [...]}` (one per child) for one that did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ExecuteAnswer {
    /// The run.
    Run(Box<RunAnswer>),
    /// The children of the multiplier, each run to its end.
    Children {
        /// One per child, in order.
        results: Vec<RunAnswer>,
    },
}
