//! `FieldMapper`: sets state fields from Jinja expressions. Each value is rendered on its own
//! (DataGenFlow renders the whole mapping as one JSON text and breaks when a value holds quotes
//! or newlines); a rendered value that is valid JSON (a list from `tojson`, a number) is stored
//! parsed.

use blockforge_sdk::prelude::*;

/// Settings of FieldMapper: the fields to set and the Jinja expression of each. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Target field → Jinja expression, as an object or as JSON text of one.
    #[schemars(extend("format" = "json-or-template"))]
    mappings: Value,
}

struct FieldMapper;

fn mappings(config: &Config) -> Result<Map<String, Value>, BlockError> {
    match &config.mappings {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map.clone()),
        Value::String(text) if text.trim().is_empty() => Ok(Map::new()),
        Value::String(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(BlockError::invalid_config("mappings must be a JSON object")),
            Err(e) => Err(BlockError::invalid_config(format!(
                "mappings is not a JSON object: {e}"
            ))),
        },
        _ => Err(BlockError::invalid_config(
            "mappings must be an object of field → template",
        )),
    }
}

impl Block for FieldMapper {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "FieldMapper",
            "Create or overwrite state fields from Jinja expressions",
        )
        .category("utilities")
        .inputs(["*"])
        .outputs(["*"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let mut output = Map::new();
        for (target, expression) in mappings(&ctx.config)? {
            let value = match expression {
                Value::String(source) => {
                    let rendered = ctx.render(&source).map_err(|e| {
                        BlockError::invalid_config(format!("mapping '{target}': {}", e.message))
                    })?;
                    serde_json::from_str(rendered.trim()).unwrap_or(Value::String(rendered))
                }
                literal => literal,
            };
            output.insert(target, value);
        }
        Ok(Output::Object(output))
    }
}

export_block!(FieldMapper);
