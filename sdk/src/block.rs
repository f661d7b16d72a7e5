//! The [`Block`] trait and the glue between it and the generated bindings.

use serde::de::DeserializeOwned;

use crate::bindings::blockforge::block::types as wit;
use crate::{BlockError, Context, Info, Output};

/// A pipeline block. Implement it on a unit struct and export it with
/// [`export_block!`](crate::export_block).
pub trait Block {
    /// The block's configuration, deserialised from the pipeline definition. Its JSON Schema
    /// (from `schemars`) is what the editor shows and what the host validates against; use
    /// `#[serde(default)]` for optional keys and doc comments for descriptions.
    type Config: DeserializeOwned + schemars::JsonSchema;

    /// Name, description, category, inputs, outputs and capabilities of the block.
    fn info() -> Info;

    /// Run the block once on one run's state.
    fn execute(ctx: Context<Self::Config>) -> Result<Output, BlockError>;
}

/// Builds the WIT `block-info` of `B`: its [`Info`] plus the config schema derived from
/// `B::Config`.
pub fn describe<B: Block>() -> wit::BlockInfo {
    let schema = schemars::schema_for!(B::Config);
    let config_schema = serde_json::to_string(&schema).unwrap_or_else(|_| "{}".to_owned());
    B::info().into_wit(config_schema)
}

/// Parses the WIT context, runs `B::execute` and converts its result back.
pub fn execute<B: Block>(ctx: wit::Context) -> Result<wit::BlockOutput, wit::BlockError> {
    let ctx = Context::<B::Config>::from_wit(ctx).map_err(BlockError::into_wit)?;
    B::execute(ctx)
        .map_err(BlockError::into_wit)?
        .into_wit()
        .map_err(BlockError::into_wit)
}
