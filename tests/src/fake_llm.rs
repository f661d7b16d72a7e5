//! A deterministic fake of the LLM providers on loopback, serving the OpenAI-compatible API
//! (`/v1/chat/completions`, `/v1/embeddings`), Ollama's native one (`/api/chat`,
//! `/api/embed`) and Anthropic's Messages API (`/v1/messages`). Fault injection: failures
//! with status codes and `Retry-After`, stalls past the client's timeout, truncated and
//! non-JSON bodies, schema-violating answers, and a [`Storm`]: a mix of those faults by
//! percentage, decided deterministically per request. It records every request (path,
//! headers, body) and counts requests and the concurrency it saw.
//!
//! Answers are a pure function of the request: plain chat echoes the last user message
//! (`Echo: <text>`), structured chat returns the smallest instance of the requested schema
//! (or a scripted answer chosen by the prompt's text),
//! usage counts whitespace-separated words. Like the real Anthropic API, `/v1/messages`
//! refuses a request without `anthropic-version`, `max_tokens`, or with a `system` role in
//! `messages`; like Ollama, `/api/chat` wants `"stream": false` here (the fake does not stream).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// What the first `fail_first` requests get.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// An error answer with `fail_status` (and `retry_after`).
    #[default]
    Status,
    /// A 200 whose JSON body is cut off mid-way.
    Truncated,
    /// A 200 whose body is an HTML page.
    NotJson,
    /// The normal answer, after this delay (past the client's timeout).
    Stall(Duration),
}

/// A provider in trouble: each request gets a fault with the given chances (in percent, at
/// most 100 in all), else its normal answer. Which request gets which is a pure function of
/// the request's body and how many times the same body came before, so a job meets the same
/// faults whatever order its requests arrive in, and a retry of a request is decided afresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Storm {
    /// Percent answered 429 with `Retry-After: retry_after`.
    pub rate_limited: u32,
    /// The `Retry-After` of those 429s (fractions of a second are sent as decimals).
    pub retry_after: Duration,
    /// Percent answered 500.
    pub server_error: u32,
    /// Percent answered 200 with a body that is not JSON.
    pub invalid_json: u32,
    /// Percent that hang for `hang` before answering (past the client's timeout).
    pub hanging: u32,
    /// How long a hanging request hangs.
    pub hang: Duration,
}

/// What a storm gives one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StormFault {
    RateLimited,
    ServerError,
    InvalidJson,
    Hanging,
}

impl Storm {
    /// The fault of the `nth` request (from 0) with `body`, if any.
    fn fault(&self, body: &[u8], nth: u32) -> Option<StormFault> {
        let mut hasher = Sha256::new();
        hasher.update(body);
        hasher.update(nth.to_le_bytes());
        let digest = hasher.finalize();
        let roll = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) % 100;
        [
            (self.rate_limited, StormFault::RateLimited),
            (self.server_error, StormFault::ServerError),
            (self.invalid_json, StormFault::InvalidJson),
            (self.hanging, StormFault::Hanging),
        ]
        .into_iter()
        .scan(0, |upto, (percent, fault)| {
            *upto += percent;
            Some((*upto, fault))
        })
        .find(|(upto, _)| roll < *upto)
        .map(|(_, fault)| fault)
    }
}

/// How the fake behaves.
#[derive(Debug, Clone, Default)]
pub struct FakeLlmConfig {
    /// Delay before every answer.
    pub latency: Duration,
    /// The first `fail_first` requests get `fault`.
    pub fail_first: u32,
    /// What they get (default: an error status).
    pub fault: Fault,
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
    /// Prompt tokens reported as served from the provider's cache.
    pub cached_tokens: u64,
    /// A mix of faults for every request (after the `fail_first` ones).
    pub storm: Option<Storm>,
    /// Structured answers by prompt: a structured request whose last user message contains
    /// an entry's text gets that entry's value (the first that matches) instead of the
    /// schema's smallest instance. Empty by default.
    pub scripted: Vec<(String, Value)>,
}

impl FakeLlmConfig {
    /// A fake whose first `count` requests answer `status`.
    pub fn failing(count: u32, status: u16) -> Self {
        FakeLlmConfig {
            fail_first: count,
            fail_status: status,
            ..FakeLlmConfig::default()
        }
    }
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

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its path, e.g. `/v1/messages`.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its JSON body.
    pub body: Value,
}

