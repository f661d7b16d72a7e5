//! The response cache: a chat answer kept under a SHA-256 of everything that decides it
//! (provider, endpoint, the provider model name the router resolved, messages, temperature,
//! max_tokens, JSON schema), so rerunning a pipeline does not pay again for calls it already
//! made. The answers live in a [`ResponseStore`]: the database for the server and workers (kept
//! across restarts, shared by workers), memory or a SQLite file for the CLI.
//!
//! What a job lets the cache do is its [`CacheMode`]. A hit makes no provider call; its usage
//! counts the original call's input and output tokens as `cached_tokens` (input and output 0),
//! costs nothing and counts one `cache_hits`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, LlmError, LlmGateway, ResolveModel,
    ResolvedModel, StorageError,
};
use crate::usage::{Cost, Usage};

/// What a job lets the response cache do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheMode {
    /// The default: read and write only requests at temperature 0 (a block's default
    /// temperature, 0.7, asks for variety, which a cache would take away).
    #[default]
    Auto,
    /// Read and write at every temperature.
    On,
    /// Read at every temperature, never write.
    ReadOnly,
    /// Neither read nor write.
    Off,
}

impl CacheMode {
    /// The name used in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheMode::Auto => "auto",
            CacheMode::On => "on",
            CacheMode::ReadOnly => "read-only",
            CacheMode::Off => "off",
        }
    }

    /// Whether a request at `temperature` may be answered from the cache.
    pub fn reads(self, temperature: Option<f32>) -> bool {
        match self {
            CacheMode::Auto => temperature == Some(0.0),
            CacheMode::On | CacheMode::ReadOnly => true,
            CacheMode::Off => false,
        }
    }

    /// Whether the answer to a request at `temperature` may be kept.
    pub fn writes(self, temperature: Option<f32>) -> bool {
        match self {
            CacheMode::Auto => temperature == Some(0.0),
            CacheMode::On => true,
            CacheMode::ReadOnly | CacheMode::Off => false,
        }
    }
}

/// A name that is not a cache mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cache must be one of auto, on, off, read-only, not {0:?}")]
pub struct UnknownCacheMode(pub String);

impl std::str::FromStr for CacheMode {
    type Err = UnknownCacheMode;

    /// Exactly one of the documented names, as [`CacheMode::as_str`] writes them: `auto`,
    /// `on`, `read-only`, `off`. Nothing else is guessed at (not `''`, `ON`, `read_only`): a
    /// job that meant to stay off the cache must not silently use it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            CacheMode::Auto,
            CacheMode::On,
            CacheMode::ReadOnly,
            CacheMode::Off,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == text)
        .ok_or_else(|| UnknownCacheMode(text.to_owned()))
    }
}

/// A kept answer: what the provider said and the usage of that original call.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// The assistant's text.
    pub content: String,
    /// The model that answered.
    pub model: String,
    /// Tokens of the original call.
    pub usage: Usage,
}

/// Where kept answers live.
pub trait ResponseStore: Send + Sync + 'static {
    /// The answer kept under `key`.
    fn get<'a>(&'a self, key: &'a str)
    -> BoxFuture<'a, Result<Option<CachedAnswer>, StorageError>>;
    /// Keeps `answer` under `key` (replacing what was there).
    fn put<'a>(
        &'a self,
        key: &'a str,
        answer: &'a CachedAnswer,
    ) -> BoxFuture<'a, Result<(), StorageError>>;
}

/// Answers kept in memory for the life of the process (the CLI without `--cache-db`).
#[derive(Debug, Default)]
pub struct MemoryResponses(Mutex<HashMap<String, CachedAnswer>>);

