//! The provider seam: the HTTP request a provider module builds, where it goes, and the
//! helpers every provider module reads answers with. The shared send/retry/limit loop
//! (`transport`) never looks inside a body; the provider modules (`openai`, `ollama`,
//! `anthropic`) never send anything. They depend on this module, never the reverse: which
//! module a config's provider name reaches is decided above them, in `providers`.

use serde_json::Value;

use super::LlmError;

/// Where one request goes: the config's base URL and key, and the provider model name.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Base URL as `providers::Provider::base_url` gives it.
    pub base_url: &'a str,
    /// API key, if any.
    pub api_key: Option<&'a str>,
    /// The provider's model identifier.
    pub model: &'a str,
}

impl Target<'_> {
    /// `base_url` + `/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    /// `Authorization: Bearer <key>` when there is a key.
    pub fn bearer(&self) -> Vec<(&'static str, String)> {
        self.api_key
            .map(|key| vec![("authorization", format!("Bearer {key}"))])
            .unwrap_or_default()
    }
}

/// A request as a provider module builds it: a JSON POST.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Full URL.
    pub url: String,
    /// Headers besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: Value,
}

/// An `InvalidResponse` error: `what` is wrong with `answer` (quoted, shortened).
pub(crate) fn invalid(what: impl std::fmt::Display, answer: &Value) -> LlmError {
    LlmError::new(
        super::LlmErrorKind::InvalidResponse,
        format!("{what}: {}", super::truncate(&answer.to_string(), 200)),
    )
}

/// A JSON list of numbers as a vector.
pub(crate) fn vector(value: &Value, answer: &Value) -> Result<Vec<f32>, LlmError> {
    value
        .as_array()
        .ok_or_else(|| invalid("embedding answer: an item has no embedding list", answer))?
        .iter()
        .map(|x| {
            x.as_f64()
                .map(|x| x as f32)
                .ok_or_else(|| invalid("embedding answer: a vector holds a non-number", answer))
        })
        .collect()
}

/// An error unless there is one vector per input.
pub(crate) fn check_count(
    vectors: &[Vec<f32>],
    inputs: usize,
    answer: &Value,
) -> Result<(), LlmError> {
    if vectors.len() == inputs {
        return Ok(());
    }
    Err(invalid(
        format!(
            "embedding answer: {} vectors for {inputs} inputs",
            vectors.len()
        ),
        answer,
    ))
}
