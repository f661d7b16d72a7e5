//! The pricing layer: every answer that comes back from a provider gets its dollar cost from the
//! price table, by the provider and the provider model name the call resolved to.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::prices::PriceTable;
use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmGateway, ResolveModel,
    ResolvedModel,
};
use crate::usage::{Cost, Usage};

/// An [`LlmGateway`] that prices the answers of `inner`.
pub struct PricedGateway<G> {
    inner: G,
    prices: Arc<PriceTable>,
}

impl<G: LlmGateway + ResolveModel> PricedGateway<G> {
    /// Prices `inner`'s answers with `prices`.
    pub fn new(inner: G, prices: Arc<PriceTable>) -> Self {
        PricedGateway { inner, prices }
    }

    /// The cost of a call that reached `target` and was answered by `answered` (the model name
    /// in the provider's answer, tried when the name sent has no price: a dated snapshot).
    fn cost(&self, target: &ResolvedModel, answered: &str, usage: &Usage) -> Cost {
        let price = target
            .model
            .as_deref()
            .and_then(|model| self.prices.price(&target.provider, model))
            .or_else(|| self.prices.price(&target.provider, answered));
        match price {
            Some(price) => Cost::priced(price.cost(usage)),
            None => Cost::unpriced(),
        }
    }
}

impl<G: LlmGateway + ResolveModel> ResolveModel for PricedGateway<G> {
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel {
        self.inner.resolve_chat(requested)
    }

    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel {
        self.inner.resolve_embedding(requested)
    }
}

impl<G: LlmGateway + ResolveModel> LlmGateway for PricedGateway<G> {
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        let target = self.inner.resolve_chat(request.model.as_deref());
        Box::pin(async move {
            let mut answer = self.inner.chat(request).await?;
            answer.usage.cost = self.cost(&target, &answer.model, &answer.usage);
            Ok(answer)
        })
    }

    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        let target = self.inner.resolve_embedding(request.model.as_deref());
        Box::pin(async move {
            let mut answer = self.inner.embed(request).await?;
            answer.usage.cost = self.cost(&target, &answer.model, &answer.usage);
            Ok(answer)
        })
    }
}
