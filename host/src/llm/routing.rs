//! Routing blocks' model calls: a block's `model` names a registered config, whose provider,
//! endpoint, key, provider model name and limits the call then uses.
//!
//! The routes live in memory and are replaced as a whole ([`ModelRouter::install`]) whenever
//! the registry changes, so a call never queries the database; the limits and counters of a
//! config ([`Metrics`]) outlive the routes. Resolution, per kind:
//! - a registered name → that config;
//! - no name → the registry's default;
//! - `<provider>/<model>` (DataGenFlow's way, e.g. `ollama/llama3`,
//!   `anthropic/claude-3-5-haiku-latest`) → a registered config of that provider (the
//!   default if it is one, else the first by name) with `<model>` as the provider model name;
//!   without one, the provider's endpoint from the environment (`<PROVIDER>_API_BASE`,
//!   `<PROVIDER>_API_KEY`, as litellm reads them; Ollama's usual URL when unset). Only
//!   `ollama/` always resolves so: for `openai/`, `anthropic/` and `gemini/` the environment
//!   must name a key or a base, else the name goes on to the next rule, so router-style names
//!   (OpenRouter's `anthropic/claude-3.5-sonnet`) keep reaching the default endpoint;
//! - another unregistered name → the default config's endpoint and key with that name as the
//!   provider model name (what a block naming a raw model did before the registry existed);
//! - no default (an empty registry, or its default was deleted) → the endpoints of the
//!   environment (`LLM_*`, `EMBEDDING_*`), as before the registry existed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;

use super::client::{EndpointConfig, ModelClient, ResolvedModel, http_client};
use super::metrics::{Metrics, ModelState};
use super::models::{ModelKind, ModelRow, ModelSource};
use super::providers::{PROVIDER_NAMES, Provider};
use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmGateway, ResolveModel,
    StorageError,
};

/// The base URL a config's requests go to: its endpoint normalised for its provider's API,
/// or the provider's usual one when empty.
pub fn base_url(provider: &str, endpoint: &str) -> String {
    Provider::from_name(provider).base_url(provider, endpoint)
}

/// A provider's endpoint and key from the environment, for `<provider>/<model>` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderEnv {
    /// `<PROVIDER>_API_BASE`.
    pub base_url: Option<String>,
    /// `<PROVIDER>_API_KEY`.
    pub api_key: Option<String>,
}

/// The routes of one kind.
#[derive(Default)]
struct KindRoutes {
    named: HashMap<String, Arc<ModelClient>>,
    default: Option<Arc<ModelClient>>,
    /// Per provider name: the config `<provider>/<model>` names use.
    by_provider: HashMap<String, Arc<ModelClient>>,
}

#[derive(Default)]
struct Routes {
    llm: KindRoutes,
    embedding: KindRoutes,
}

impl Routes {
    fn of(&self, kind: ModelKind) -> &KindRoutes {
        match kind {
            ModelKind::Llm => &self.llm,
            ModelKind::Embedding => &self.embedding,
        }
    }
}

/// The environment's configs of one kind.
struct EnvRoutes {
    /// `LLM_*` or `EMBEDDING_*`.
    fallback: Arc<ModelClient>,
    /// Per provider name, for `<provider>/<model>` names without a registered config.
    providers: HashMap<String, Arc<ModelClient>>,
}

/// An [`LlmGateway`] that sends each call to the config the block names.
pub struct ModelRouter {
    http: reqwest::Client,
    /// Limits and timeouts of configs that set none (`LLM_MAX_CONCURRENCY`, `LLM_RPM`, ...).
    defaults: EndpointConfig,
    metrics: Arc<Metrics>,
    llm_env: EnvRoutes,
    embedding_env: EnvRoutes,
    routes: RwLock<Arc<Routes>>,
    /// One reload at a time, so an older snapshot never replaces a newer one.
    reloading: tokio::sync::Mutex<()>,
}

