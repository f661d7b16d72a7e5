//! Routing blocks' model calls through the model registry: a block's `model` names a
//! registered config, whose endpoint, key and provider model name the call then uses.
//!
//! The routes live in memory and are replaced as a whole ([`ModelRouter::install`]) whenever
//! the registry changes, so a call never queries the database. Resolution, per kind:
//! - a registered name → that config;
//! - no name → the registry's default;
//! - an unregistered name → the default config's endpoint and key with that name as the
//!   provider model name (what a block naming a raw model did before the registry existed);
//! - no default (an empty registry, or its default was deleted) → the endpoints of the
//!   environment (`LLM_*`, `EMBEDDING_*`), as before the registry existed.
//!
//! Every provider is reached through its OpenAI-compatible API for now; the provider is stored
//! so native clients (Ollama, Anthropic) can take over later.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;

use super::openai::{EndpointConfig, OpenAiGateway};
use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmGateway, ResolveModel,
    ResolvedModel,
};
use crate::store::models::{ModelKind, ModelRow};
use crate::store::{Store, StoreError};

/// The OpenAI-compatible base URL of a config: its endpoint, or the provider's default when
/// empty. An Ollama endpoint given without a path (`http://localhost:11434`) gets `/v1`.
pub fn base_url(provider: &str, endpoint: &str) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.is_empty() {
        return match provider {
            "ollama" => "http://localhost:11434/v1",
            "anthropic" => "https://api.anthropic.com/v1",
            "gemini" => "https://generativelanguage.googleapis.com/v1beta/openai",
            _ => "https://api.openai.com/v1",
        }
        .to_owned();
    }
    let has_path = endpoint
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if provider == "ollama" && !has_path {
        return format!("{endpoint}/v1");
    }
    endpoint.to_owned()
}

/// A registered config's gateway and what it reaches.
#[derive(Clone)]
struct Route {
    gateway: Arc<OpenAiGateway>,
    target: ResolvedModel,
}

#[derive(Default)]
struct Routes {
    llm: HashMap<String, Route>,
    default_llm: Option<Route>,
    embedding: HashMap<String, Route>,
    default_embedding: Option<Route>,
}

/// An [`LlmGateway`] that sends each call to the registered config the block names.
pub struct ModelRouter {
    http: reqwest::Client,
    limits: EndpointConfig,
    fallback: OpenAiGateway,
    /// What the fallback reaches: the environment's chat and embedding endpoints.
    fallback_targets: [ResolvedModel; 2],
    routes: RwLock<Arc<Routes>>,
    /// One reload at a time, so an older snapshot never replaces a newer one.
    reloading: tokio::sync::Mutex<()>,
}

impl ModelRouter {
    /// A router with no registered models: every call goes to the `chat` and `embeddings`
    /// endpoints of the environment. Registered models get the limits of `chat`.
    pub fn new(chat: EndpointConfig, embeddings: EndpointConfig) -> Result<Self, LlmError> {
        let http =
            super::openai::http_client(chat.max_concurrency.max(embeddings.max_concurrency))?;
        // The environment's endpoints (`LLM_*`, `EMBEDDING_*`) are OpenAI-compatible.
        let target = |config: &EndpointConfig| ResolvedModel {
            provider: "openai".to_owned(),
            endpoint: config.base_url.clone(),
            model: config.default_model.clone(),
        };
        Ok(ModelRouter {
            fallback_targets: [target(&chat), target(&embeddings)],
            fallback: OpenAiGateway::with_client(http.clone(), chat.clone(), embeddings),
            limits: chat,
            http,
            routes: RwLock::new(Arc::new(Routes::default())),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// The endpoint settings of `config`, with the router's limits.
    fn endpoint(&self, config: &ModelRow) -> EndpointConfig {
        EndpointConfig {
            base_url: base_url(&config.provider, &config.endpoint),
            api_key: Some(config.api_key.clone()).filter(|k| !k.is_empty()),
            default_model: Some(config.model_name.clone()),
            ..self.limits.clone()
        }
    }

    fn gateway(&self, endpoint: EndpointConfig) -> Arc<OpenAiGateway> {
        Arc::new(OpenAiGateway::with_client(
            self.http.clone(),
            endpoint.clone(),
            endpoint,
        ))
    }

    /// Replaces the routes with `models` (both kinds). Calls in flight finish on the routes
    /// they started with.
    pub fn install(&self, models: &[ModelRow]) {
        let mut routes = Routes::default();
        for config in models {
            let endpoint = self.endpoint(config);
            let route = Route {
                target: ResolvedModel {
                    provider: config.provider.clone(),
                    endpoint: endpoint.base_url.clone(),
                    model: endpoint.default_model.clone(),
                },
                gateway: self.gateway(endpoint),
            };
            let (named, default) = match config.kind {
                ModelKind::Llm => (&mut routes.llm, &mut routes.default_llm),
                ModelKind::Embedding => (&mut routes.embedding, &mut routes.default_embedding),
            };
            if config.is_default {
                *default = Some(route.clone());
            }
            named.insert(config.name.clone(), route);
        }
        let mut current = self.routes.write().unwrap_or_else(|p| p.into_inner());
        *current = Arc::new(routes);
    }

    /// Rereads the registry every `every` (changes made by another process on the same
    /// database); the task runs until it is aborted.
    pub fn spawn_reloader(
        self: &Arc<Self>,
        store: Store,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let router = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = router.reload(&store).await {
                    tracing::warn!(error = %e, "cannot reread the model registry");
                }
            }
        })
    }