struct Shared {
    config: FakeLlmConfig,
    counters: Counters,
    /// How many times each request body (by its SHA-256) came, for the storm.
    seen: Mutex<HashMap<[u8; 32], u32>>,
    requests: Mutex<Vec<Recorded>>,
    /// Open (`true`, the default): requests are answered; closed: they wait until it opens.
    gate: tokio::sync::watch::Sender<bool>,
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
            seen: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            gate: tokio::sync::watch::Sender::new(true),
        });
        let mut app = Router::new();
        for (path, _, _) in ROUTES {
            app = app.route(path, post(serve));
        }
        let app = app.with_state(shared.clone());
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

    /// Holds every answer from now on (requests are received and counted, then wait) until
    /// [`FakeLlm::release`].
    pub fn hold(&self) {
        self.shared.gate.send_replace(false);
    }

    /// Answers the held requests and every later one.
    pub fn release(&self) {
        self.shared.gate.send_replace(true);
    }

    /// Requests being answered (or held) now.
    pub fn in_flight(&self) -> usize {
        self.shared.counters.in_flight.load(Ordering::SeqCst)
    }

    /// The OpenAI-compatible base URL to give as `LLM_ENDPOINT`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.root_url())
    }

    /// The server's root, the endpoint of a native Ollama or Anthropic config.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The most requests that were in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.shared.counters.max_in_flight.load(Ordering::SeqCst)
    }

    /// Chat requests received, every API (failed ones included).
    pub fn chat_requests(&self) -> u32 {
        self.shared.counters.chat.load(Ordering::SeqCst)
    }

    /// Embedding requests received, every API.
    pub fn embedding_requests(&self) -> u32 {
        self.shared.counters.embeddings.load(Ordering::SeqCst)
    }

    /// The requests received, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Bodies of the requests received, in arrival order.
    pub fn request_bodies(&self) -> Vec<Value> {
        self.requests().into_iter().map(|r| r.body).collect()
    }

    /// Headers of the requests received, in arrival order.
    pub fn request_headers(&self) -> Vec<HeaderMap> {
        self.requests().into_iter().map(|r| r.headers).collect()
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

/// What a route answers: whether it is a chat or an embedding request, and the answer.
type Answer = fn(&Shared, &HeaderMap, Value) -> Response;

/// Every route of the fake.
const ROUTES: [(&str, Api, Answer); 5] = [
    ("/v1/chat/completions", Api::Chat, openai_chat),
    ("/v1/embeddings", Api::Embeddings, openai_embeddings),
    ("/api/chat", Api::Chat, ollama_chat),
    ("/api/embed", Api::Embeddings, ollama_embed),
    ("/v1/messages", Api::Chat, anthropic_messages),
];

/// Which counter a route counts in.
#[derive(Clone, Copy)]
enum Api {
    Chat,
    Embeddings,
}

/// Every route: counts the request and its concurrency, records it, answers an injected fault
/// or the route's answer.
async fn serve(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let Some((_, api, answer)) = ROUTES.iter().find(|(path, _, _)| *path == uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match api {
        Api::Chat => &shared.counters.chat,
        Api::Embeddings => &shared.counters.embeddings,
    }
    .fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(&shared.counters);
    if let Some(failure) = common(&shared, &uri, &headers, &body).await {
        return failure;
    }
    answer(&shared, &headers, body)
}

/// Records the request, waits the latency, and answers an injected fault if one is due.
async fn common(shared: &Shared, uri: &Uri, headers: &HeaderMap, body: &Value) -> Option<Response> {
    if let Ok(mut requests) = shared.requests.lock()
        && requests.len() < KEPT_REQUESTS
    {
        requests.push(Recorded {
            path: uri.path().to_owned(),
            headers: headers.clone(),
            body: body.clone(),
        });
    }
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let _ = shared.gate.subscribe().wait_for(|open| *open).await;
    if !take_one(&shared.counters.failures_left) {
        return match shared.config.storm {
            Some(storm) => storm_fault(shared, &storm, body).await,
            None => None,
        };
    }
    match shared.config.fault {
        Fault::Status => {
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
            Some(response)
        }
        Fault::Truncated => Some(
            (
                [("content-type", "application/json")],
                r#"{"id": "cut", "choices": [{"message": {"content": "hal"#,
            )
                .into_response(),
        ),
        Fault::NotJson => Some(
            (
                [("content-type", "text/html")],
                "<html><body>502 Bad Gateway</body></html>",
            )
                .into_response(),
        ),
        Fault::Stall(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
    }
}

/// The answer of a storm's fault for `body`, if it gets one.
async fn storm_fault(shared: &Shared, storm: &Storm, body: &Value) -> Option<Response> {
    let bytes = body.to_string().into_bytes();
    let key: [u8; 32] = Sha256::digest(&bytes).into();
    let nth = {
        let mut seen = shared.seen.lock().unwrap_or_else(|p| p.into_inner());
        let count = seen.entry(key).or_insert(0);
        *count += 1;
        *count - 1
    };
    match storm.fault(&bytes, nth)? {
        StormFault::RateLimited => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"error": {"message": "storm: slow down", "type": "rate_limit"}})),
            )
                .into_response();
            if let Ok(value) = format!("{}", storm.retry_after.as_secs_f64()).parse() {
                response.headers_mut().insert("retry-after", value);
            }
            Some(response)
        }
        StormFault::ServerError => Some(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": {"message": "storm: internal error", "type": "fake"}})),
            )
                .into_response(),
        ),
        StormFault::InvalidJson => Some(
            (
                [("content-type", "text/html")],
                "<html><body>storm: 502 Bad Gateway</body></html>",
            )
                .into_response(),
        ),
        StormFault::Hanging => {
            tokio::time::sleep(storm.hang).await;
            None
        }
    }
}

