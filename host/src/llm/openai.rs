//! An OpenAI-compatible provider (`/chat/completions`, `/embeddings`): OpenAI, vLLM,
//! llama.cpp, LM Studio, Ollama's `/v1`, OpenRouter, Together.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmErrorKind, LlmGateway,
    truncate,
};
use crate::engine::Usage;

/// Where and how to reach one OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Base URL, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. A URL that
    /// already ends in `/chat/completions` is accepted too.
    pub base_url: String,
    /// Bearer token, if the endpoint needs one.
    pub api_key: Option<String>,
    /// Model used when a block names none.
    pub default_model: Option<String>,
    /// Requests in flight at once to this endpoint.
    pub max_concurrency: usize,
    /// Time allowed for one request.
    pub timeout: Duration,
    /// Retries after a 429, a 5xx or a connection failure.
    pub max_retries: u32,
}

impl EndpointConfig {
    /// An endpoint at `base_url` with default limits: 32 concurrent requests, 120 s, 2 retries.
    pub fn new(base_url: impl Into<String>) -> Self {
        EndpointConfig {
            base_url: base_url.into(),
            api_key: None,
            default_model: None,
            max_concurrency: 32,
            timeout: Duration::from_secs(120),
            max_retries: 2,
        }
    }

    fn url(&self, path: &str) -> String {
        let base = self.base_url.trim_end_matches('/');
        let base = base
            .strip_suffix("/chat/completions")
            .or_else(|| base.strip_suffix("/embeddings"))
            .unwrap_or(base);
        format!("{base}/{path}")
    }
}

/// A gateway to one chat endpoint and one embedding endpoint (often the same).
pub struct OpenAiGateway {
    http: reqwest::Client,
    chat: Endpoint,
    embeddings: Endpoint,
}

struct Endpoint {
    config: EndpointConfig,
    permits: Arc<Semaphore>,
}

impl Endpoint {
    fn new(config: EndpointConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_concurrency.max(1)));
        Endpoint { config, permits }
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

/// Longest wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl OpenAiGateway {
    /// A gateway for `chat` and `embeddings` endpoints sharing one connection pool.
    pub fn new(chat: EndpointConfig, embeddings: EndpointConfig) -> Result<Self, LlmError> {
        let http = http_client(chat.max_concurrency.max(embeddings.max_concurrency))?;
        Ok(Self::with_client(http, chat, embeddings))
    }

    /// A gateway on an existing connection pool (several gateways can share one).
    pub fn with_client(
        http: reqwest::Client,
        chat: EndpointConfig,
        embeddings: EndpointConfig,
    ) -> Self {
        OpenAiGateway {
            http,
            chat: Endpoint::new(chat),
            embeddings: Endpoint::new(embeddings),
        }
    }

    async fn post(&self, endpoint: &Endpoint, path: &str, body: &Value) -> Result<Value, LlmError> {
        let url = endpoint.config.url(path);
        let mut attempt = 0;
        loop {
            // The endpoint's permit covers one request, not the backoff after it.
            let permit = endpoint.permits.acquire().await.map_err(|_| {
                LlmError::new(LlmErrorKind::Unavailable, "gateway is shutting down")
            })?;
            let result = self.post_once(&endpoint.config, &url, body).await;
            drop(permit);
            match result {
                Ok(value) => return Ok(value),
                Err(failure) if failure.retryable && attempt < endpoint.config.max_retries => {
                    attempt += 1;
                    let backoff = failure.retry_after.unwrap_or_else(|| {
                        Duration::from_millis(250u64.saturating_mul(1 << attempt.min(8)) / 2)
                    });
                    tracing::debug!(%url, attempt, ?backoff, error = %failure.error, "retrying LLM request");
                    tokio::time::sleep(backoff.min(MAX_RETRY_AFTER)).await;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    async fn post_once(
        &self,
        config: &EndpointConfig,
        url: &str,
        body: &Value,
    ) -> Result<Value, Failure> {
        let mut request = self.http.post(url).timeout(config.timeout).json(body);
        if let Some(key) = config.api_key.as_deref().filter(|k| !k.is_empty()) {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::from_transport(url, e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|secs| secs.is_finite() && *secs >= 0.0)
            .map(Duration::from_secs_f64);
        let text = response
            .text()
            .await
            .map_err(|e| Failure::from_transport(url, e))?;
        if !status.is_success() {
            let message = provider_message(&text);
            let (kind, retryable) = match status.as_u16() {
                429 => (LlmErrorKind::RateLimited, true),
                500..=599 => (LlmErrorKind::Unavailable, true),
                _ => (LlmErrorKind::BadRequest, false),
            };
            return Err(Failure {
                error: LlmError::new(kind, format!("{url} answered {status}: {message}")),
                retryable,
                retry_after,
            });
        }
        serde_json::from_str(&text).map_err(|e| Failure {
            error: LlmError::new(
                LlmErrorKind::InvalidResponse,
                format!(
                    "{url} answered with invalid JSON ({e}): {}",
                    truncate(&text, 200)
                ),
            ),
            retryable: false,
            retry_after: None,
        })
    }
}

struct Failure {
    error: LlmError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn from_transport(url: &str, e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            LlmErrorKind::Timeout
        } else {
            LlmErrorKind::Unavailable
        };
        Failure {
            error: LlmError::new(kind, format!("request to {url} failed: {e}")),
            retryable: true,
            retry_after: None,
        }
    }
}

/// The `error.message` of an OpenAI-style error body, or the body itself.
fn provider_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| match v.get("error") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(error) => error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            None => None,
        })
        .unwrap_or_else(|| truncate(body, 500).to_owned())
}

