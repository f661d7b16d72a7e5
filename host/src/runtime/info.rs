//! The host's view of a block's `describe()`: checked once when the block is loaded.

use serde::Serialize;
use serde_json::Value;

use super::bindings::blockforge::block::types as wit;

/// A host capability a block declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Chat completions.
    Llm,
    /// Embeddings.
    Embeddings,
    /// Key-value storage.
    Kv,
}

/// Transform or multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// One object merged into the state.
    Transform,
    /// First block only; one seed becomes many runs.
    Multiplier,
}

/// A block's description, as `blockforge blocks` and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct BlockInfo {
    /// Type name used in pipelines.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Display name.
    pub name: String,
    /// What the block does.
    pub description: String,
    /// Palette group.
    pub category: String,
    /// State fields read.
    pub inputs: Vec<String>,
    /// State fields written (`*` for any).
    pub outputs: Vec<String>,
    /// JSON Schema of the config.
    pub config_schema: Value,
    /// Capabilities used.
    pub capabilities: Vec<Capability>,
    /// Transform or multiplier.
    pub kind: BlockKind,
    /// DataGenFlow's flag for multipliers.
    pub is_multiplier: bool,
}

impl BlockInfo {
    /// Whether `key` is a declared output (or `*` is declared).
    pub fn allows_output(&self, key: &str) -> bool {
        self.outputs.iter().any(|o| o == "*" || o == key)
    }

    /// Converts and checks what `describe()` returned; also returns the compiled validator of
    /// the config schema (checking the schema is compiling it).
    pub fn from_wit(info: wit::BlockInfo) -> Result<(Self, jsonschema::Validator), String> {
        let type_name = info.type_name.trim().to_owned();
        let valid_name = !type_name.is_empty()
            && type_name.len() <= 128
            && type_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid_name {
            return Err(format!(
                "describe() returned the type name {:?}; use letters, digits, '_', '-' or '.'",
                info.type_name
            ));
        }
        let config_schema: Value = serde_json::from_str(&info.config_schema)
            .map_err(|e| format!("describe() returned a config schema that is not JSON: {e}"))?;
        if !config_schema.is_object() && !config_schema.is_boolean() {
            return Err(
                "describe() returned a config schema that is not a JSON Schema object".to_owned(),
            );
        }
        let validator = jsonschema::validator_for(&config_schema)
            .map_err(|e| format!("describe() returned an invalid config JSON Schema: {e}"))?;
        let kind = match info.kind {
            wit::BlockKind::Transform => BlockKind::Transform,
            wit::BlockKind::Multiplier => BlockKind::Multiplier,
        };
        let info = BlockInfo {
            name: if info.name.trim().is_empty() {
                type_name.clone()
            } else {
                info.name
            },
            type_name,
            description: info.description,
            category: if info.category.trim().is_empty() {
                "general".to_owned()
            } else {
                info.category
            },
            inputs: info.inputs,
            outputs: info.outputs,
            config_schema,
            capabilities: info
                .capabilities
                .into_iter()
                .map(|c| match c {
                    wit::Capability::Llm => Capability::Llm,
                    wit::Capability::Embeddings => Capability::Embeddings,
                    wit::Capability::Kv => Capability::Kv,
                })
                .collect(),
            is_multiplier: kind == BlockKind::Multiplier,
            kind,
        };
        Ok((info, validator))
    }
}