/// The prompt's word count and the answer to give: the instance of `schema` when there is one
/// (`{}` while invalid answers are due), else the echo of the last user message.
fn answer_of(shared: &Shared, messages: &[Value], schema: Option<&Value>) -> (u64, Value) {
    let text = |m: &Value| match &m["content"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let prompt_tokens: u64 = messages.iter().map(|m| words(&text(m))).sum();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(text)
        .unwrap_or_default();
    let scripted = shared
        .config
        .scripted
        .iter()
        .find(|(text, _)| last_user.contains(text.as_str()))
        .map(|(_, answer)| answer.clone());
    let answer = match schema {
        Some(_) if take_one(&shared.counters.invalid_left) => json!({}),
        Some(schema) => scripted.unwrap_or_else(|| instance_of(schema)),
        None => json!(
            shared
                .config
                .reply
                .clone()
                .unwrap_or_else(|| format!("Echo: {last_user}"))
        ),
    };
    (prompt_tokens, answer)
}

fn text_of(answer: &Value) -> String {
    match answer {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn messages_of(body: &Value) -> Vec<Value> {
    body["messages"].as_array().cloned().unwrap_or_default()
}

fn openai_chat(shared: &Shared, _headers: &HeaderMap, body: Value) -> Response {
    let schema = &body["response_format"]["json_schema"]["schema"];
    let (prompt_tokens, answer) = answer_of(
        shared,
        &messages_of(&body),
        schema.is_object().then_some(schema),
    );
    // A valid structured answer comes fenced (the host strips fences); an invalid one bare.
    let content = if schema.is_object() && answer != json!({}) {
        format!("```json\n{answer}\n```")
    } else {
        text_of(&answer)
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
            "prompt_tokens_details": {"cached_tokens": shared.config.cached_tokens}
        }
    }))
    .into_response()
}

/// The texts of an embedding request's `input` (a string or a list).
fn inputs_of(body: &Value) -> Vec<String> {
    match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or("").to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

fn openai_embeddings(_shared: &Shared, _headers: &HeaderMap, body: Value) -> Response {
    let inputs = inputs_of(&body);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": vector_of(text)}))
        .collect();
    let tokens: u64 = inputs.iter().map(|t| words(t)).sum();
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
        .into_response()
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}})),
    )
        .into_response()
}

fn ollama_chat(shared: &Shared, _headers: &HeaderMap, body: Value) -> Response {
    if body["stream"] != false {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "the fake does not stream: send \"stream\": false"})),
        )
            .into_response();
    }
    let schema = body.get("format").filter(|f| f.is_object());
    let (prompt_tokens, answer) = answer_of(shared, &messages_of(&body), schema);
    let content = text_of(&answer);
    Json(json!({
        "model": body["model"],
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": true,
        "done_reason": "stop",
        "total_duration": 1000,
        "prompt_eval_count": prompt_tokens,
        "eval_count": words(&content),
    }))
    .into_response()
}

fn ollama_embed(_shared: &Shared, _headers: &HeaderMap, body: Value) -> Response {
    let inputs = inputs_of(&body);
    let embeddings: Vec<Vec<f32>> = inputs.iter().map(|t| vector_of(t)).collect();
    let tokens: u64 = inputs.iter().map(|t| words(t)).sum();
    Json(json!({"model": body["model"], "embeddings": embeddings, "prompt_eval_count": tokens}))
        .into_response()
}

fn anthropic_messages(shared: &Shared, headers: &HeaderMap, body: Value) -> Response {
    if headers.get("anthropic-version").is_none() {
        return bad_request("anthropic-version: header is required");
    }
    if !body["max_tokens"].is_u64() {
        return bad_request("max_tokens: Field required");
    }
    let messages = messages_of(&body);
    if messages
        .iter()
        .any(|m| m["role"] != "user" && m["role"] != "assistant")
    {
        return bad_request(
            "messages: roles must be user or assistant; use the top-level system field",
        );
    }
    let tool = body["tools"]
        .get(0)
        .filter(|_| body["tool_choice"]["type"] == "tool");
    let schema = tool.map(|t| &t["input_schema"]);
    let (prompt_tokens, answer) = answer_of(shared, &messages, schema);
    let system_tokens = body["system"].as_str().map_or(0, words);
    let (content, output_tokens) = match tool {
        Some(tool) => (
            json!([{"type": "tool_use", "id": "toolu_fake", "name": tool["name"], "input": answer}]),
            words(&answer.to_string()),
        ),
        None => {
            let text = text_of(&answer);
            let count = words(&text);
            (json!([{"type": "text", "text": text}]), count)
        }
    };
    Json(json!({
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": if tool.is_some() { "tool_use" } else { "end_turn" },
        "usage": {
            "input_tokens": prompt_tokens + system_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": shared.config.cached_tokens,
            "cache_creation_input_tokens": 0,
        }
    }))
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

/// The cosine similarity of two of the fake's vectors, in f64 (what a block computes from them).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
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
