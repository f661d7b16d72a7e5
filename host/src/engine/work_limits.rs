//! Bounds on the work one request can cause: blocks per pipeline, bytes of state per run and
//! per job, and the size of a pipeline's state schema. Each refusal names the limit, the
//! setting that changes it and the numbers, before any of the work is done.

use serde_json::{Map, Value, json};

use crate::runtime::Limits;

/// Most field names `accumulated_state_schema` lists over all steps (each step lists every
/// field in the state after it, so the answer grows with steps × fields).
pub const MAX_SCHEMA_FIELD_ENTRIES: u64 = 200_000;

/// A request would cause more work than a limit allows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TooMuchWork {
    /// The pipeline has more blocks than `MAX_PIPELINE_BLOCKS`.
    #[error(
        "the pipeline has {blocks} blocks, above the limit of {limit} blocks per pipeline (MAX_PIPELINE_BLOCKS)"
    )]
    Blocks {
        /// Blocks in the pipeline.
        blocks: usize,
        /// The limit.
        limit: usize,
    },
    /// One state is larger than `MAX_STATE_BYTES`.
    #[error(
        "{what} is {bytes} bytes of JSON, above the limit of {limit} bytes per state (MAX_STATE_BYTES)"
    )]
    State {
        /// Which state: `the request body`, `seed 3`...
        what: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A state through the pipeline's blocks would pass `MAX_RUN_STATE_BYTES`.
    #[error(
        "{what} of {bytes} bytes through {blocks} blocks makes at least {total} bytes of state in one run, above the limit of {limit} bytes per run (MAX_RUN_STATE_BYTES)"
    )]
    RunState {
        /// Which state.
        what: String,
        /// Its size.
        bytes: u64,
        /// Blocks of the pipeline.
        blocks: usize,
        /// `bytes × blocks`.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// The seeds' states times their repetitions pass `MAX_JOB_STATE_BYTES`.
    #[error(
        "the seed file plans {bytes} bytes of initial state over its {runs} runs, above the limit of {limit} bytes per job (MAX_JOB_STATE_BYTES)"
    )]
    JobState {
        /// Each seed's state size times its repetitions, summed.
        bytes: u64,
        /// Runs planned.
        runs: u64,
        /// The limit.
        limit: u64,
    },
    /// The state schema would list more field names than [`MAX_SCHEMA_FIELD_ENTRIES`].
    #[error(
        "the pipeline's state schema would list {entries} field names over its steps, above the limit of {limit}"
    )]
    SchemaEntries {
        /// Field names over all steps.
        entries: u64,
        /// The limit.
        limit: u64,
    },
}

impl TooMuchWork {
    /// The numbers, for an API error's `detail`.
    pub fn detail(&self) -> Value {
        match self {
            TooMuchWork::Blocks { blocks, limit } => {
                json!({"blocks": blocks, "limit": limit, "setting": "MAX_PIPELINE_BLOCKS"})
            }
            TooMuchWork::State { what, bytes, limit } => {
                json!({"state": what, "bytes": bytes, "limit": limit, "setting": "MAX_STATE_BYTES"})
            }
            TooMuchWork::RunState {
                what,
                bytes,
                blocks,
                total,
                limit,
            } => json!({"state": what, "bytes": bytes, "blocks": blocks, "total": total,
                        "limit": limit, "setting": "MAX_RUN_STATE_BYTES"}),
            TooMuchWork::JobState { bytes, runs, limit } => {
                json!({"bytes": bytes, "runs": runs, "limit": limit, "setting": "MAX_JOB_STATE_BYTES"})
            }
            TooMuchWork::SchemaEntries { entries, limit } => {
                json!({"entries": entries, "limit": limit})
            }
        }
    }
}

/// Refuses a pipeline of more than `limits.max_pipeline_blocks` blocks.
pub fn check_blocks(blocks: usize, limits: &Limits) -> Result<(), TooMuchWork> {
    if blocks > limits.max_pipeline_blocks {
        return Err(TooMuchWork::Blocks {
            blocks,
            limit: limits.max_pipeline_blocks,
        });
    }
    Ok(())
}

/// Refuses one state of `bytes` (named `what`) larger than `limits.max_state_bytes`, or one
/// that through `blocks` blocks passes `limits.max_run_state_bytes`.
pub fn check_state(
    what: &str,
    bytes: u64,
    blocks: usize,
    limits: &Limits,
) -> Result<(), TooMuchWork> {
    let limit = limits.max_state_bytes as u64;
    if bytes > limit {
        return Err(TooMuchWork::State {
            what: what.to_owned(),
            bytes,
            limit,
        });
    }
    let total = bytes.saturating_mul(blocks as u64);
    if total > limits.max_run_state_bytes {
        return Err(TooMuchWork::RunState {
            what: what.to_owned(),
            bytes,
            blocks,
            total,
            limit: limits.max_run_state_bytes,
        });
    }
    Ok(())
}

