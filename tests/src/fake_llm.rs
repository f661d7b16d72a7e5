//! A deterministic fake of an OpenAI-compatible provider (`/v1/chat/completions`,
//! `/v1/embeddings`) on loopback: configurable latency, failures with status codes and
//! `Retry-After`, schema-violating answers; it counts requests and the concurrency it saw.
//!
//! Answers are a pure function of the request: plain chat echoes the last user message
//! (`Echo: <text>`), structured chat returns the smallest instance of the requested schema,
//! usage counts whitespace-separated words.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// How the fake behaves.
#[derive(Debug, Clone, Default)]
pub struct FakeLlmConfig {
    /// Delay before every answer.
    pub latency: Duration,
    /// The first `fail_first` requests fail with `fail_status`.
    pub fail_first: u32,
    /// Status of injected failures (default 500).
    pub fail_status: u16,
    /// `Retry-After` header of injected failures, in seconds.
    pub retry_after: Option<u32>,
    /// The first `invalid_structured_first` structured requests get `{}` (violating a schema
    /// with required keys).
    pub invalid_structured_first: u32,
    /// Fixed content for plain chat answers instead of the echo.
    pub reply: Option<String>,
    /// The model name chat answers report instead of the requested one (as OpenAI answers
    /// `gpt-4o` with a dated snapshot such as `gpt-4o-2024-08-06`).
    pub answered_model: Option<String>,
}

#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    chat: AtomicU32,
    embeddings: AtomicU32,
    failures_left: AtomicU32,
    invalid_left: AtomicU32,
}

struct Shared {
    config: FakeLlmConfig,
    counters: Counters,
    requests: Mutex<Vec<(HeaderMap, Value)>>,
}

/// A running fake provider; stops when dropped.
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Most request bodies kept for inspection.
const KEPT_REQUESTS: usize = 20_000;

impl FakeLlm {
    /// Starts a fake on `127.0.0.1` at `port` (0 for any free port).
    pub async fn start_on(port: u16, config: FakeLlmConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            counters: Counters {
                failures_left: AtomicU32::new(config.fail_first),
                invalid_left: AtomicU32::new(config.invalid_structured_first),
                ..Counters::default()
            },
            config,
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeLlm { addr, shared, task })
    }

    /// Starts a fake on a free port.
    pub async fn start(config: FakeLlmConfig) -> Self {
        Self::start_on(0, config)
            .await
            .expect("cannot bind the fake LLM server")
    }

    /// The base URL to give as `LLM_ENDPOINT`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The most requests that were in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.shared.counters.max_in_flight.load(Ordering::SeqCst)
    }

    /// Chat requests received (failed ones included).
    pub fn chat_requests(&self) -> u32 {
        self.shared.counters.chat.load(Ordering::SeqCst)
    }

    /// Embedding requests received.
    pub fn embedding_requests(&self) -> u32 {
        self.shared.counters.embeddings.load(Ordering::SeqCst)
    }

    /// Bodies of the requests received, in arrival order.
    pub fn request_bodies(&self) -> Vec<Value> {
        self.shared
            .requests
            .lock()
            .map(|r| r.iter().map(|(_, b)| b.clone()).collect())
            .unwrap_or_default()
    }

    /// Headers of the requests received, in arrival order.
    pub fn request_headers(&self) -> Vec<HeaderMap> {
        self.shared
            .requests
            .lock()
            .map(|r| r.iter().map(|(h, _)| h.clone()).collect())
            .unwrap_or_default()
    }
}

struct InFlight<'a>(&'a Counters);

impl<'a> InFlight<'a> {
    fn enter(counters: &'a Counters) -> Self {
        let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(counters)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// Word count, the fake's token count.
pub fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

async fn common(shared: &Shared, headers: &HeaderMap, body: &Value) -> Option<Response> {
    if let Ok(mut requests) = shared.requests.lock()
        && requests.len() < KEPT_REQUESTS
    {
        requests.push((headers.clone(), body.clone()));
    }
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    if take_one(&shared.counters.failures_left) {
        let status = StatusCode::from_u16(shared.config.fail_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            Json(json!({"error": {"message": "injected failure", "type": "fake"}})),
        )
            .into_response();
        if let Some(secs) = shared.config.retry_after
            && let Ok(value) = secs.to_string().parse()
        {
            response.headers_mut().insert("retry-after", value);
        }
        return Some(response);
    }
    None
}

async fn chat(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared.counters.chat.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(&shared.counters);
    if let Some(failure) = common(&shared, &headers, &body).await {
        return failure;
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let prompt_tokens: u64 = messages
        .iter()
        .map(|m| words(m["content"].as_str().unwrap_or("")))
        .sum();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let schema = &body["response_format"]["json_schema"]["schema"];
    let content = if schema.is_object() {
        if take_one(&shared.counters.invalid_left) {
            "{}".to_owned()
        } else {
            format!("```json\n{}\n```", instance_of(schema))
        }
    } else {
        shared
            .config
            .reply
            .clone()
            .unwrap_or_else(|| format!("Echo: {last_user}"))
    };
    let model = match &shared.config.answered_model {
        Some(model) => model.clone(),
        None => body["model"].as_str().unwrap_or("fake-model").to_owned(),
    };
    Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": words(&content),
            "total_tokens": prompt_tokens + words(&content),
            "prompt_tokens_details": {"cached_tokens": 0}
        }
    }))
    .into_response()
}

async fn embeddings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared.counters.embeddings.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(&shared.counters);
    if let Some(failure) = common(&shared, &headers, &body).await {
        return failure;
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or("").to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": vector_of(text)}))
        .collect();
    let tokens: u64 = inputs.iter().map(|t| words(t)).sum();
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
        .into_response()
}

/// The fake's embedding of `text`: 8 numbers in [0, 1) from its SHA-256.
pub fn vector_of(text: &str) -> Vec<f32> {
    Sha256::digest(text.as_bytes())
        .chunks(4)
        .take(8)
        .map(|c| c[0] as f32 / 256.0)
        .collect()
}

/// The smallest deterministic instance of a JSON Schema: every property present, one item per
/// array, `example` for strings, the minimum (or 1) for numbers.
pub fn instance_of(schema: &Value) -> Value {
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(first) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return instance_of(first);
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null")
            .to_owned(),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "string".to_owned(),
    };
    match kind.as_str() {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (key, property) in properties {
                    object.insert(key.clone(), instance_of(property));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(1).max(1);
            Value::Array((0..count).map(|_| instance_of(&schema["items"])).collect())
        }
        "integer" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "number" => json!(schema["minimum"].as_f64().unwrap_or(1.5)),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => {
            let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
            let mut text = "example".to_owned();
            while text.len() < min {
                text.push('x');
            }
            json!(text)
        }
    }
}
