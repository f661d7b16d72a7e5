//! Limits applied to every block call, with their defaults.
//!
//! Four of them (memory, CPU time, wall clock, output size) come in pairs: the value a call
//! gets when its plugin's grant sets none (`memory_bytes`…), and the most a grant may give
//! (`memory_max_bytes`…), by default [`GRANT_HEADROOM`] times the default.

use std::time::Duration;

/// How many times its default a limit's maximum is when the operator sets no maximum: a grant
/// may give a plugin up to this much more than the default.
pub const GRANT_HEADROOM: u32 = 4;

/// Resource limits of one block call. Every limit names itself in the error it causes.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear memory per call, over all the component's memories, unless the plugin's grant
    /// says otherwise (`BLOCK_MEMORY_MB`).
    pub memory_bytes: usize,
    /// The most linear memory a grant may give a call (`BLOCK_MEMORY_MAX_MB`); the pooling
    /// allocator's memory slots are sized by it.
    pub memory_max_bytes: usize,
    /// Guest CPU time per call (host imports not counted), measured in epoch ticks, unless
    /// the grant says otherwise (`BLOCK_CPU_SECS`).
    pub cpu_time: Duration,
    /// The most CPU time a grant may give a call (`BLOCK_CPU_MAX_SECS`).
    pub cpu_time_max: Duration,
    /// Wall-clock time per call, host imports (LLM calls) included, time queued for a model
    /// provider left out (within `llm_run_deadline`), unless the grant says otherwise
    /// (`BLOCK_TIMEOUT_SECS`).
    pub wall_clock: Duration,
    /// The most wall-clock time a grant may give a call (`BLOCK_TIMEOUT_MAX_SECS`).
    pub wall_clock_max: Duration,
    /// Wall-clock time allowed for `describe()`, which runs at every load (never more than
    /// `wall_clock`).
    pub describe_time: Duration,
    /// Largest output (JSON text) a call may return, unless the grant says otherwise
    /// (`BLOCK_OUTPUT_MB`).
    pub output_bytes: usize,
    /// The largest output a grant may allow (`BLOCK_OUTPUT_MAX_MB`).
    pub output_max_bytes: usize,
    /// Bytes of stdout and of stderr kept per call.
    pub stdio_bytes: usize,
    /// Log lines kept per call.
    pub log_lines: usize,
    /// Instances alive at once: the pooling allocator's size and the concurrency bound.
    pub max_instances: u32,
    /// Seeds (children) one multiplier call may return; more fail that seed's run with
    /// `fan_out_limit` before any child is parsed.
    pub max_children: usize,
    /// Runs one job may plan, a multiplier's children included: a seed file above it is
    /// refused, and an expansion that would pass it fails that seed's run with `fan_out_limit`.
    pub max_runs_per_job: u64,
    /// Blocks one pipeline may have: a longer one is refused at save, at `/execute`, at
    /// `/api/generate` and by `accumulated_state_schema` (`MAX_PIPELINE_BLOCKS`).
    pub max_pipeline_blocks: usize,
    /// Largest state (JSON text) of one run: a seed, the body of `/execute`, the state after
    /// any block (`MAX_STATE_BYTES`).
    pub max_state_bytes: usize,
    /// Bytes of state one run may carry over its steps: the sum of the state each step
    /// receives, which the run's trace keeps (`MAX_RUN_STATE_BYTES`).
    pub max_run_state_bytes: u64,
    /// Bytes of initial state one job may plan: each seed's state times its repetitions,
    /// summed (`MAX_JOB_STATE_BYTES`).
    pub max_job_state_bytes: u64,
    /// How long a run may wait for model providers in all (queued for a slot or a rate
    /// limit, pausing after a 429): the time a block call spends so is left out of its
    /// `wall_clock`, within this deadline counted from the run's start.
    pub llm_run_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let headroom = GRANT_HEADROOM as usize;
        Limits {
            memory_bytes: 256 * 1024 * 1024,
            memory_max_bytes: headroom * 256 * 1024 * 1024,
            cpu_time: Duration::from_secs(10),
            cpu_time_max: Duration::from_secs(10) * GRANT_HEADROOM,
            wall_clock: Duration::from_secs(300),
            wall_clock_max: Duration::from_secs(300) * GRANT_HEADROOM,
            describe_time: Duration::from_secs(10),
            output_bytes: 16 * 1024 * 1024,
            output_max_bytes: headroom * 16 * 1024 * 1024,
            stdio_bytes: 16 * 1024,
            log_lines: 200,
            max_instances: 256,
            max_children: 10_000,
            max_runs_per_job: 1_000_000,
            max_pipeline_blocks: 256,
            max_state_bytes: 4 * 1024 * 1024,
            max_run_state_bytes: 256 * 1024 * 1024,
            max_job_state_bytes: 1024 * 1024 * 1024,
            llm_run_deadline: Duration::from_secs(30 * 60),
        }
    }
}

/// How often the engine's epoch advances; the unit of the CPU-time limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Formats a byte count for messages (`256 MiB`, `1.5 KiB`, `12 bytes`).
pub fn format_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB * KIB {
        format!("{:.1} GiB", b / (KIB * KIB * KIB))
    } else if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
