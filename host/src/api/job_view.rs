//! A job as the API answers it (`/api/jobs[...]`, the job stream): DataGenFlow's job keys
//! (`total_seeds`, `current_seed`, `records_generated`, `progress`, `usage.start_time` ...)
//! plus blockforge's counters.

use serde::Serialize;
use serde_json::Value;

use crate::engine::call_stats::CallStats;
use crate::engine::secret_config::mask_definition;
use crate::store::jobs::{JobRow, JobStatus};
use crate::usage::{ModelUsage, Usage};

/// A job's usage with DataGenFlow's times, which its progress display reads.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobUsage {
    /// Tokens, cost and cache hits over the finished runs.
    #[serde(flatten)]
    pub usage: Usage,
    /// When the job started, Unix seconds (fractional, as Python's `time.time()`).
    pub start_time: f64,
    /// When it ended, Unix seconds; null while it runs.
    pub end_time: Option<f64>,
}

/// A job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// Its id.
    pub id: i64,
    /// The pipeline it runs.
    pub pipeline_id: i64,
    /// `running`, `completed`, `failed`, `cancelled` or `stopped`.
    pub status: JobStatus,
    /// Runs planned.
    pub total_seeds: i64,
    /// Runs finished (completed or failed).
    pub current_seed: i64,
    /// Runs completed.
    pub records_generated: i64,
    /// Runs failed.
    pub records_failed: i64,
    /// Finished runs over planned runs, 0 to 1 (1 for a job without runs).
    pub progress: f64,
    /// The block most recently entered, while it runs; empty otherwise.
    pub current_block: String,
    /// That block's step index.
    pub current_step: Option<i64>,
    /// Why it failed or stopped.
    pub error: Option<String>,
    /// Usage over the finished runs, with the job's start and end.
    pub usage: JobUsage,
    /// The same usage per model that answered.
    #[schema(value_type = std::collections::HashMap<String, Usage>)]
    pub usage_by_model: ModelUsage,
    /// The model requests behind its records.
    pub llm_calls: CallStats,
    /// The response cache mode of its calls.
    pub cache: &'static str,
    /// Options given at start (concurrency, file, the pipeline definition it runs, its secret
    /// config values masked).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub options: Value,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// The same (DataGenFlow's name).
    pub started_at: i64,
    /// When it ended, Unix ms.
    pub completed_at: Option<i64>,
    /// The quality report (`GET /api/jobs/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub quality: Option<Value>,
}

/// Unix milliseconds as fractional seconds.
fn unix_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// `options` with the secret config values of its pipeline (listed in `secret_fields`) masked.
fn masked_options(options: &Value) -> Value {
    let mut shown = options.clone();
    if let Some(fields) = options.get("secret_fields")
        && let Some(pipeline) = shown.get_mut("pipeline")
    {
        mask_definition(pipeline, fields);
    }
    shown
}

impl JobView {
    /// `job` as the API shows it, without a quality report.
    pub fn new(job: &JobRow) -> Self {
        let finished = job.completed_runs + job.failed_runs;
        let progress = if job.total_runs > 0 {
            finished as f64 / job.total_runs as f64
        } else {
            1.0
        };
        JobView {
            id: job.id,
            pipeline_id: job.pipeline_id,
            status: job.status,
            total_seeds: job.total_runs,
            current_seed: finished,
            records_generated: job.completed_runs,
            records_failed: job.failed_runs,
            progress,
            current_block: job.current_block.clone().unwrap_or_default(),
            current_step: job.current_step,
            error: job.error.clone(),
            usage: JobUsage {
                usage: job.usage,
                start_time: unix_seconds(job.created_at),
                end_time: job.completed_at.map(unix_seconds),
            },
            usage_by_model: job.usage_by_model.clone(),
            llm_calls: job.llm_calls,
            cache: job.cache.as_str(),
            options: masked_options(&job.options),
            created_at: job.created_at,
            started_at: job.created_at,
            completed_at: job.completed_at,
            quality: None,
        }
    }
}
