//! The host's view of a block's `describe()`: checked once when the block is loaded.

use serde::Serialize;
use serde_json::Value;

use super::bindings::blockforge::block::types as wit;

/// A host capability a block declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = BlockCapability)]
pub enum Capability {
    /// Chat completions.
    Llm,
    /// Embeddings.
    Embeddings,
    /// Key-value storage.
    Kv,
    /// Outgoing HTTP (contract 0.2.0).
    Http,
}

impl Capability {
    /// The same capability as grants name it.
    pub fn granted_as(self) -> crate::grants::Capability {
        match self {
            Capability::Llm => crate::grants::Capability::Llm,
            Capability::Embeddings => crate::grants::Capability::Embeddings,
            Capability::Kv => crate::grants::Capability::Kv,
            Capability::Http => crate::grants::Capability::Http,
        }
    }
}

/// Transform or multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// One object merged into the state.
    Transform,
    /// First block only; one seed becomes many runs.
    Multiplier,
}

/// A block's description, as `blockforge blocks` and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub config_schema: Value,
    /// Capabilities used.
    pub capabilities: Vec<Capability>,
    /// Transform or multiplier.
    pub kind: BlockKind,
    /// DataGenFlow's flag for multipliers.
    pub is_multiplier: bool,
}

/// Bounds on what `describe()` may return: the host keeps it for as long as the block is
/// loaded and sends it with every block list.
pub mod describe_limits {
    /// Longest display name, in bytes.
    pub const NAME_BYTES: usize = 256;
    /// Longest description, in bytes.
    pub const DESCRIPTION_BYTES: usize = 16 * 1024;
    /// Longest category, in bytes.
    pub const CATEGORY_BYTES: usize = 128;
    /// Most inputs, and most outputs.
    pub const FIELDS: usize = 256;
    /// Longest input or output name, in bytes.
    pub const FIELD_BYTES: usize = 256;
    /// Largest config schema (JSON text), in bytes.
    pub const SCHEMA_BYTES: usize = 256 * 1024;
}

/// Checks the sizes of what `describe()` returned against [`describe_limits`].
fn check_sizes(info: &wit::BlockInfo) -> Result<(), String> {
    use describe_limits as limit;
    let too_long = |what: &str, size: usize, max: usize| {
        Err(format!(
            "describe() returned a {what} of {size} bytes, above the limit of {max} bytes"
        ))
    };
    for (what, size, max) in [
        ("name", info.name.len(), limit::NAME_BYTES),
        (
            "description",
            info.description.len(),
            limit::DESCRIPTION_BYTES,
        ),
        ("category", info.category.len(), limit::CATEGORY_BYTES),
        (
            "config schema",
            info.config_schema.len(),
            limit::SCHEMA_BYTES,
        ),
    ] {
        if size > max {
            return too_long(what, size, max);
        }
    }
    for (what, fields) in [("inputs", &info.inputs), ("outputs", &info.outputs)] {
        if fields.len() > limit::FIELDS {
            return Err(format!(
                "describe() returned {} {what}, above the limit of {}",
                fields.len(),
                limit::FIELDS
            ));
        }
        if let Some(field) = fields.iter().find(|f| f.len() > limit::FIELD_BYTES) {
            return too_long(
                &format!("field name in {what}"),
                field.len(),
                limit::FIELD_BYTES,
            );
        }
    }
    Ok(())
}

impl BlockInfo {
    /// Whether `key` is a declared output (or `*` is declared).
    pub fn allows_output(&self, key: &str) -> bool {
        self.outputs.iter().any(|o| o == "*" || o == key)
    }

    /// Converts and checks what `describe()` returned; also returns the compiled validator of
    /// the config schema (checking the schema is compiling it).
    pub fn from_wit(info: wit::BlockInfo) -> Result<(Self, jsonschema::Validator), String> {
        check_sizes(&info)?;
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
                    wit::Capability::Http => Capability::Http,
                })
                .collect(),
            is_multiplier: kind == BlockKind::Multiplier,
            kind,
        };
        Ok((info, validator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> wit::BlockInfo {
        wit::BlockInfo {
            type_name: "T".to_owned(),
            name: "T".to_owned(),
            description: "d".to_owned(),
            category: "c".to_owned(),
            inputs: vec!["a".to_owned()],
            outputs: vec!["b".to_owned()],
            config_schema: "{}".to_owned(),
            capabilities: Vec::new(),
            kind: wit::BlockKind::Transform,
        }
    }

    #[test]
    fn oversized_descriptions_are_refused_with_the_bound() {
        let huge = |n: usize| "x".repeat(n);
        let schema = format!(r#"{{"description": "{}"}}"#, huge(300 * 1024));
        let cases: Vec<(&str, wit::BlockInfo, &str)> = vec![
            (
                "description",
                wit::BlockInfo {
                    description: huge(30 << 20),
                    ..info()
                },
                "description of 31457280 bytes, above the limit of 16384 bytes",
            ),
            (
                "name",
                wit::BlockInfo {
                    name: huge(1000),
                    ..info()
                },
                "name of 1000 bytes",
            ),
            (
                "category",
                wit::BlockInfo {
                    category: huge(1000),
                    ..info()
                },
                "category of 1000 bytes",
            ),
            (
                "schema",
                wit::BlockInfo {
                    config_schema: schema,
                    ..info()
                },
                "config schema of",
            ),
            (
                "inputs",
                wit::BlockInfo {
                    inputs: vec!["i".to_owned(); 300],
                    ..info()
                },
                "300 inputs, above the limit of 256",
            ),
            (
                "output name",
                wit::BlockInfo {
                    outputs: vec![huge(300)],
                    ..info()
                },
                "field name in outputs of 300 bytes",
            ),
        ];
        for (what, info, expected) in cases {
            let error = BlockInfo::from_wit(info).err().unwrap_or_default();
            assert!(error.contains(expected), "{what}: {error}");
        }
        assert!(BlockInfo::from_wit(info()).is_ok());
    }
}
