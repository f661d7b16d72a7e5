//! Pipelines and their execution: the pipeline model and its validation, seed files, one run
//! (blocks in order, state merged, trace recorded) and a run set (runs concurrently, bounded,
//! under constraints).

pub mod call_stats;
pub mod config_numbers;
pub mod expansion;
pub mod fields;
mod pipeline;
pub mod quality;
pub mod record;
pub mod run;
pub mod run_set;
pub mod run_start;
pub mod secret_config;
pub mod seed;
pub mod seed_check;
pub mod seed_reader;
pub mod seed_tally;
pub mod seedless;
mod seeds;
pub mod templates;
pub mod trace_id;
pub mod url_seeds;
pub mod validate;
pub mod work_limits;

pub use pipeline::{BlockSpec, Pipeline, PipelineFormatError};
pub use seeds::{
    MAX_REPETITIONS, Seed, SeedError, parse_seeds_by_name, parse_seeds_csv, parse_seeds_json,
    parse_seeds_jsonl, parse_seeds_markdown, parse_seeds_urls, read_seed_file, seed_format,
    total_runs,
};
// Kept here for the engine's users; they live in the leaf module `usage`.
pub use crate::usage::{
    BudgetSpent, ConstraintHit, Constraints, Cost, JobBudget, ModelUsage, PICODOLLARS_PER_USD,
    Usage,
};
