//! [`BlockError`]: why a block failed its run.

use crate::bindings::blockforge::block::types as wit;

/// Broad class of a block failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The block's config is wrong.
    InvalidConfig,
    /// The state lacks a field or holds a value of the wrong shape.
    InvalidInput,
    /// A host call (LLM, embeddings, kv, template) failed.
    HostCallFailed,
    /// The data failed the block's checks and the block fails the run.
    Rejected,
    /// Anything else.
    Internal,
}

/// A block's failure: a code, a message for a person, and optional JSON detail.
#[derive(Debug, Clone)]
pub struct BlockError {
    /// Broad class of the failure.
    pub code: ErrorCode,
    /// What went wrong, naming the field or value at fault.
    pub message: String,
    /// Optional structured detail (a JSON object), e.g. the raw LLM answer.
    pub detail: Option<serde_json::Value>,
}

impl BlockError {
    /// An error of class `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        BlockError {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// The config is wrong.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    /// The state is missing a field or holds the wrong shape.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// A host call failed.
    pub fn host(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::HostCallFailed, message)
    }

    /// The data failed the block's checks.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Rejected, message)
    }

    /// Anything else.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// Attaches structured detail; it should be a JSON object.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn into_wit(self) -> wit::BlockError {
        wit::BlockError {
            code: match self.code {
                ErrorCode::InvalidConfig => wit::ErrorCode::InvalidConfig,
                ErrorCode::InvalidInput => wit::ErrorCode::InvalidInput,
                ErrorCode::HostCallFailed => wit::ErrorCode::HostCallFailed,
                ErrorCode::Rejected => wit::ErrorCode::Rejected,
                ErrorCode::Internal => wit::ErrorCode::Internal,
            },
            message: self.message,
            detail: self.detail.map(|d| d.to_string()),
        }
    }
}

impl std::fmt::Display for BlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BlockError {}
