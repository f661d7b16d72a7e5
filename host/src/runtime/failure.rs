//! Why a block call failed, classified so the user sees the cause: the limit hit with its
//! numbers, the trap kind, the block's own panic message from its stderr, or its error.

use serde::Serialize;
use serde_json::Value;

use super::call_clock::Exceeded;
use super::limits::format_bytes;

/// Class of a block call failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The block returned an error.
    BlockError,
    /// The guest panicked or threw (seen on its stderr), or executed `unreachable`.
    Panic,
    /// Guest CPU time exceeded its limit.
    CpuTimeLimit,
    /// The call exceeded its wall-clock limit.
    WallClockLimit,
    /// The guest tried to grow its memory past the limit.
    MemoryLimit,
    /// The guest's call stack overflowed (deep recursion).
    StackOverflow,
    /// Any other trap (out-of-bounds access, division by zero...).
    Trap,
    /// The block called an import with arguments that break the component ABI (a string
    /// that is not UTF-8).
    InvalidHostCall,
    /// The output was too large, not JSON, or had undeclared keys.
    InvalidOutput,
    /// The component could not be instantiated.
    Instantiation,
    /// A multiplier returned more children than one seed may have, or its children would
    /// take the job past its number of runs.
    FanOutLimit,
    /// The host refused a model call because the job's budget (`max_total_tokens`,
    /// `max_total_cost`…) is spent.
    Denied,
    /// A `kv` write would pass its namespace's quota of keys or bytes.
    KvQuota,
    /// The block's output made the run's state larger than `MAX_STATE_BYTES`, or the states
    /// the run carried over its steps more than `MAX_RUN_STATE_BYTES`.
    StateLimit,
}

impl FailureKind {
    /// The kind as the API and the metrics spell it (`block_error`, `cpu_time_limit`...).
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::BlockError => "block_error",
            FailureKind::Panic => "panic",
            FailureKind::CpuTimeLimit => "cpu_time_limit",
            FailureKind::WallClockLimit => "wall_clock_limit",
            FailureKind::MemoryLimit => "memory_limit",
            FailureKind::StackOverflow => "stack_overflow",
            FailureKind::Trap => "trap",
            FailureKind::InvalidHostCall => "invalid_host_call",
            FailureKind::InvalidOutput => "invalid_output",
            FailureKind::Instantiation => "instantiation",
            FailureKind::FanOutLimit => "fan_out_limit",
            FailureKind::Denied => "denied",
            FailureKind::KvQuota => "kv_quota",
            FailureKind::StateLimit => "state_limit",
        }
    }
}

/// An import refused the block's call for a reason that must end the block call rather than
/// be handed back to the block (which could ignore it and try again): the call fails as
/// `kind` with `message`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// How the call is classified.
    pub kind: FailureKind,
    /// Why, with the limit and the numbers.
    pub message: String,
}

/// A failed block call: what happened, for a person, and the evidence.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct BlockFailure {
    /// Class of failure.
    pub kind: FailureKind,
    /// The block type.
    pub block_type: String,
    /// The pipeline step (0-based).
    pub step: u32,
    /// What went wrong, naming the block, the step and the limit.
    pub message: String,
    /// The block's stderr (bounded), when it wrote any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// Structured detail from the block's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    /// The code of the block's own error (`invalid_config`, `invalid_input`,
    /// `host_call_failed`, `rejected`, `internal_error`), when the block reported one: a
    /// `rejected` run was removed by that step on purpose (the job's quality report counts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The block's call of an import was invalid (it broke the ABI): the call fails with this,
/// classified as [`FailureKind::InvalidHostCall`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidHostCall(pub String);

/// Marker error raised from the epoch callback when a time limit is passed.
#[derive(Debug, thiserror::Error)]
#[error("{0:?}")]
pub struct LimitExceeded(pub Exceeded);

/// What the call's store knew when the call failed.
pub struct FailureEvidence {
    /// The block type.
    pub block_type: String,
    /// The step.
    pub step: u32,
    /// Captured stderr.
    pub stderr: String,
    /// Memory growth the limiter refused: `(total before, total requested)`.
    pub refused_growth: Option<(usize, usize)>,
    /// The memory limit.
    pub memory_limit: usize,
}

