//! A saved pipeline as the API answers it: the stored row plus DataGenFlow's
//! `first_block_type` and `first_block_is_multiplier`, which its clients read to choose how
//! seeds are given (a multiplier takes a document instead of a seed list).

use serde::Serialize;

use super::AppState;
use crate::runtime::BlockKind;
use crate::store::pipelines::PipelineRow;

/// A pipeline with what its first block is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PipelineView {
    /// The stored pipeline.
    #[serde(flatten)]
    pub pipeline: PipelineRow,
    /// The first block's type name; null for a pipeline without blocks.
    pub first_block_type: Option<String>,
    /// Whether the first block is a multiplier among the blocks loaded now (false for an
    /// unknown type).
    pub first_block_is_multiplier: bool,
}

impl PipelineView {
    /// `pipeline` with its first block looked up among `state`'s blocks.
    pub fn new(state: &AppState, pipeline: PipelineRow) -> Self {
        let first_block_type = pipeline.definition["blocks"][0]["type"]
            .as_str()
            .map(str::to_owned);
        let first_block_is_multiplier = first_block_type
            .as_deref()
            .and_then(|name| state.registry.get(name))
            .is_some_and(|block| block.info.kind == BlockKind::Multiplier);
        PipelineView {
            pipeline,
            first_block_type,
            first_block_is_multiplier,
        }
    }
}
