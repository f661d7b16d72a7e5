//! The `embeddings` import.

use std::time::Instant;

use super::llm::to_wit_error;
use crate::grants::Capability;
use crate::llm::EmbedRequest;
use crate::runtime::bindings::blockforge::block::embeddings as wit;
use crate::runtime::bindings::blockforge::block::llm::LlmError;
use crate::runtime::bindings::blockforge::block::types::Usage as WitUsage;
use crate::runtime::host_state::HostState;

impl wit::Host for HostState {
    async fn embed(
        &mut self,
        request: wit::EmbedRequest,
    ) -> wasmtime::Result<Result<wit::EmbedResponse, LlmError>> {
        if let Err(e) = self.check_model_call(Capability::Embeddings, request.model.as_deref()) {
            return Ok(Err(e));
        }
        self.check_budget()?;
        let started = Instant::now();
        let llm = self.services.llm.clone();
        let answer = self
            .models
            .journal
            .clone()
            .record(self.queue.clone().scope(llm.embed(EmbedRequest {
                model: request.model,
                inputs: request.inputs,
            })))
            .await;
        self.record_import(started.elapsed());
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
