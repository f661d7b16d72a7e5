//! Who is calling: the run, the step, the key spaces its `kv` calls reach, its budget and the
//! grant it runs under. Every capability reads it (by reference, through its view); none
//! owns it.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::grants::EffectiveGrant;
use crate::kv::KvNamespace;
use crate::llm::CacheMode;
use crate::usage::JobBudget;

/// Who is calling: the run, the step and the key spaces its `kv` calls reach.
#[derive(Debug, Clone)]
pub struct CallScope {
    /// Trace id of the run.
    pub trace_id: String,
    /// Position of the block in the pipeline.
    pub step: u32,
    /// Block type name, for logs and errors.
    pub block_type: String,
    /// Key space of the job.
    pub job_kv: KvNamespace,
    /// Key space of the pipeline.
    pub pipeline_kv: KvNamespace,
    /// What the response cache may do for this call's LLM requests (the job's setting).
    pub cache: CacheMode,
    /// The job's token and cost budget, shared by its runs; `None`: unlimited.
    pub budget: Option<Arc<JobBudget>>,
    /// When the run stops waiting for a provider (`LLM_RUN_DEADLINE_SECS` after it started);
    /// `None`: each model call's start plus the default.
    pub run_deadline: Option<std::time::Instant>,
    /// The lease the run is executed under, for a stored job's run: its model requests are
    /// sent only while it is held. `None`: a run no lease covers.
    pub lease: Option<crate::llm::run_lease::RunLease>,
    /// What the block may do in this call (declared ∩ granted) and its limits.
    pub grant: Arc<EffectiveGrant>,
    /// The `http` requests the run has sent so far, over all its block calls (held to the
    /// grant's `http.max_requests_per_run`).
    pub http_requests: Arc<AtomicU64>,
}
