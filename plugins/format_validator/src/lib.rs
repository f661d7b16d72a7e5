//! `FormatValidator`: checks a state field against a JSON Schema given in the config, or
//! against one of the chat and instruction formats of the `chat_formats` crate, and writes
//! `valid` and `errors` (each `{pointer, message}`, the pointer a JSON pointer into the
//! checked value). The checks are in [`check`]; this file reads the config.

pub mod check;

use blockforge_sdk::json::parse_json_text;
use blockforge_sdk::prelude::*;

use check::{Check, Problem};

/// Settings of FormatValidator: the field, and a schema or a format to check it against.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field to check. Empty: with a format, its usual field (`messages`,
    /// `conversations`, `text`, or the state's own fields for Alpaca); required with a schema.
    #[schemars(extend("format" = "field-reference"))]
    field: String,
    /// JSON Schema the value must follow: an object, or JSON text that may use Jinja.
    #[schemars(extend("format" = "json-or-template"))]
    schema: Value,
    /// Chat or instruction format the value must be in (instead of `schema`).
    #[schemars(extend("enum" = ["", "openai", "sharegpt", "alpaca", "alpaca_system", "chatml", "vicuna", "llama3"]))]
    format: String,
    /// Fail the run (error code `rejected`, the errors in its detail) instead of `valid: false`.
    strict: bool,
}

fn schema(ctx: &Context<Config>) -> Result<Option<Value>, BlockError> {
    let schema = match &ctx.config.schema {
        Value::Null => return Ok(None),
        Value::String(text) if text.trim().is_empty() => return Ok(None),
        Value::String(text) => {
            let rendered = ctx.render(text)?;
            serde_json::from_str(&rendered)
                .map_err(|e| BlockError::invalid_config(format!("schema is not valid JSON: {e}")))?
        }
        other => other.clone(),
    };
    Ok(Some(schema))
}

fn request(ctx: &Context<Config>) -> Result<Check, BlockError> {
    let format = ctx.config.format.trim();
    let field = ctx.config.field.trim();
    match (schema(ctx)?, format) {
        (Some(_), format) if !format.is_empty() => Err(BlockError::invalid_config(
            "set either schema or format, not both",
        )),
        (Some(schema), _) => {
            if field.is_empty() {
                return Err(BlockError::invalid_config(
                    "field: name the state field the schema checks",
                ));
            }
            Check::schema(&schema).map_err(BlockError::invalid_config)
        }
        (None, "") => Err(BlockError::invalid_config(
            "set schema (a JSON Schema) or format (a chat or instruction format)",
        )),
        (None, name) => name
            .parse()
            .map(Check::Format)
            .map_err(|e| BlockError::invalid_config(format!("format: {e}"))),
    }
}

/// The value checked: the field (JSON text parsed for a JSON format; a schema decides in
/// [`Check::run`]), or for a format without a field, the state itself.
fn subject(ctx: &Context<Config>, check: &Check) -> Result<Value, Problem> {
    let field = ctx.config.field.trim();
    if field.is_empty() {
        return Ok(Value::Object(ctx.state.clone()));
    }
    let value = ctx
        .get(field)
        .ok_or_else(|| Problem::whole(format!("state field '{field}' is missing")))?;
    match value {
        Value::String(text) if check.reads_json() => parse_json_text(text)
            .map_err(|e| Problem::whole(format!("state field '{field}' is not JSON: {e}"))),
        other => Ok(other.clone()),
    }
}

struct FormatValidator;

impl Block for FormatValidator {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "FormatValidator",
            "Check a field against a JSON Schema or a chat/instruction format; sets `valid` and `errors`",
        )
        .category("validators")
        .inputs(["*"])
        .outputs(["valid", "errors"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let check = request(&ctx)?;
        let whole_state = ctx.config.field.trim().is_empty();
        let problems = match subject(&ctx, &check) {
            Ok(value) => check.run(&value, whole_state),
            Err(problem) => vec![problem],
        };
        if ctx.config.strict && !problems.is_empty() {
            return Err(BlockError::rejected(format!(
                "the value is not valid: {}",
                problems[0].message
            ))
            .with_detail(json!({"errors": problems})));
        }
        Ok(Output::new()
            .set("valid", problems.is_empty())
            .set("errors", problems))
    }
}

export_block!(FormatValidator);
