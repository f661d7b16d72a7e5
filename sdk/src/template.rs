//! Jinja rendering with the host's engine.

use serde::Serialize;

use crate::BlockError;
use crate::bindings::blockforge::block::template as wit;

/// Renders `source` against `context` (anything serialisable to a JSON object).
pub fn render(source: &str, context: &impl Serialize) -> Result<String, BlockError> {
    let context = serde_json::to_string(context)
        .map_err(|e| BlockError::internal(format!("cannot encode template context: {e}")))?;
    wit::render(source, &context).map_err(|e| BlockError::invalid_config(format!("template: {e}")))
}
