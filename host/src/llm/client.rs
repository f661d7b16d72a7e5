//! One model config as a gateway: its provider's request shapes, its endpoint and key, and
//! its shared limits and counters, over the shared transport.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::Value;

use super::journal::{self, CallStatus, LlmCall};
use super::metrics::ModelState;
use super::provider::{HttpRequest, Target};
use super::providers::Provider;
use super::transport::{self, RetryPolicy};
use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmErrorKind, LlmGateway,
};
use crate::usage::Usage;

/// Where and how to reach one endpoint, and its limits (its `Debug` hides the key).
#[derive(Clone, PartialEq)]
pub struct EndpointConfig {
    /// Base URL, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. A URL that
    /// already ends in `/chat/completions` is accepted too.
    pub base_url: String,
    /// API key, if the endpoint needs one.
    pub api_key: Option<String>,
    /// Model used when a block names none.
    pub default_model: Option<String>,
    /// Requests in flight at once (the adaptive limit's maximum).
    pub max_concurrency: usize,
    /// Requests per minute, if limited.
    pub rpm: Option<u64>,
    /// Tokens per minute, if limited.
    pub tpm: Option<u64>,
    /// Time allowed for one request.
    pub timeout: Duration,
    /// Retries after a 5xx, a timeout, a connection failure or a body that is not JSON (429s
    /// and 503s with `Retry-After` are retried until the run's deadline); 0: no retry at all.
    pub max_retries: u32,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("base_url", &self.base_url)
            .field(
                "api_key",
                &super::models::redacted(self.api_key.as_deref().unwrap_or_default()),
            )
            .field("default_model", &self.default_model)
            .field("max_concurrency", &self.max_concurrency)
            .field("rpm", &self.rpm)
            .field("tpm", &self.tpm)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl EndpointConfig {
    /// An endpoint at `base_url` with default limits: 32 concurrent requests, no rate limits,
    /// 120 s, 6 retries.
    pub fn new(base_url: impl Into<String>) -> Self {
        EndpointConfig {
            base_url: base_url.into(),
            api_key: None,
            default_model: None,
            max_concurrency: 32,
            rpm: None,
            tpm: None,
            timeout: Duration::from_secs(120),
            max_retries: 6,
        }
    }

    /// The limits part.
    pub fn limits(&self) -> super::metrics::ModelLimits {
        super::metrics::ModelLimits {
            max_concurrency: self.max_concurrency.max(1),
            rpm: self.rpm,
            tpm: self.tpm,
        }
    }
}

/// An HTTP client (connection pool) keeping up to `idle_per_host` idle connections per host.
pub fn http_client(idle_per_host: usize) -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(idle_per_host)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| {
            LlmError::new(
                LlmErrorKind::Unavailable,
                format!("cannot build HTTP client: {e}"),
            )
        })
}

/// A gateway to one model config.
pub struct ModelClient {
    http: reqwest::Client,
    provider: Provider,
    provider_name: String,
    base_url: String,
    api_key: Option<String>,
    default_model: Option<String>,
    policy: RetryPolicy,
    state: Arc<ModelState>,
}

impl ModelClient {
    /// A client for `config` speaking the API of the provider named `provider_name`, counted
    /// and limited by `state`.
    pub fn new(
        http: reqwest::Client,
        provider_name: &str,
        config: &EndpointConfig,
        state: Arc<ModelState>,
    ) -> Self {
        let provider = Provider::from_name(provider_name);
        ModelClient {
            http,
            provider,
            provider_name: provider_name.to_owned(),
            base_url: provider.base_url(provider_name, &config.base_url),
            api_key: config.api_key.clone().filter(|k| !k.is_empty()),
            default_model: config.default_model.clone(),
            policy: RetryPolicy {
                timeout: config.timeout,
                max_retries: config.max_retries,
            },
            state,
        }
    }

    /// The state it is limited and counted by.
    pub fn state(&self) -> &Arc<ModelState> {
        &self.state
    }

    /// Where a call with `requested` as its model would go, without sending anything.
    pub fn resolved(&self, requested: Option<String>) -> ResolvedModel {
        ResolvedModel {
            config: self.state.name().to_owned(),
            provider: self.provider_name.clone(),
            base_url: self.base_url.clone(),
            model: requested
                .filter(|m| !m.trim().is_empty())
                .or_else(|| self.default_model.clone()),
        }
    }

