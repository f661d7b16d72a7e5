//! The `embeddings` import. It shares the `llm` capability's slice and view
//! ([`super::llm::ModelView`]): the same gateway, usage and budget.

use std::time::Instant;

use wasmtime::component::Linker;

use super::llm::{ModelView, Models, to_wit_error};
use crate::grants::Capability;
use crate::llm::EmbedRequest;
use crate::runtime::bindings::blockforge::block::embeddings as wit;
use crate::runtime::bindings::blockforge::block::llm::LlmError;
use crate::runtime::bindings::blockforge::block::types::Usage as WitUsage;

/// Defines `embeddings` in `linker`; `view` finds the model capabilities' view in the store
/// data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ModelView<'_>,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, Models>(linker, view)
}

impl wit::Host for ModelView<'_> {
    async fn embed(
        &mut self,
        request: wit::EmbedRequest,
    ) -> wasmtime::Result<Result<wit::EmbedResponse, LlmError>> {
        if let Err(e) = self.check_model_call(Capability::Embeddings, request.model.as_deref()) {
            return Ok(Err(e));
        }
        self.check_budget()?;
        let started = Instant::now();
        let state = &*self.state;
        let answer = state
            .journal
            .record(state.queue.scope(state.gateway.embed(EmbedRequest {
                model: request.model,
                inputs: request.inputs,
            })))
            .await;
        self.time.record_wait(started.elapsed());
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => return Ok(Err(to_wit_error(e))),
        };
        self.count_usage(&answer.model, &answer.usage);
        Ok(Ok(wit::EmbedResponse {
            vectors: answer.vectors,
            model: answer.model,
            usage: WitUsage {
                input_tokens: answer.usage.input_tokens,
                output_tokens: answer.usage.output_tokens,
                cached_tokens: answer.usage.cached_tokens,
            },
        }))
    }
}
