//! The LLM gateway: every model call a block makes goes through one [`LlmGateway`].
//!
//! The gateway owns endpoints, keys and per-model limits; blocks only name a model.
//! [`routing::ModelRouter`] picks the config a call names, reading the registered configs
//! through [`models::ModelSource`] (the store implements it); a [`client::ModelClient`] per
//! config builds the request with its provider's module ([`openai`], [`ollama`],
//! [`anthropic`], over the [`provider`] seam, picked by [`providers::Provider`]) and sends it
//! through the shared [`transport`] loop, under the config's adaptive concurrency limit
//! ([`limiter`], [`aimd`]) and rate limits ([`rate`]), counting every attempt ([`metrics`],
//! [`journal`]). Layers around the router, each an [`LlmGateway`] itself:
//! [`priced::PricedGateway`] puts the price table's cost on every answer, and
//! [`cache::CachingGateway`] answers repeated requests from the response cache.

pub mod aimd;
pub mod anthropic;
pub mod cache;
pub mod client;
pub mod journal;
pub mod limiter;
pub mod metrics;
pub mod models;
pub mod ollama;
pub mod openai;
pub mod priced;
pub mod prices;
pub mod provider;
pub mod providers;
pub mod queue_time;
pub mod rate;
pub mod retry;
pub mod routing;
pub mod run_lease;
pub mod structured;
pub mod transport;
mod types;

pub use types::{
    ChatMessage, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmErrorKind,
    Role,
};

pub use cache::CacheMode;
pub use client::ResolvedModel;

use futures::future::BoxFuture;

/// A failure of what keeps the gateway's data outside it (the model registry, the response
/// cache), as that implementation reports it; this layer only shows it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StorageError(Box<dyn std::error::Error + Send + Sync>);

impl StorageError {
    /// Wraps the implementation's own error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageError(Box::new(error))
    }
}

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

impl<T: LlmGateway + ?Sized> LlmGateway for std::sync::Arc<T> {
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        (**self).chat(request)
    }

    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        (**self).embed(request)
    }
}

impl<T: ResolveModel + ?Sized> ResolveModel for std::sync::Arc<T> {
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel {
        (**self).resolve_chat(requested)
    }

    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel {
        (**self).resolve_embedding(requested)
    }
}

/// A gateway that can tell, before a call, which provider model it will reach (for cache keys
/// and prices).
pub trait ResolveModel: Send + Sync + 'static {
    /// What a chat call naming `requested` (or none, for the default) reaches.
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel;

    /// What an embedding call naming `requested` (or none) reaches.
    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel;
}