impl FailureEvidence {
    fn failure(&self, kind: FailureKind, what: String) -> BlockFailure {
        let stderr = Some(self.stderr.trim().to_owned()).filter(|s| !s.is_empty());
        let mut message = format!("{} (step {}) {what}", self.block_type, self.step);
        // Only a crash is explained by the guest's last words on stderr.
        let crashed = matches!(
            kind,
            FailureKind::Panic | FailureKind::Trap | FailureKind::MemoryLimit
        );
        if crashed && let Some(panic) = stderr.as_deref().and_then(panic_line) {
            message.push_str(&format!(": {panic}"));
        }
        BlockFailure {
            kind,
            block_type: self.block_type.clone(),
            step: self.step,
            message,
            stderr,
            detail: None,
            code: None,
        }
    }

    /// Classifies an error from instantiation or a call.
    pub fn classify(&self, error: &wasmtime::Error) -> BlockFailure {
        if let Some(LimitExceeded(exceeded)) = error.downcast_ref::<LimitExceeded>() {
            return match *exceeded {
                Exceeded::CpuTime { limit } => self.failure(
                    FailureKind::CpuTimeLimit,
                    format!("exceeded its CPU time limit of {} ms", limit.as_millis()),
                ),
                Exceeded::WallClock { limit } => self.wall_clock(limit),
            };
        }
        if let Some((current, desired)) = self.refused_growth {
            return self.failure(
                FailureKind::MemoryLimit,
                format!(
                    "exceeded its memory limit: growing linear memory from {} to {} was refused (limit {})",
                    format_bytes(current as u64),
                    format_bytes(desired as u64),
                    format_bytes(self.memory_limit as u64)
                ),
            );
        }
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return self.failure(refused.kind, format!("was refused: {}", refused.message));
        }
        if let Some(invalid) = error.downcast_ref::<InvalidHostCall>() {
            return self.failure(FailureKind::InvalidHostCall, invalid.0.clone());
        }
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::StackOverflow) => self.failure(
                FailureKind::StackOverflow,
                "overflowed its call stack (too deep recursion)".to_owned(),
            ),
            Some(wasmtime::Trap::UnreachableCodeReached) => {
                let has_panic = panic_line(&self.stderr).is_some();
                let what = if has_panic {
                    "panicked"
                } else {
                    "trapped: wasm `unreachable` executed (abort or panic)"
                };
                self.failure(FailureKind::Panic, what.to_owned())
            }
            Some(trap) => self.failure(
                FailureKind::Trap,
                format!(
                    "trapped: {}",
                    trap.to_string().trim_start_matches("wasm trap: ")
                ),
            ),
            None => {
                // The wasm backtrace is for the block's author, in the log; not in the message.
                let chain: Vec<String> = error
                    .chain()
                    .map(|e| e.to_string())
                    .filter(|e| !e.starts_with("error while executing at wasm backtrace"))
                    .collect();
                let not_utf8 = error
                    .chain()
                    .any(|e| e.downcast_ref::<std::str::Utf8Error>().is_some());
                if not_utf8 {
                    return self.failure(
                        FailureKind::InvalidHostCall,
                        format!(
                            "passed a string that is not valid UTF-8 to a host import ({})",
                            chain.join(": ")
                        ),
                    );
                }
                self.failure(FailureKind::Trap, format!("failed: {}", chain.join(": ")))
            }
        }
    }

    /// A failure the block reported itself.
    pub fn block_error(&self, code: &str, message: &str, detail: Option<Value>) -> BlockFailure {
        let mut failure = self.failure(
            FailureKind::BlockError,
            format!("failed ({code}): {message}"),
        );
        failure.detail = detail;
        failure.code = Some(code.replace(' ', "_"));
        failure
    }

    /// A failure of the block's output.
    pub fn invalid_output(&self, what: String) -> BlockFailure {
        self.failure(FailureKind::InvalidOutput, what)
    }

    /// A multiplier returned `children` seeds, above `limit` per seed.
    pub fn fan_out(&self, children: usize, limit: usize) -> BlockFailure {
        self.failure(
            FailureKind::FanOutLimit,
            format!(
                "returned {children} children for one seed, above the limit of {limit} \
                 children per seed (MAX_CHILDREN_PER_SEED)"
            ),
        )
    }

    /// A failure to instantiate: a memory limit when the limiter refused the component's
    /// initial memory (a plugin that starts above its limit needs a grant with more).
    pub fn instantiation(&self, error: &wasmtime::Error) -> BlockFailure {
        if let Some((_, desired)) = self.refused_growth {
            return self.failure(
                FailureKind::MemoryLimit,
                format!(
                    "could not be instantiated: its initial linear memory of {} is above its \
                     memory limit (limit {}); a grant may give its plugin more, up to \
                     BLOCK_MEMORY_MAX_MB",
                    format_bytes(desired as u64),
                    format_bytes(self.memory_limit as u64)
                ),
            );
        }
        self.failure(
            FailureKind::Instantiation,
            format!("could not be instantiated: {error:#}"),
        )
    }

    /// The block's component could not be compiled or linked on its first call.
    pub fn not_loaded(&self, error: &dyn std::fmt::Display) -> BlockFailure {
        self.failure(
            FailureKind::Instantiation,
            format!("could not be loaded: {error}"),
        )
    }

    /// The host lost the call (its task panicked).
    pub fn host_failure(&self, error: &dyn std::fmt::Display) -> BlockFailure {
        self.failure(FailureKind::Trap, format!("failed in the host: {error}"))
    }

    /// The runtime closed before the call could start.
    pub fn shutting_down(&self) -> BlockFailure {
        self.failure(
            FailureKind::Instantiation,
            "could not run: the runtime is shutting down".to_owned(),
        )
    }

    /// The wall-clock limit was hit.
    pub fn wall_clock(&self, limit: std::time::Duration) -> BlockFailure {
        self.failure(
            FailureKind::WallClockLimit,
            format!("exceeded its wall-clock limit of {} ms", limit.as_millis()),
        )
    }
}

