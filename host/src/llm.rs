//! The LLM gateway: every model call a block makes goes through one [`LlmGateway`].
//!
//! The gateway owns endpoints, keys and per-endpoint limits; blocks only name a model. This
//! module holds the seam ([`LlmGateway`]) and the first provider, an OpenAI-compatible client
//! ([`openai::OpenAiGateway`]); [`routing::ModelRouter`] sends each call to the registered model
//! config the block names.

pub mod openai;
pub mod routing;
pub mod structured;
mod types;

pub use types::{
    ChatMessage, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmErrorKind,
    Role,
};

use futures::future::BoxFuture;

/// The first `max` characters of `text` (cut on a character boundary), for quoting provider
/// answers in errors.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// Where blocks' model calls go. Implementations bound concurrency per endpoint and report
/// usage with every answer.
pub trait LlmGateway: Send + Sync + 'static {
    /// One chat completion.
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>>;

    /// Embeddings of a batch of texts.
    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>>;
}
