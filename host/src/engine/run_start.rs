//! Where a run starts: its seed, its initial state, and for a run a multiplier split off, the
//! step after the multiplier with the trace and usage it inherits.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{ModelUsage, Usage};

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
    /// The trace entries inherited from the run a multiplier split this one from (its steps up
    /// to and including the multiplier's call), as JSON.
    pub inherited: Vec<Arc<Value>>,
    /// Usage carried in (a multiplier's first child carries its parent's).
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: ModelUsage,
    /// First step to run.
    pub first_step: usize,
    /// The run's trace id (a multiplier's seed run: also its expansion's). Fresh by default;
    /// a stored job's runner sets the run's stable one ([`super::trace_id::stored_run`]).
    pub trace_id: String,
    /// The lease a stored job's runner holds the run by: its model requests are sent only
    /// while it is held. `None` for a run no lease covers (the CLI, a pipeline's test run).
    pub lease: Option<crate::llm::run_lease::RunLease>,
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
            inherited: Vec::new(),
            usage: Usage::default(),
            usage_by_model: ModelUsage::default(),
            first_step: 0,
            trace_id: super::trace_id::fresh(),
            lease: None,
        }
    }

    /// Bytes of state the inherited entries carry: the states their steps received, which the
    /// run's record repeats (counted against `MAX_RUN_STATE_BYTES` with the run's own).
    pub fn inherited_state_bytes(&self) -> u64 {
        self.inherited
            .iter()
            .filter_map(|entry| entry.get("input").and_then(Value::as_object))
            .map(super::work_limits::state_bytes)
            .sum()
    }
}
