//! What a seed file asks for, counted seed by seed without keeping the seeds: seeds, runs,
//! bytes of initial state over the runs, and the largest state. Enough to check the runs
//! limit, and to know without a second read that a file passes every state limit.

use super::Seed;
use super::work_limits::{check_state, state_bytes};
use crate::runtime::Limits;

/// A seed file's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedTally {
    /// Seeds (those with `repetitions: 0` included).
    pub seeds: u64,
    /// Runs they plan (before any multiplier).
    pub runs: u64,
    /// Each seed's state (compact JSON bytes) times its repetitions, summed.
    pub state_bytes: u64,
    /// The largest seed's state.
    pub largest_state: u64,
}

impl SeedTally {
    /// Counts one more seed.
    pub fn add(&mut self, seed: &Seed) {
        let size = state_bytes(&seed.metadata);
        let repetitions = u64::from(seed.repetitions);
        self.seeds += 1;
        self.runs = self.runs.saturating_add(repetitions);
        self.state_bytes = self
            .state_bytes
            .saturating_add(size.saturating_mul(repetitions));
        self.largest_state = self.largest_state.max(size);
    }

    /// Whether every seed passes `MAX_STATE_BYTES` and `MAX_RUN_STATE_BYTES` through `blocks`
    /// blocks and their sum passes `MAX_JOB_STATE_BYTES`, as
    /// [`super::work_limits::check_job_states`] would find over the same seeds. When not, that
    /// check over the seeds names the first seed or the sum at fault.
    pub fn passes(&self, blocks: usize, limits: &Limits) -> bool {
        check_state("", self.largest_state, blocks, limits).is_ok()
            && self.state_bytes <= limits.max_job_state_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::work_limits::check_job_states;
    use serde_json::{Map, Value, json};

    fn seed(repetitions: u32, text: &str) -> Seed {
        let mut metadata = Map::new();
        metadata.insert("t".to_owned(), Value::from(text));
        Seed {
            repetitions,
            metadata,
        }
    }

    #[test]
    fn the_tally_passes_exactly_when_the_check_over_every_seed_does() {
        let limits = Limits {
            max_state_bytes: 40,
            max_run_state_bytes: 100,
            max_job_state_bytes: 200,
            ..Limits::default()
        };
        let cases = [
            vec![seed(1, "a"), seed(3, "bb")],
            vec![seed(1, "a"), seed(1, &"x".repeat(40))],
            vec![seed(1, &"x".repeat(25)), seed(1, "a")],
            vec![seed(20, "a")],
            vec![seed(0, "a")],
        ];
        for seeds in cases {
            for blocks in [1, 3] {
                let mut tally = SeedTally::default();
                seeds.iter().for_each(|s| tally.add(s));
                let exact = check_job_states(
                    seeds
                        .iter()
                        .map(|s| (state_bytes(&s.metadata), u64::from(s.repetitions))),
                    blocks,
                    &limits,
                );
                assert_eq!(
                    tally.passes(blocks, &limits),
                    exact.is_ok(),
                    "{seeds:?} {blocks}"
                );
            }
        }
        let mut tally = SeedTally::default();
        tally.add(&seed(2, "a"));
        tally.add(&seed(0, "bb"));
        let size = json!({"t": "a"}).to_string().len() as u64;
        assert_eq!(
            tally,
            SeedTally {
                seeds: 2,
                runs: 2,
                state_bytes: 2 * size,
                largest_state: size + 1
            }
        );
    }
}
