//! `JSONValidatorBlock`: parses the JSON in a state field (stripping Markdown code fences) and
//! checks required keys, writing `valid` and `parsed_json`.

use blockforge_sdk::json::strip_code_fence;
use blockforge_sdk::prelude::*;

/// Settings of JSONValidatorBlock: which field holds the JSON and what it must contain. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the JSON (text, or an already parsed object or list).
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Keys the parsed object must have: a list, or JSON text of a list (may use Jinja).
    #[schemars(extend("format" = "json-or-template"))]
    required_fields: Value,
    /// Fail the run when the field is missing or not JSON, instead of setting `valid: false`.
    strict: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
            required_fields: Value::Array(Vec::new()),
            strict: false,
        }
    }
}

struct JsonValidator;

fn required_fields(ctx: &Context<Config>) -> Result<Vec<String>, BlockError> {
    let list = match &ctx.config.required_fields {
        Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Value::String(text) => {
            let rendered = ctx.render(text)?;
            serde_json::from_str(&rendered).map_err(|e| {
                BlockError::invalid_config(format!(
                    "required_fields must be a JSON list of strings: {e}"
                ))
            })?
        }
        other => other.clone(),
    };
    serde_json::from_value(list).map_err(|e| {
        BlockError::invalid_config(format!("required_fields must be a list of strings: {e}"))
    })
}

fn invalid(ctx: &Context<Config>, reason: String) -> Result<Output, BlockError> {
    if ctx.config.strict {
        return Err(BlockError::rejected(reason));
    }
    Ok(Output::new()
        .set("valid", false)
        .set("parsed_json", Value::Null))
}

impl Block for JsonValidator {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "JSONValidatorBlock",
            "Parse and check JSON in a state field; sets `valid` and `parsed_json`",
        )
        .name("JSON Validator")
        .category("validators")
        .inputs(["*"])
        .outputs(["valid", "parsed_json"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let field = ctx.config.field_name.as_str();
        let required = required_fields(&ctx)?;
        let parsed = match ctx.get(field) {
            None | Some(Value::Null) => {
                return invalid(&ctx, format!("state field '{field}' is missing"));
            }
            Some(value @ (Value::Object(_) | Value::Array(_))) => value.clone(),
            Some(Value::String(text)) => match serde_json::from_str(strip_code_fence(text)) {
                Ok(value) => value,
                Err(e) => {
                    return invalid(
                        &ctx,
                        format!("state field '{field}' is not valid JSON: {e}"),
                    );
                }
            },
            Some(other) => other.clone(),
        };
        let missing: Vec<&String> = required
            .iter()
            .filter(|key| parsed.get(key.as_str()).is_none())
            .collect();
        let valid = missing.is_empty();
        if !valid {
            blockforge_sdk::log::info(&format!("missing required fields: {missing:?}"));
        }
        Ok(Output::new().set("valid", valid).set("parsed_json", parsed))
    }
}

export_block!(JsonValidator);
