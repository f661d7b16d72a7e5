//! The providers a model config may name, each mapped to the module that speaks its wire API.
//! The registration sits here, above the provider modules and the seam they share
//! (`provider`), so that neither of those uses the other.

use serde_json::Value;

use super::provider::{HttpRequest, Target};
use super::{ChatRequest, ChatResponse, EmbedResponse, LlmError, anthropic, ollama, openai};

/// The wire API of a model config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `/v1/chat/completions` and `/v1/embeddings`: OpenAI and every compatible server
    /// (vLLM, llama.cpp, LM Studio, OpenRouter, Together, Gemini's OpenAI endpoint).
    OpenAi,
    /// Ollama's native `/api/chat` and `/api/embed`.
    Ollama,
    /// Anthropic's Messages API (`/v1/messages`); no embeddings.
    Anthropic,
}

/// Provider names a model config may carry, as DataGenFlow offers them.
pub const PROVIDER_NAMES: [&str; 4] = ["openai", "anthropic", "gemini", "ollama"];

impl Provider {
    /// The API of the provider named `name`: `ollama` and `anthropic` have their own; every
    /// other name (`openai`, `gemini`, ...) is reached through the OpenAI-compatible API.
    pub fn from_name(name: &str) -> Self {
        match name {
            "ollama" => Provider::Ollama,
            "anthropic" => Provider::Anthropic,
            _ => Provider::OpenAi,
        }
    }

    /// The base URL of a config of provider `name` whose endpoint is `endpoint`: the endpoint
    /// normalised for this API, or the provider's usual URL when it is empty.
    ///
    /// OpenAI-compatible bases end where `/chat/completions` would start (`.../v1`); the
    /// native Ollama and Anthropic bases are the server's root, so an endpoint given with a
    /// trailing `/v1` (or Ollama's `/api`) is accepted and cut back to it.
    pub fn base_url(self, name: &str, endpoint: &str) -> String {
        let endpoint = endpoint.trim().trim_end_matches('/');
        if endpoint.is_empty() {
            return default_base_url(name).to_owned();
        }
        let root = |suffixes: &[&str]| {
            let mut base = endpoint;
            for suffix in suffixes {
                base = base.strip_suffix(suffix).unwrap_or(base);
            }
            base.trim_end_matches('/').to_owned()
        };
        match self {
            Provider::OpenAi => root(&["/chat/completions", "/embeddings"]),
            Provider::Ollama => root(&["/api/chat", "/api/embed", "/api", "/v1"]),
            Provider::Anthropic => root(&["/v1/messages", "/messages", "/v1"]),
        }
    }

    /// The request of one chat completion.
    pub fn chat_request(self, target: &Target<'_>, request: &ChatRequest) -> HttpRequest {
        match self {
            Provider::OpenAi => openai::chat_request(target, request),
            Provider::Ollama => ollama::chat_request(target, request),
            Provider::Anthropic => anthropic::chat_request(target, request),
        }
    }

    /// The completion in a successful answer. `structured` says the request carried a schema.
    pub fn parse_chat(
        self,
        answer: &Value,
        model: &str,
        structured: bool,
    ) -> Result<ChatResponse, LlmError> {
        match self {
            Provider::OpenAi => openai::parse_chat(answer, model),
            Provider::Ollama => ollama::parse_chat(answer, model),
            Provider::Anthropic => anthropic::parse_chat(answer, model, structured),
        }
    }

    /// The request of one embedding batch; an error when the provider has no embeddings.
    pub fn embed_request(
        self,
        target: &Target<'_>,
        inputs: &[String],
    ) -> Result<HttpRequest, LlmError> {
        match self {
            Provider::OpenAi => Ok(openai::embed_request(target, inputs)),
            Provider::Ollama => Ok(ollama::embed_request(target, inputs)),
            Provider::Anthropic => Err(anthropic::no_embeddings(target.model)),
        }
    }

    /// The vectors in a successful answer, checked against the `inputs` count.
    pub fn parse_embed(
        self,
        answer: &Value,
        model: &str,
        inputs: usize,
    ) -> Result<EmbedResponse, LlmError> {
        match self {
            Provider::Ollama => ollama::parse_embed(answer, model, inputs),
            // Anthropic never gets here: `embed_request` refused.
            Provider::OpenAi | Provider::Anthropic => openai::parse_embed(answer, model, inputs),
        }
    }
}

/// The usual base URL of the provider named `name`.
pub fn default_base_url(name: &str) -> &'static str {
    match name {
        "ollama" => "http://localhost:11434",
        "anthropic" => "https://api.anthropic.com",
        "gemini" => "https://generativelanguage.googleapis.com/v1beta/openai",
        _ => "https://api.openai.com/v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_per_api() {
        for (provider, name, endpoint, expected) in [
            (Provider::OpenAi, "openai", "", "https://api.openai.com/v1"),
            (
                Provider::OpenAi,
                "openai",
                "http://h:1/v1/",
                "http://h:1/v1",
            ),
            (
                Provider::OpenAi,
                "openai",
                "http://h:1/v1/chat/completions",
                "http://h:1/v1",
            ),
            (
                Provider::OpenAi,
                "gemini",
                "",
                "https://generativelanguage.googleapis.com/v1beta/openai",
            ),
            (Provider::Ollama, "ollama", "", "http://localhost:11434"),
            (
                Provider::Ollama,
                "ollama",
                "http://gpu:11434/",
                "http://gpu:11434",
            ),
            (
                Provider::Ollama,
                "ollama",
                "http://gpu:11434/v1",
                "http://gpu:11434",
            ),
            (
                Provider::Ollama,
                "ollama",
                "http://gpu:11434/api",
                "http://gpu:11434",
            ),
            (
                Provider::Anthropic,
                "anthropic",
                "",
                "https://api.anthropic.com",
            ),
            (
                Provider::Anthropic,
                "anthropic",
                "https://api.anthropic.com/v1",
                "https://api.anthropic.com",
            ),
        ] {
            assert_eq!(
                provider.base_url(name, endpoint),
                expected,
                "{name} {endpoint:?}"
            );
        }
    }

    #[test]
    fn provider_names_map_to_apis() {
        assert_eq!(Provider::from_name("ollama"), Provider::Ollama);
        assert_eq!(Provider::from_name("anthropic"), Provider::Anthropic);
        assert_eq!(Provider::from_name("gemini"), Provider::OpenAi);
        assert_eq!(Provider::from_name("openai"), Provider::OpenAi);
    }
}
