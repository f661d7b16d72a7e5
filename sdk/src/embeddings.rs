//! Text embeddings through the host's gateway.

use crate::BlockError;
use crate::bindings::blockforge::block::embeddings as wit;

/// Embeds `inputs` with `model` (`None` for the default) and returns one vector per input.
pub fn embed(model: Option<String>, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, BlockError> {
    let request = wit::EmbedRequest { model, inputs };
    wit::embed(&request)
        .map(|r| r.vectors)
        .map_err(|e| crate::llm::failed("embeddings.embed", e))
}
