//! The answer of a delete by name (a model, a dataset): DataGenFlow's `{message, name}`.

use serde::Serialize;

/// What was deleted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    /// What happened.
    pub message: String,
    /// The name deleted.
    pub name: String,
}
