//! The pipeline definition: DataGenFlow's `{name, blocks: [{type, config}], constraints}` in
//! JSON or YAML.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::json::json_type;
use crate::usage::Constraints;

/// One step of a pipeline: a block type and its config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlockSpec {
    /// Block type name, e.g. `TextGenerator`.
    #[serde(rename = "type")]
    pub block_type: String,
    /// The block's config object (missing means empty).
    #[serde(default)]
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub config: Map<String, Value>,
}

/// A pipeline: an ordered list of blocks and the budgets that stop a run set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PipelineDefinition)]
pub struct Pipeline {
    /// Display name.
    #[serde(default = "default_name")]
    pub name: String,
    /// Optional description (DataGenFlow templates carry one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The blocks, run in order.
    pub blocks: Vec<BlockSpec>,
    /// Token and time budgets.
    #[serde(default)]
    pub constraints: Constraints,
}

fn default_name() -> String {
    "pipeline".to_owned()
}

/// Why a pipeline definition could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PipelineFormatError {
    /// The file could not be read.
    #[error("cannot read pipeline file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not a valid pipeline definition.
    #[error("invalid pipeline definition in {origin}: {message}")]
    Parse {
        /// File name or `request body`.
        origin: String,
        /// What the parser said, with line and column when known.
        message: String,
    },
}

impl Pipeline {
    /// Reads a pipeline from a `.json`, `.yaml` or `.yml` file (by content when the extension
    /// says neither).
    pub fn from_file(path: &Path) -> Result<Self, PipelineFormatError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineFormatError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses JSON or YAML text (YAML is a superset of JSON, but JSON is tried first for
    /// clearer error messages on JSON input). `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, PipelineFormatError> {
        let parse_error = |message: String| PipelineFormatError::Parse {
            origin: origin.to_owned(),
            message,
        };
        let looks_like_json = text.trim_start().starts_with('{');
        let value: Value = if looks_like_json {
            serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?
        } else {
            serde_norway::from_str(text).map_err(|e| parse_error(e.to_string()))?
        };
        let pipeline: Pipeline = match value {
            // DataGenFlow stores `{name, definition: {blocks}}` for saved pipelines.
            Value::Object(ref map)
                if map.contains_key("definition") && !map.contains_key("blocks") =>
            {
                let mut definition = map.get("definition").cloned().unwrap_or(Value::Null);
                if let (Value::Object(def), Some(name)) = (&mut definition, map.get("name")) {
                    def.entry("name").or_insert_with(|| name.clone());
                }
                serde_json::from_value(definition).map_err(|e| parse_error(e.to_string()))?
            }
            Value::Object(_) => {
                serde_json::from_value(value).map_err(|e| parse_error(e.to_string()))?
            }
            other => {
                return Err(parse_error(format!(
                    "expected an object with `blocks`, found {}",
                    json_type(&other)
                )));
            }
        };
        if pipeline.blocks.is_empty() {
            return Err(parse_error("the pipeline has no blocks".to_owned()));
        }
        Ok(pipeline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yaml_and_json_with_the_same_result() {
        let yaml =
            "name: t\nblocks:\n  - type: TextGenerator\n    config:\n      temperature: 0.5\n";
        let json = r#"{"name": "t", "blocks": [{"type": "TextGenerator", "config": {"temperature": 0.5}}]}"#;
        let a = Pipeline::parse(yaml, "a.yaml").unwrap();
        let b = Pipeline::parse(json, "b.json").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.blocks[0].block_type, "TextGenerator");
    }

    #[test]
    fn accepts_datagenflow_saved_pipeline_shape() {
        let text = r#"{"name": "saved", "definition": {"blocks": [{"type": "FieldMapper"}]}}"#;
        let p = Pipeline::parse(text, "x.json").unwrap();
        assert_eq!(p.name, "saved");
        assert!(p.blocks[0].config.is_empty());
    }

    #[test]
    fn errors_name_the_origin_and_the_problem() {
        let err = Pipeline::parse("name: [unclosed", "bad.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.yaml"), "{err}");
        let err = Pipeline::parse(r#"{"name": "x", "blocks": []}"#, "empty.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no blocks"), "{err}");
        let err = Pipeline::parse("[1, 2]", "list.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("an array"), "{err}");
    }
}