impl ResponseStore for MemoryResponses {
    fn get<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<CachedAnswer>, StorageError>> {
        let found = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        answer: &'a CachedAnswer,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), answer.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Version of the key's layout: bump it when what goes into the key changes.
const KEY_VERSION: u32 = 1;

/// The cache key of `request` sent to `target`: a hex SHA-256 of every field that decides the
/// answer. `None` when there is no model to send (the call cannot succeed).
pub fn cache_key(target: &ResolvedModel, request: &ChatRequest) -> Option<String> {
    let model = target.model.as_deref()?;
    // A JSON array, not an object: the order of the fields is part of the layout, and the
    // text is the same in every process whatever the map implementation.
    let material = json!([
        KEY_VERSION,
        target.provider,
        target.base_url,
        model,
        request.messages,
        request.temperature,
        request.max_tokens,
        request.json_schema,
    ]);
    Some(hex::encode(Sha256::digest(material.to_string().as_bytes())))
}

/// The usage of an answer served from the cache: the original's input and output tokens as
/// cached tokens, no cost, one hit.
pub fn hit_usage(original: &Usage) -> Usage {
    Usage {
        cached_tokens: original.total(),
        cost: Cost::priced(0),
        cache_hits: 1,
        ..Usage::default()
    }
}

/// An [`LlmGateway`] that answers chat requests from a [`ResponseStore`] when the request's
/// [`CacheMode`] allows, and keeps `inner`'s answers when it allows. Embeddings pass through.
pub struct CachingGateway<G> {
    inner: G,
    responses: Arc<dyn ResponseStore>,
}

impl<G: LlmGateway + ResolveModel> CachingGateway<G> {
    /// Caches `inner`'s chat answers in `responses`.
    pub fn new(inner: G, responses: Arc<dyn ResponseStore>) -> Self {
        CachingGateway { inner, responses }
    }

    async fn lookup(&self, key: &str) -> Option<CachedAnswer> {
        match self.responses.get(key).await {
            Ok(found) => found,
            Err(e) => {
                // A broken cache costs a provider call, never the run.
                tracing::warn!(error = %e, "cannot read the LLM response cache");
                None
            }
        }
    }

    async fn keep(&self, key: &str, answer: &ChatResponse) {
        let kept = CachedAnswer {
            content: answer.content.clone(),
            model: answer.model.clone(),
            usage: Usage::tokens(
                answer.usage.input_tokens,
                answer.usage.output_tokens,
                answer.usage.cached_tokens,
            ),
        };
        if let Err(e) = self.responses.put(key, &kept).await {
            tracing::warn!(error = %e, "cannot write the LLM response cache");
        }
    }
}

impl<G: LlmGateway + ResolveModel> ResolveModel for CachingGateway<G> {
    fn resolve_chat(&self, requested: Option<&str>) -> ResolvedModel {
        self.inner.resolve_chat(requested)
    }

    fn resolve_embedding(&self, requested: Option<&str>) -> ResolvedModel {
        self.inner.resolve_embedding(requested)
    }
}

impl<G: LlmGateway + ResolveModel> LlmGateway for CachingGateway<G> {
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, LlmError>> {
        Box::pin(async move {
            let (reads, writes) = (
                request.cache.reads(request.temperature),
                request.cache.writes(request.temperature),
            );
            let key = if reads || writes {
                cache_key(&self.inner.resolve_chat(request.model.as_deref()), &request)
            } else {
                None
            };
            let Some(key) = key else {
                return self.inner.chat(request).await;
            };
            if reads && let Some(hit) = self.lookup(&key).await {
                return Ok(ChatResponse {
                    content: hit.content,
                    model: hit.model,
                    usage: hit_usage(&hit.usage),
                });
            }
            let answer = self.inner.chat(request).await?;
            if writes {
                self.keep(&key, &answer).await;
            }
            Ok(answer)
        })
    }

    fn embed(&self, request: EmbedRequest) -> BoxFuture<'_, Result<EmbedResponse, LlmError>> {
        self.inner.embed(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatMessage, Role};

    fn target() -> ResolvedModel {
        ResolvedModel {
            config: "gpt".to_owned(),
            provider: "openai".to_owned(),
            base_url: "http://h/v1".to_owned(),
            model: Some("gpt-4o-mini".to_owned()),
        }
    }

    fn message(role: Role, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.to_owned(),
        }
    }

    fn request() -> ChatRequest {
        ChatRequest {
            model: Some("alias".to_owned()),
            messages: vec![message(Role::System, "be brief"), message(Role::User, "hi")],
            temperature: Some(0.0),
            max_tokens: Some(100),
            json_schema: None,
            cache: CacheMode::Auto,
        }
    }

    #[test]
    fn the_key_is_stable_and_fixed_by_its_layout() {
        let key = cache_key(&target(), &request()).unwrap();
        assert_eq!(key, cache_key(&target(), &request()).unwrap());
        assert_eq!(key.len(), 64);
        // The layout is part of the contract: keys written by an earlier start must still hit.
        let expected = hex::encode(Sha256::digest(
            r#"[1,"openai","http://h/v1","gpt-4o-mini",[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],0.0,100,null]"#,
        ));
        assert_eq!(key, expected);
    }

    #[test]
    fn every_field_that_decides_the_answer_changes_the_key() {
        let base = cache_key(&target(), &request()).unwrap();
        let mut swapped = request();
        swapped.messages.reverse();
        let mut changed_role = request();
        changed_role.messages[1].role = Role::Assistant;
        let mut warmer = request();
        warmer.temperature = Some(0.7);
        let mut no_temperature = request();
        no_temperature.temperature = None;
        let mut shorter = request();
        shorter.max_tokens = Some(99);
        let mut schema = request();
        schema.json_schema = Some(json!({"type": "object"}));
        for (what, variant) in [
            ("message order", swapped),
            ("role", changed_role),
            ("temperature", warmer),
            ("absent temperature", no_temperature),
            ("max_tokens", shorter),
            ("json_schema", schema),
        ] {
            assert_ne!(cache_key(&target(), &variant).unwrap(), base, "{what}");
        }
        for (what, other) in [
            (
                "provider",
                ResolvedModel {
                    provider: "ollama".to_owned(),
                    ..target()
                },
            ),
            (
                "endpoint",
                ResolvedModel {
                    base_url: "http://g/v1".to_owned(),
                    ..target()
                },
            ),
            (
                "model",
                ResolvedModel {
                    model: Some("gpt-4o".to_owned()),
                    ..target()
                },
            ),
        ] {
            assert_ne!(cache_key(&other, &request()).unwrap(), base, "{what}");
        }
    }

    #[test]
    fn the_block_alias_and_the_mode_do_not_change_the_key() {
        let base = cache_key(&target(), &request()).unwrap();
        let mut other_alias = request();
        other_alias.model = Some("another-alias".to_owned());
        other_alias.cache = CacheMode::On;
        assert_eq!(cache_key(&target(), &other_alias).unwrap(), base);
        let no_model = ResolvedModel {
            model: None,
            ..target()
        };
        assert_eq!(cache_key(&no_model, &request()), None);
    }

    #[test]
    fn modes_read_and_write_as_documented() {
        let zero = Some(0.0);
        let warm = Some(0.7);
        assert!(CacheMode::Auto.reads(zero) && CacheMode::Auto.writes(zero));
        assert!(!CacheMode::Auto.reads(warm) && !CacheMode::Auto.writes(warm));
        assert!(!CacheMode::Auto.reads(None) && !CacheMode::Auto.writes(None));
        assert!(CacheMode::On.reads(warm) && CacheMode::On.writes(warm));
        assert!(CacheMode::ReadOnly.reads(warm) && !CacheMode::ReadOnly.writes(zero));
        assert!(!CacheMode::Off.reads(zero) && !CacheMode::Off.writes(zero));
        for mode in [
            CacheMode::Auto,
            CacheMode::On,
            CacheMode::ReadOnly,
            CacheMode::Off,
        ] {
            assert_eq!(mode.as_str().parse::<CacheMode>(), Ok(mode));
        }
        assert!("sometimes".parse::<CacheMode>().is_err());
    }

    #[test]
    fn only_the_documented_names_are_cache_modes() {
        for name in [
            "",
            " ",
            "ON",
            "Off",
            "read_only",
            "readonly",
            " on",
            "auto ",
        ] {
            assert_eq!(
                name.parse::<CacheMode>(),
                Err(UnknownCacheMode(name.to_owned())),
                "{name:?}"
            );
        }
        let err = "ON".parse::<CacheMode>().unwrap_err().to_string();
        assert!(err.contains("auto, on, off, read-only"), "{err}");
    }

    #[test]
    fn a_hit_counts_the_original_tokens_as_cached_and_costs_nothing() {
        let usage = hit_usage(&Usage::tokens(12, 30, 4));
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.cached_tokens),
            (0, 0, 42)
        );
        assert_eq!(usage.cost.usd(), Some(0.0));
        assert_eq!(usage.cache_hits, 1);
    }
}