impl ModelRouter {
    /// A router with no registered models: every call goes to the `chat` and `embeddings`
    /// endpoints of the environment (OpenAI-compatible), or for `<provider>/<model>` names to
    /// `providers`. Registered models without limits of their own get those of `chat`.
    pub fn new(
        chat: EndpointConfig,
        embeddings: EndpointConfig,
        providers: &BTreeMap<String, ProviderEnv>,
    ) -> Result<Self, LlmError> {
        let http = http_client(chat.max_concurrency.max(embeddings.max_concurrency))?;
        let metrics = Arc::new(Metrics::default());
        let env_routes = |kind: ModelKind, config: &EndpointConfig| {
            let fallback = client(&http, &metrics, kind, "env", "openai", config);
            let providers = PROVIDER_NAMES
                .iter()
                .filter_map(|&name| {
                    let env = providers.get(name).cloned().unwrap_or_default();
                    if name != "ollama" && env == ProviderEnv::default() {
                        return None;
                    }
                    let config = EndpointConfig {
                        base_url: env.base_url.unwrap_or_default(),
                        api_key: env.api_key,
                        default_model: None,
                        ..chat.clone()
                    };
                    let label = format!("env:{name}");
                    Some((
                        name.to_owned(),
                        client(&http, &metrics, kind, &label, name, &config),
                    ))
                })
                .collect();
            EnvRoutes {
                fallback,
                providers,
            }
        };
        Ok(ModelRouter {
            llm_env: env_routes(ModelKind::Llm, &chat),
            embedding_env: env_routes(ModelKind::Embedding, &embeddings),
            defaults: chat,
            metrics,
            http,
            routes: RwLock::new(Arc::new(Routes::default())),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// The counters and limits of every config.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The endpoint settings of `config`: its own limits, else the router's defaults.
    fn endpoint(&self, config: &ModelRow) -> EndpointConfig {
        let positive = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0);
        EndpointConfig {
            base_url: config.endpoint.clone(),
            api_key: Some(config.api_key.clone()).filter(|k| !k.is_empty()),
            default_model: Some(config.model_name.clone()),
            max_concurrency: positive(config.limits.max_concurrency)
                .map_or(self.defaults.max_concurrency, |v| v as usize),
            rpm: positive(config.limits.rpm).or(self.defaults.rpm),
            tpm: positive(config.limits.tpm).or(self.defaults.tpm),
            ..self.defaults.clone()
        }
    }

    /// A client for a config that is not (yet) registered, with limits and counters of its
    /// own and no retries: what the connection test sends through.
    pub fn unregistered_client(&self, config: &ModelRow, timeout: Duration) -> ModelClient {
        let endpoint = EndpointConfig {
            timeout,
            max_retries: 0,
            ..self.endpoint(config)
        };
        let state = Arc::new(ModelState::new(
            config.kind.as_str(),
            &config.name,
            &config.provider,
            endpoint.limits(),
        ));
        ModelClient::new(self.http.clone(), &config.provider, &endpoint, state)
    }

    /// Replaces the routes with `models` (both kinds). Calls in flight finish on the routes
    /// they started with; every config keeps its limits' state and counters.
    pub fn install(&self, models: &[ModelRow]) {
        let mut routes = Routes::default();
        for config in models {
            let client = client(
                &self.http,
                &self.metrics,
                config.kind,
                &config.name,
                &config.provider,
                &self.endpoint(config),
            );
            let kind = match config.kind {
                ModelKind::Llm => &mut routes.llm,
                ModelKind::Embedding => &mut routes.embedding,
            };
            if config.is_default {
                kind.default = Some(client.clone());
                // The default serves its provider's prefixed names before any other config.
                kind.by_provider
                    .insert(config.provider.clone(), client.clone());
            }
            // `models` is sorted by name: the first of a provider wins.
            kind.by_provider
                .entry(config.provider.clone())
                .or_insert_with(|| client.clone());
            kind.named.insert(config.name.clone(), client);
        }
        let mut current = self.routes.write().unwrap_or_else(|p| p.into_inner());
        *current = Arc::new(routes);
    }

    /// Rereads the registry every `every` (changes made by another process on the same
    /// database); the task runs until it is aborted.
    pub fn spawn_reloader(
        self: &Arc<Self>,
        source: impl ModelSource,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let router = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = router.reload(&source).await {
                    tracing::warn!(error = %e, "cannot reread the model registry");
                }
            }
        })
    }

    /// Reads the registry (both kinds) from `source` and installs it.
    pub async fn reload(&self, source: &dyn ModelSource) -> Result<(), StorageError> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut models = source.models(ModelKind::Llm).await?;
        models.extend(source.models(ModelKind::Embedding).await?);
        self.install(&models);
        Ok(())
    }

    fn routes(&self) -> Arc<Routes> {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The client and the provider model name (`None`: the config's own) for a call of
    /// `kind` naming `requested`.
    fn resolve(
        &self,
        kind: ModelKind,
        requested: Option<String>,
    ) -> (Arc<ModelClient>, Option<String>) {
        let routes = self.routes();
        let registered = routes.of(kind);
        let env = match kind {
            ModelKind::Llm => &self.llm_env,
            ModelKind::Embedding => &self.embedding_env,
        };
        let default = || {
            registered
                .default
                .clone()
                .unwrap_or_else(|| env.fallback.clone())
        };
        let Some(name) = requested.filter(|m| !m.trim().is_empty()) else {
            return (default(), None);
        };
        if let Some(client) = registered.named.get(&name) {
            return (client.clone(), None);
        }
        if let Some((provider, model)) = name.split_once('/')
            && !model.trim().is_empty()
            && let Some(client) = registered
                .by_provider
                .get(provider)
                .or_else(|| env.providers.get(provider))
        {
            return (client.clone(), Some(model.to_owned()));
        }
        (default(), Some(name))
    }
}

impl ModelRouter {
    /// Where a call of `kind` naming `requested` goes (config, provider, base URL, provider
    /// model name), without sending anything: what a response cache keys on.
    pub fn resolved(&self, kind: ModelKind, requested: Option<String>) -> ResolvedModel {
        let (client, model) = self.resolve(kind, requested);
        client.resolved(model)
    }
}

/// The client of config `name` of `kind`, on the shared state of that config.
fn client(
    http: &reqwest::Client,
    metrics: &Metrics,
    kind: ModelKind,
    name: &str,
    provider: &str,
    config: &EndpointConfig,
) -> Arc<ModelClient> {
    let state = metrics.model(kind.as_str(), name, provider, config.limits());
    Arc::new(ModelClient::new(http.clone(), provider, config, state))
}

impl ResolveModel for ModelRouter {
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel {
        self.resolved(ModelKind::Llm, requested.map(str::to_owned))
    }

    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel {
        self.resolved(ModelKind::Embedding, requested.map(str::to_owned))
    }
}

impl LlmGateway for ModelRouter {
    fn chat(&self, mut request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        let (client, model) = self.resolve(ModelKind::Llm, request.model.take());
        request.model = model;
        Box::pin(async move { client.chat(request).await })
    }

    fn embed(&self, mut request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        let (client, model) = self.resolve(ModelKind::Embedding, request.model.take());
        request.model = model;
        Box::pin(async move { client.embed(request).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: ModelKind, name: &str, provider: &str, default: bool) -> ModelRow {
        ModelRow {
            kind,
            name: name.to_owned(),
            provider: provider.to_owned(),
            endpoint: format!("http://{name}:1"),
            api_key: String::new(),
            model_name: format!("{name}-model"),
            dimensions: 0,
            limits: Default::default(),
            is_default: default,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn router(providers: &[(&str, ProviderEnv)]) -> ModelRouter {
        // reqwest is built without a default TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut chat = EndpointConfig::new("http://env:1/v1");
        chat.default_model = Some("env-model".to_owned());
        let providers = providers
            .iter()
            .map(|(name, env)| ((*name).to_owned(), env.clone()))
            .collect();
        ModelRouter::new(chat.clone(), chat, &providers).unwrap()
    }

    /// Each `(requested, config, base URL, model)`: where a chat naming `requested` goes.
    fn check(router: &ModelRouter, cases: &[(&str, &str, &str, &str)]) {
        for (requested, config, base_url, model) in cases {
            let requested = Some((*requested).to_owned()).filter(|r| !r.is_empty());
            let got = router.resolved(ModelKind::Llm, requested.clone());
            assert_eq!(
                (
                    got.config.as_str(),
                    got.base_url.as_str(),
                    got.model.as_deref()
                ),
                (*config, *base_url, Some(*model)),
                "{requested:?}"
            );
        }
    }

    #[test]
    fn names_resolve_to_registered_configs_prefixes_and_the_default() {
        let anthropic_env = ProviderEnv {
            base_url: Some("http://claude-env:1".to_owned()),
            api_key: Some("k".to_owned()),
        };
        let router = router(&[("anthropic", anthropic_env)]);
        // Nothing registered: the environment, and the environment's providers for prefixes;
        // no Gemini variables, so `gemini/pro` is a router-style name for the default.
        check(
            &router,
            &[
                ("", "env", "http://env:1/v1", "env-model"),
                (
                    "ollama/llama3",
                    "env:ollama",
                    "http://localhost:11434",
                    "llama3",
                ),
                (
                    "anthropic/claude",
                    "env:anthropic",
                    "http://claude-env:1",
                    "claude",
                ),
                ("gemini/pro", "env", "http://env:1/v1", "gemini/pro"),
            ],
        );
        router.install(&[
            row(ModelKind::Llm, "a-local", "ollama", false),
            row(ModelKind::Llm, "main", "openai", true),
            row(ModelKind::Llm, "z-local", "ollama", false),
        ]);
        // The first registered Ollama config by name serves `ollama/...`.
        check(
            &router,
            &[
                ("", "main", "http://main:1", "main-model"),
                ("z-local", "z-local", "http://z-local:1", "z-local-model"),
                ("ollama/qwen", "a-local", "http://a-local:1", "qwen"),
                ("gpt-4o", "main", "http://main:1", "gpt-4o"),
            ],
        );
        // Embeddings have routes of their own.
        assert_eq!(router.resolved(ModelKind::Embedding, None).config, "env");
    }

    #[test]
    fn a_config_keeps_its_limits_state_across_reloads() {
        let router = router(&[]);
        let models = [row(ModelKind::Llm, "m", "openai", true)];
        router.install(&models);
        let (first, _) = router.resolve(ModelKind::Llm, None);
        router.install(&models);
        let (second, _) = router.resolve(ModelKind::Llm, None);
        assert!(Arc::ptr_eq(first.state(), second.state()));
    }
}
