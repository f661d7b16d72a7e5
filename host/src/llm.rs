//! The LLM gateway: every model call a block makes goes through one [`LlmGateway`].
//!
//! The gateway owns endpoints, keys and per-model limits; blocks only name a model.
//! [`routing::ModelRouter`] picks the config a call names; a [`client::ModelClient`] per config
//! builds the request with its provider's module ([`openai`], [`ollama`], [`anthropic`],
//! behind [`provider::Provider`]) and sends it through the shared [`transport`] loop, under
//! the config's adaptive concurrency limit ([`limiter`], [`aimd`]) and rate limits ([`rate`]),
//! counting every attempt ([`metrics`], [`journal`]).

pub mod aimd;
pub mod anthropic;
pub mod client;
pub mod journal;
pub mod limiter;
pub mod metrics;
pub mod ollama;
pub mod openai;
pub mod provider;
pub mod rate;
pub mod retry;
pub mod routing;
pub mod structured;
pub mod transport;
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

/// Where blocks' model calls go. Implementations bound concurrency per model and report
/// usage with every answer.
pub trait LlmGateway: Send + Sync + 'static {
    /// One chat completion.
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>>;

    /// Embeddings of a batch of texts.
    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>>;
}