    /// Reads the registry (both kinds) from `store` and installs it.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut models = store.models(ModelKind::Llm).await?;
        models.extend(store.models(ModelKind::Embedding).await?);
        self.install(&models);
        Ok(())
    }

    fn routes(&self) -> Arc<Routes> {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The route and the model name to send for a call naming `requested`.
fn resolve(
    named: &HashMap<String, Route>,
    default: &Option<Route>,
    requested: Option<String>,
) -> (Option<Route>, Option<String>) {
    match requested.filter(|m| !m.trim().is_empty()) {
        Some(name) => match named.get(&name) {
            Some(route) => (Some(route.clone()), None),
            None => (default.clone(), Some(name)),
        },
        None => (default.clone(), None),
    }
}

/// What a call naming `requested` reaches: its route's target (with the unregistered name
/// sent as the model) or, without a route, the environment's `fallback`.
fn resolve_target(
    named: &HashMap<String, Route>,
    default: &Option<Route>,
    requested: Option<&str>,
    fallback: &ResolvedModel,
) -> ResolvedModel {
    let (route, model) = resolve(named, default, requested.map(str::to_owned));
    let target = route.map_or_else(|| fallback.clone(), |route| route.target);
    ResolvedModel {
        model: model.or(target.model),
        ..target
    }
}

impl ResolveModel for ModelRouter {
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel {
        let routes = self.routes();
        resolve_target(
            &routes.llm,
            &routes.default_llm,
            requested,
            &self.fallback_targets[0],
        )
    }

    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel {
        let routes = self.routes();
        resolve_target(
            &routes.embedding,
            &routes.default_embedding,
            requested,
            &self.fallback_targets[1],
        )
    }
}

impl LlmGateway for ModelRouter {
    fn chat(&self, mut request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        let routes = self.routes();
        let (route, model) = resolve(&routes.llm, &routes.default_llm, request.model.take());
        request.model = model;
        Box::pin(async move {
            match route {
                Some(route) => route.gateway.chat(request).await,
                None => self.fallback.chat(request).await,
            }
        })
    }

    fn embed(&self, mut request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        let routes = self.routes();
        let (route, model) = resolve(
            &routes.embedding,
            &routes.default_embedding,
            request.model.take(),
        );
        request.model = model;
        Box::pin(async move {
            match route {
                Some(route) => route.gateway.embed(request).await,
                None => self.fallback.embed(request).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_default_per_provider_and_ollama_gets_v1() {
        assert_eq!(base_url("openai", ""), "https://api.openai.com/v1");
        assert_eq!(base_url("ollama", ""), "http://localhost:11434/v1");
        assert_eq!(
            base_url("ollama", "http://gpu:11434/"),
            "http://gpu:11434/v1"
        );
        assert_eq!(
            base_url("ollama", "http://gpu:11434/v1"),
            "http://gpu:11434/v1"
        );
        assert_eq!(base_url("openai", "http://h:1/v1/"), "http://h:1/v1");
        assert_eq!(base_url("openai", "http://h:1"), "http://h:1");
    }
}
