//! Jobs without a seed file: a pipeline whose first block is a seeder — a multiplier of
//! category `seeders` that reads no seed field, such as ScenarioSampler — makes its runs from
//! its config alone. Such a job starts from one empty seed, which the seeder expands.

use serde_json::Map;

use super::Seed;
use super::validate::ValidPipeline;
use crate::runtime::BlockKind;

/// The palette category of blocks that make runs.
pub const SEEDERS: &str = "seeders";

/// Why a pipeline needs a seed file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedsNeeded {
    /// The pipeline has no block.
    #[error("a seed file is needed: the pipeline has no block to make runs")]
    Empty,
    /// The first block does not make runs.
    #[error(
        "a seed file is needed: the pipeline's first block, {block_type}, is not a seeder (a multiplier of category `seeders`, such as ScenarioSampler), so nothing would make its runs"
    )]
    NotASeeder {
        /// The first block's type.
        block_type: String,
    },
    /// The first block is a seeder that reads fields of the seed.
    #[error(
        "a seed file is needed: the pipeline's first block, {block_type}, reads {} from each seed",
        quoted(.fields)
    )]
    ReadsSeedFields {
        /// The first block's type.
        block_type: String,
        /// The fields it declares as inputs.
        fields: Vec<String>,
    },
}

/// `a`, `b`: field names as the messages quote them.
fn quoted(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The seeds of a job of `pipeline` without a seed file: one seed with empty metadata and one
/// repetition, or why the pipeline needs a seed file.
pub fn seedless_seeds(pipeline: &ValidPipeline) -> Result<Vec<Seed>, SeedsNeeded> {
    let Some(first) = pipeline.steps.first() else {
        return Err(SeedsNeeded::Empty);
    };
    let info = &first.block.info;
    if info.kind != BlockKind::Multiplier || info.category != SEEDERS {
        return Err(SeedsNeeded::NotASeeder {
            block_type: info.type_name.clone(),
        });
    }
    if !info.inputs.is_empty() {
        return Err(SeedsNeeded::ReadsSeedFields {
            block_type: info.type_name.clone(),
            fields: info.inputs.clone(),
        });
    }
    Ok(vec![Seed {
        repetitions: 1,
        metadata: Map::new(),
    }])
}
