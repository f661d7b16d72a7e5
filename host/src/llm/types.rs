//! Provider-neutral request and response types of the gateway.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::usage::Usage;

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The user's turn.
    User,
    /// The model's turn.
    Assistant,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Speaker.
    pub role: Role,
    /// Text.
    pub content: String,
}

/// `temperature` as JSON with the value it was written as. A block's `f32` widened to `f64`
/// as it is would send `0.699999988079071` for `0.7`; its shortest decimal form read back as
/// an `f64` is `0.7`.
pub fn temperature_json(temperature: f32) -> Value {
    temperature
        .to_string()
        .parse::<f64>()
        .map_or_else(|_| Value::from(f64::from(temperature)), Value::from)
}

/// A chat completion request as a block makes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// Model name; `None` for the default.
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// JSON Schema the answer must follow.
    pub json_schema: Option<Value>,
    /// Whether the response cache may answer it and keep its answer (the job's setting).
    pub cache: super::CacheMode,
}

/// A chat completion answer with its usage.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The assistant's text.
    pub content: String,
    /// The model that answered.
    pub model: String,
    /// Token usage of this call.
    pub usage: Usage,
}

/// An embedding request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbedRequest {
    /// Model name; `None` for the default.
    pub model: Option<String>,
    /// Texts to embed.
    pub inputs: Vec<String>,
}

/// Embedding vectors, one per input, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedResponse {
    /// The vectors.
    pub vectors: Vec<Vec<f32>>,
    /// The model that answered.
    pub model: String,
    /// Token usage.
    pub usage: Usage,
}

/// Class of a failed model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmErrorKind {
    /// The provider refused the request (4xx other than 429) or no model is configured.
    BadRequest,
    /// 429 after the retries.
    RateLimited,
    /// 5xx or connection failure after the retries.
    Unavailable,
    /// No answer in time.
    Timeout,
    /// The answer is not a valid completion.
    InvalidResponse,
    /// Refused by the host.
    Denied,
}

/// A failed model call, with the provider's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct LlmError {
    /// Class of failure.
    pub kind: LlmErrorKind,
    /// What the provider or the host said.
    pub message: String,
}

impl LlmError {
    /// An error of `kind` with `message`.
    pub fn new(kind: LlmErrorKind, message: impl Into<String>) -> Self {
        LlmError {
            kind,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::temperature_json;

    #[test]
    fn a_temperature_keeps_the_decimal_it_was_written_as() {
        for (written, expected) in [(0.7f32, 0.7f64), (0.1, 0.1), (1.3, 1.3), (0.0, 0.0)] {
            assert_eq!(temperature_json(written), serde_json::json!(expected));
        }
        assert_eq!(temperature_json(0.7).to_string(), "0.7");
    }
}
