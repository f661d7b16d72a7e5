//! Registered model configs as the router reads them (DataGenFlow's `llm_models` and
//! `embedding_models`), and [`ModelSource`], the trait through which it reads them. The store
//! implements it and keeps the rows; this layer never names the store.

use futures::future::BoxFuture;

use super::StorageError;

/// Which registry a model belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A chat model (`/api/llm-models`).
    Llm,
    /// An embedding model (`/api/embedding-models`).
    Embedding,
}

impl ModelKind {
    /// The value of the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Llm => "llm",
            ModelKind::Embedding => "embedding",
        }
    }

    /// How errors name a model of this kind.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Llm => "llm model",
            ModelKind::Embedding => "embedding model",
        }
    }
}

/// A registered model, key in clear (its `Debug` hides the key).
#[derive(Clone, PartialEq, Eq)]
pub struct ModelRow {
    /// Chat or embedding.
    pub kind: ModelKind,
    /// Unique name within its kind; blocks refer to it.
    pub name: String,
    /// `openai`, `anthropic`, `gemini` or `ollama`.
    pub provider: String,
    /// Base URL; empty for the provider's usual one.
    pub endpoint: String,
    /// Bearer key; empty when none.
    pub api_key: String,
    /// The provider's model identifier.
    pub model_name: String,
    /// Vector size of an embedding model (0: unknown); always 0 for chat models.
    pub dimensions: i64,
    /// Limits of its own (`None`: the defaults from `LLM_MAX_CONCURRENCY`, `LLM_RPM`, `LLM_TPM`).
    pub limits: ModelLimitColumns,
    /// Whether this is its kind's default.
    pub is_default: bool,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// What `Debug` shows of an API key: whether there is one, never the key.
pub(crate) fn redacted(key: &str) -> &'static str {
    if key.is_empty() { "" } else { "<redacted>" }
}

impl std::fmt::Debug for ModelRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelRow")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("api_key", &redacted(&self.api_key))
            .field("model_name", &self.model_name)
            .field("dimensions", &self.dimensions)
            .field("limits", &self.limits)
            .field("is_default", &self.is_default)
            .finish_non_exhaustive()
    }
}

/// A model's own limits; `None` is the default (columns `max_concurrency`, `rpm`, `tpm`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelLimitColumns {
    /// Requests in flight at once.
    pub max_concurrency: Option<i64>,
    /// Requests per minute.
    pub rpm: Option<i64>,
    /// Tokens (input + output) per minute.
    pub tpm: Option<i64>,
}

/// Where the router reads the registered models from (the database, in a server or worker).
pub trait ModelSource: Send + Sync + 'static {
    /// Every model of `kind`, by name.
    fn models(&self, kind: ModelKind) -> BoxFuture<'_, Result<Vec<ModelRow>, StorageError>>;
}
