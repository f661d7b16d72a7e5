//! Chat completions through the host's LLM gateway.

use serde_json::Value;

use crate::BlockError;
use crate::bindings::blockforge::block::llm as wit;
use crate::bindings::blockforge::block::types::Usage;

/// Who speaks a [`Message`].
pub use wit::Role;

/// One message of a conversation.
#[derive(Debug, Clone)]
pub struct Message {
    /// Speaker.
    pub role: Role,
    /// Text.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A chat completion request; build with [`ChatRequest::new`] and the setters.
#[derive(Debug, Clone, Default)]
pub struct ChatRequest {
    /// Model name; `None` for the host's default.
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// JSON Schema the answer must follow.
    pub json_schema: Option<Value>,
}

impl ChatRequest {
    /// A request with these messages and the host's defaults for everything else.
    pub fn new(messages: Vec<Message>) -> Self {
        ChatRequest {
            messages,
            ..ChatRequest::default()
        }
    }

    /// Selects a model; an empty name means the default.
    pub fn model(mut self, model: Option<String>) -> Self {
        self.model = model.filter(|m| !m.trim().is_empty());
        self
    }

    /// Sets the temperature.
    pub fn temperature(mut self, temperature: Option<f32>) -> Self {
        self.temperature = temperature;
        self
    }

    /// Sets the token limit.
    pub fn max_tokens(mut self, max_tokens: Option<u32>) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// Asks for an answer following `schema`.
    pub fn json_schema(mut self, schema: Value) -> Self {
        self.json_schema = Some(schema);
        self
    }
}

/// A chat completion answer.
#[derive(Debug, Clone)]
pub struct ChatResponse {
    /// The assistant's text.
    pub content: String,
    /// The model that answered.
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cached prompt tokens.
    pub cached_tokens: u64,
}

/// Runs one chat completion. A failure becomes a [`BlockError`] of class `HostCallFailed`
/// carrying the gateway's message.
pub fn chat(request: ChatRequest) -> Result<ChatResponse, BlockError> {
    let request = wit::ChatRequest {
        model: request.model,
        messages: request
            .messages
            .into_iter()
            .map(|m| wit::Message {
                role: m.role,
                content: m.content,
            })
            .collect(),
        temperature: request.temperature,
        max_tokens: request.max_tokens,
        json_schema: request.json_schema.map(|s| s.to_string()),
    };
    match wit::chat(&request) {
        Ok(response) => {
            let Usage {
                input_tokens,
                output_tokens,
                cached_tokens,
            } = response.usage;
            Ok(ChatResponse {
                content: response.content,
                model: response.model,
                input_tokens,
                output_tokens,
                cached_tokens,
            })
        }
        Err(e) => Err(failed("llm.chat", e)),
    }
}

/// The key of a failed model call's code in a `HostCallFailed` error's detail, the same in the
/// Rust, Python and JavaScript SDKs: `{"llm_error": "rate-limited"}`.
pub const LLM_ERROR_KEY: &str = "llm_error";

/// A failed `llm` or `embeddings` call as the [`BlockError`] every SDK gives: `what failed
/// (code): message`, with the code (as the WIT spells it) under [`LLM_ERROR_KEY`].
pub(crate) fn failed(what: &str, error: wit::LlmError) -> BlockError {
    let code = match error.code {
        wit::LlmErrorCode::BadRequest => "bad-request",
        wit::LlmErrorCode::RateLimited => "rate-limited",
        wit::LlmErrorCode::Unavailable => "unavailable",
        wit::LlmErrorCode::Timeout => "timeout",
        wit::LlmErrorCode::InvalidResponse => "invalid-response",
        wit::LlmErrorCode::Denied => "denied",
    };
    BlockError::host(format!("{what} failed ({code}): {}", error.message))
        .with_detail(serde_json::json!({ LLM_ERROR_KEY: code }))
}