    fn model(&self, requested: Option<String>, what: &str) -> Result<String, LlmError> {
        requested
            .filter(|m| !m.trim().is_empty())
            .or_else(|| self.default_model.clone())
            .ok_or_else(|| {
                LlmError::new(
                    LlmErrorKind::BadRequest,
                    format!("no {what} model: the block names none and no default is configured (set LLM_MODEL)"),
                )
            })
    }

    fn target<'a>(&'a self, model: &'a str) -> Target<'a> {
        Target {
            base_url: &self.base_url,
            api_key: self.api_key.as_deref(),
            model,
        }
    }

    /// Sends `request` (or records why it could not be built), parses the answer, and
    /// counts the call: in the model's metrics, its token rate and the running journal.
    async fn call<T>(
        &self,
        model: &str,
        request: Result<HttpRequest, LlmError>,
        token_estimate: u64,
        parse: impl FnOnce(&Value) -> Result<T, LlmError>,
        usage: impl Fn(&T) -> Usage,
    ) -> Result<T, LlmError> {
        let started = Instant::now();
        self.state.count_request();
        // Entered now and updated per attempt, so a call cut off mid-way still shows what it
        // sent; it stays failed ("cut off") unless it ends below.
        let entry = journal::open(LlmCall {
            model: model.to_owned(),
            provider: self.provider_name.clone(),
            attempts: 0,
            wait_ms: 0,
            rate_wait_ms: 0,
            duration_ms: 0.0,
            status: CallStatus::Failed,
            error: Some(journal::CUT_OFF.to_owned()),
        });
        let (result, sent) = match request {
            Ok(request) => {
                let (answer, sent) = transport::send(
                    &self.http,
                    &self.state,
                    self.policy,
                    &request,
                    token_estimate,
                    &entry,
                )
                .await;
                (answer.and_then(|answer| parse(&answer)), sent)
            }
            Err(refused) => (Err(refused), transport::Sent::default()),
        };
        // What the attempts took from the tokens-per-minute bucket: settled to the real usage
        // when answered, given back when not (a failed attempt used no tokens).
        let settle = |real: u64| {
            if let Some(tokens) = &self.state.rates().tokens {
                tokens.adjust(real as f64 - sent.tokens_taken as f64);
            }
        };
        match &result {
            Ok(answer) => settle(usage(answer).total()),
            Err(e) => {
                settle(0);
                self.state.count_failure(e.kind);
            }
        }
        entry.update(|call| {
            call.attempts = sent.attempts;
            call.wait_ms = u64::try_from(sent.waited.as_millis()).unwrap_or(u64::MAX);
            call.rate_wait_ms = u64::try_from(sent.rate_waited.as_millis()).unwrap_or(u64::MAX);
            call.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            call.status = if result.is_ok() {
                CallStatus::Ok
            } else {
                CallStatus::Failed
            };
            call.error = result.as_ref().err().map(|e| e.message.clone());
        });
        result
    }
}

/// Where a call goes: the config, its provider and base URL, and the provider model name
/// (`None` when the block names none and the config has no default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The config's name (a registered name, `env`, or `env:<provider>`).
    pub config: String,
    /// The config's provider.
    pub provider: String,
    /// The base URL requests go to.
    pub base_url: String,
    /// The provider model name sent.
    pub model: Option<String>,
}

/// A rough count of a text's tokens before the answer tells (about four bytes a token).
fn estimate_tokens<'a>(texts: impl Iterator<Item = &'a str>) -> u64 {
    texts.map(|t| t.len() as u64 / 4 + 1).sum()
}

impl LlmGateway for ModelClient {
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        Box::pin(async move {
            let model = self.model(request.model.clone(), "chat")?;
            let built = self.provider.chat_request(&self.target(&model), &request);
            let estimate = estimate_tokens(request.messages.iter().map(|m| m.content.as_str()));
            let structured = request.json_schema.is_some();
            self.call(
                &model,
                Ok(built),
                estimate,
                |answer| self.provider.parse_chat(answer, &model, structured),
                |answer| answer.usage,
            )
            .await
        })
    }

    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        Box::pin(async move {
            let model = self.model(request.model.clone(), "embedding")?;
            let built = self
                .provider
                .embed_request(&self.target(&model), &request.inputs);
            let estimate = estimate_tokens(request.inputs.iter().map(String::as_str));
            let inputs = request.inputs.len();
            self.call(
                &model,
                built,
                estimate,
                |answer| self.provider.parse_embed(answer, &model, inputs),
                |answer| answer.usage,
            )
            .await
        })
    }
}