fn resolve_model(
    requested: Option<String>,
    config: &EndpointConfig,
    what: &str,
) -> Result<String, LlmError> {
    requested
        .filter(|m| !m.trim().is_empty())
        .or_else(|| config.default_model.clone())
        .ok_or_else(|| {
            LlmError::new(
                LlmErrorKind::BadRequest,
                format!("no {what} model: the block names none and no default is configured (set LLM_MODEL)"),
            )
        })
}

fn usage_of(body: &Value) -> Usage {
    let usage = &body["usage"];
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    Usage::tokens(
        count(&usage["prompt_tokens"]),
        count(&usage["completion_tokens"]),
        count(&usage["prompt_tokens_details"]["cached_tokens"]),
    )
}

/// The request body of a chat completion.
pub fn chat_body(model: &str, request: &ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "messages": request.messages,
    });
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(m) = request.max_tokens {
        body["max_tokens"] = json!(m);
    }
    if let Some(schema) = &request.json_schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema},
        });
    }
    body
}

impl LlmGateway for OpenAiGateway {
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        Box::pin(async move {
            let model = resolve_model(request.model.clone(), &self.chat.config, "chat")?;
            let body = chat_body(&model, &request);
            let answer = self.post(&self.chat, "chat/completions", &body).await?;
            let content = match &answer["choices"][0]["message"]["content"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                _ => {
                    return Err(LlmError::new(
                        LlmErrorKind::InvalidResponse,
                        format!(
                            "answer has no choices[0].message.content: {}",
                            truncate(&answer.to_string(), 200)
                        ),
                    ));
                }
            };
            if answer["choices"][0].is_null() {
                return Err(LlmError::new(
                    LlmErrorKind::InvalidResponse,
                    "answer has no choices",
                ));
            }
            Ok(ChatResponse {
                content,
                model: answer["model"].as_str().unwrap_or(&model).to_owned(),
                usage: usage_of(&answer),
            })
        })
    }

    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        Box::pin(async move {
            let model = resolve_model(request.model.clone(), &self.embeddings.config, "embedding")?;
            let body = json!({"model": model, "input": request.inputs});
            let answer = self.post(&self.embeddings, "embeddings", &body).await?;
            let invalid = |what: &str| {
                LlmError::new(
                    LlmErrorKind::InvalidResponse,
                    format!("embedding answer: {what}"),
                )
            };
            let data = answer["data"]
                .as_array()
                .ok_or_else(|| invalid("no `data` list"))?;
            let mut indexed = Vec::with_capacity(data.len());
            for (position, item) in data.iter().enumerate() {
                let index = item["index"].as_u64().map_or(position, |i| i as usize);
                let vector = item["embedding"]
                    .as_array()
                    .ok_or_else(|| invalid("an item has no `embedding` list"))?
                    .iter()
                    .map(|x| {
                        x.as_f64()
                            .map(|x| x as f32)
                            .ok_or_else(|| invalid("a vector holds a non-number"))
                    })
                    .collect::<Result<Vec<f32>, _>>()?;
                indexed.push((index, vector));
            }
            indexed.sort_by_key(|(index, _)| *index);
            let in_order = indexed
                .iter()
                .enumerate()
                .all(|(i, (index, _))| i == *index);
            if !in_order {
                return Err(invalid("the `index` fields are not 0..n, one per input"));
            }
            if indexed.len() != request.inputs.len() {
                return Err(invalid(&format!(
                    "{} vectors for {} inputs",
                    indexed.len(),
                    request.inputs.len()
                )));
            }
            Ok(EmbedResponse {
                vectors: indexed.into_iter().map(|(_, v)| v).collect(),
                model: answer["model"].as_str().unwrap_or(&model).to_owned(),
                usage: usage_of(&answer),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_accept_base_or_full_path() {
        let c = EndpointConfig::new("http://h:1/v1/");
        assert_eq!(c.url("chat/completions"), "http://h:1/v1/chat/completions");
        let c = EndpointConfig::new("http://h:1/v1/chat/completions");
        assert_eq!(c.url("chat/completions"), "http://h:1/v1/chat/completions");
        assert_eq!(c.url("embeddings"), "http://h:1/v1/embeddings");
    }

    #[test]
    fn chat_body_carries_schema_as_response_format() {
        let request = ChatRequest {
            messages: vec![super::super::ChatMessage {
                role: super::super::Role::User,
                content: "hi".into(),
            }],
            temperature: Some(0.5),
            json_schema: Some(json!({"type": "object"})),
            ..ChatRequest::default()
        };
        let body = chat_body("m", &request);
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(
            body["response_format"]["json_schema"]["schema"]["type"],
            "object"
        );
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn provider_messages_are_extracted() {
        assert_eq!(
            provider_message(r#"{"error": {"message": "bad model"}}"#),
            "bad model"
        );
        assert_eq!(provider_message(r#"{"error": "nope"}"#), "nope");
        assert_eq!(provider_message("plain"), "plain");
    }
}