impl BlockFailure {
    /// A multiplier at `step` of type `block_type` returned `children` seeds that would make
    /// its job `total` runs, above `limit` runs per job.
    pub fn runs_per_job(
        block_type: &str,
        step: u32,
        children: u64,
        total: u64,
        limit: u64,
    ) -> BlockFailure {
        BlockFailure {
            kind: FailureKind::FanOutLimit,
            block_type: block_type.to_owned(),
            step,
            message: format!(
                "{block_type} (step {step}) returned {children} children, which would make \
                 the job {total} runs, above the limit of {limit} runs per job (MAX_RUNS_PER_JOB)"
            ),
            stderr: None,
            detail: Some(serde_json::json!({
                "children": children, "runs": total, "limit": limit
            })),
            code: None,
        }
    }
}

/// The panic or exception line of a guest's stderr: Rust's `panicked at`, Python's last
/// traceback line, JavaScript's `Error:`.
fn panic_line(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(index) = lines.iter().position(|l| l.contains("panicked at")) {
        // Rust prints "thread '<main>' panicked at src/lib.rs:3:5:" then the message.
        let message = lines.get(index + 1).copied().unwrap_or_default();
        return Some(format!("{} {message}", lines[index]).trim().to_owned());
    }
    if lines.iter().any(|l| l.starts_with("Traceback")) {
        return lines.last().map(|l| (*l).to_owned());
    }
    lines
        .iter()
        .find(|l| l.contains("Error:") || l.contains("memory allocation of"))
        .map(|l| (*l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::panic_line;

    #[test]
    fn finds_panic_messages_of_rust_python_and_js() {
        let rust = "\nthread '<unnamed>' panicked at src/lib.rs:10:9:\nboom on purpose\nnote: run with RUST_BACKTRACE";
        assert_eq!(
            panic_line(rust).as_deref(),
            Some("thread '<unnamed>' panicked at src/lib.rs:10:9: boom on purpose")
        );
        let python = "Traceback (most recent call last):\n  File \"x\"\nValueError: bad";
        assert_eq!(panic_line(python).as_deref(), Some("ValueError: bad"));
        assert_eq!(panic_line("nothing special"), None);
    }
}
