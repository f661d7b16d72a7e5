//! The `embeddings` import. It shares the `llm` capability's slice and view
//! ([`super::llm::ModelView`]): the same gateway, usage and budget.

use wasmtime::component::Linker;

use super::llm::{ModelView, Models};

/// Defines `embeddings` in `linker`, for every contract version; `view` finds the model
/// capabilities' view in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ModelView<'_>,
) -> wasmtime::Result<()> {
    use crate::runtime::bindings::{since_v0_1_0, since_v0_2_0};
    since_v0_1_0::blockforge::block::embeddings::add_to_linker::<T, Models>(linker, view)?;
    since_v0_2_0::blockforge::block::embeddings::add_to_linker::<T, Models>(linker, view)
}

/// The `Host` impl of `embeddings`, once per contract version (the same shapes under
/// different paths).
macro_rules! versioned {
    ($version:ident) => {
        mod $version {
            use std::time::Instant;

            use super::ModelView;
            use crate::grants::Capability;
            use crate::llm::EmbedRequest;
            use crate::runtime::bindings::$version::blockforge::block::embeddings as wit;
            use crate::runtime::bindings::$version::blockforge::block::llm::LlmError;
            use crate::runtime::imports::llm::$version::{denied, to_wit_error, to_wit_usage};

            impl wit::Host for ModelView<'_> {
                async fn embed(
                    &mut self,
                    request: wit::EmbedRequest,
                ) -> wasmtime::Result<Result<wit::EmbedResponse, LlmError>> {
                    if let Err(e) =
                        self.check_model_call(Capability::Embeddings, request.model.as_deref())
                    {
                        return Ok(Err(denied(e)));
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
                        usage: to_wit_usage(&answer.usage),
                    }))
                }
            }
        }
    };
}

versioned!(since_v0_1_0);
versioned!(since_v0_2_0);