/// Checks every seed of a job before any run is planned: each `(state bytes, repetitions)`
/// against [`check_state`] through `blocks` blocks, and their product, summed, against
/// `limits.max_job_state_bytes`.
pub fn check_job_states(
    seeds: impl IntoIterator<Item = (u64, u64)>,
    blocks: usize,
    limits: &Limits,
) -> Result<(), TooMuchWork> {
    let mut check = JobStateCheck::new(blocks, limits);
    for (size, repetitions) in seeds {
        check.add(size, repetitions)?;
    }
    check.finish()
}

/// [`check_job_states`] fed one seed at a time, for a seed file read as a stream.
#[derive(Debug, Clone)]
pub struct JobStateCheck<'a> {
    blocks: usize,
    limits: &'a Limits,
    seeds: u64,
    bytes: u64,
    runs: u64,
}

impl<'a> JobStateCheck<'a> {
    /// A check of a job whose pipeline has `blocks` blocks.
    pub fn new(blocks: usize, limits: &'a Limits) -> Self {
        JobStateCheck {
            blocks,
            limits,
            seeds: 0,
            bytes: 0,
            runs: 0,
        }
    }

    /// The next seed: its state's size and its repetitions.
    pub fn add(&mut self, size: u64, repetitions: u64) -> Result<(), TooMuchWork> {
        self.seeds += 1;
        check_state(
            &format!("seed {}", self.seeds),
            size,
            self.blocks,
            self.limits,
        )?;
        self.bytes = self.bytes.saturating_add(size.saturating_mul(repetitions));
        self.runs = self.runs.saturating_add(repetitions);
        Ok(())
    }

    /// After the last seed: their states over every run against `MAX_JOB_STATE_BYTES`.
    pub fn finish(self) -> Result<(), TooMuchWork> {
        if self.bytes > self.limits.max_job_state_bytes {
            return Err(TooMuchWork::JobState {
                bytes: self.bytes,
                runs: self.runs,
                limit: self.limits.max_job_state_bytes,
            });
        }
        Ok(())
    }
}

/// Bytes of `state` as compact JSON text, counted without making the text.
pub fn state_bytes(state: &Map<String, Value>) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a map of JSON values to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, state);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_pipeline_blocks: 4,
            max_state_bytes: 100,
            max_run_state_bytes: 250,
            max_job_state_bytes: 1000,
            ..Limits::default()
        }
    }

    #[test]
    fn blocks_above_the_limit_are_refused_with_the_numbers() {
        assert_eq!(check_blocks(4, &limits()), Ok(()));
        let err = check_blocks(5, &limits()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the pipeline has 5 blocks, above the limit of 4 blocks per pipeline (MAX_PIPELINE_BLOCKS)"
        );
        assert_eq!(err.detail()["setting"], "MAX_PIPELINE_BLOCKS");
    }

    #[test]
    fn a_state_is_bounded_alone_and_through_the_blocks() {
        assert_eq!(check_state("s", 100, 2, &limits()), Ok(()));
        let err = check_state("the request body", 101, 1, &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                TooMuchWork::State {
                    bytes: 101,
                    limit: 100,
                    ..
                }
            ),
            "{err}"
        );
        let err = check_state("s", 90, 3, &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                TooMuchWork::RunState {
                    total: 270,
                    limit: 250,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("MAX_RUN_STATE_BYTES"), "{err}");
    }

    #[test]
    fn a_job_is_bounded_by_state_times_repetitions() {
        assert_eq!(check_job_states([(50, 10), (100, 5)], 2, &limits()), Ok(()));
        let err = check_job_states([(50, 10), (100, 6)], 2, &limits()).unwrap_err();
        assert_eq!(
            err,
            TooMuchWork::JobState {
                bytes: 1100,
                runs: 16,
                limit: 1000
            }
        );
        let err = check_job_states([(10, 1), (101, 1)], 1, &limits()).unwrap_err();
        assert!(err.to_string().starts_with("seed 2 is 101 bytes"), "{err}");
        // Huge repetitions saturate instead of wrapping.
        assert!(check_job_states([(2, u64::MAX)], 1, &limits()).is_err());
    }

    #[test]
    fn state_bytes_is_the_length_of_the_json_text() {
        let state = json!({"a": "x\"y", "b": [1, 2.5, null]});
        let map = state.as_object().unwrap();
        assert_eq!(state_bytes(map), state.to_string().len() as u64);
    }
}
