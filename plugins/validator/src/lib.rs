//! `ValidatorBlock`: checks the length of `text` (or `assistant` when `text` is empty) and that
//! it contains none of the forbidden words (case-insensitive), writing `valid`.

use blockforge_sdk::prelude::*;

/// Settings of ValidatorBlock: the length bounds and the forbidden words. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Fewest characters allowed.
    min_length: u64,
    /// Most characters allowed.
    max_length: u64,
    /// Words that make the text invalid: a list, or JSON text of a list (may use Jinja).
    #[schemars(extend("format" = "json-or-template"))]
    forbidden_words: Value,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_length: 0,
            max_length: 100_000,
            forbidden_words: Value::Array(Vec::new()),
        }
    }
}

struct Validator;

fn forbidden_words(ctx: &Context<Config>) -> Result<Vec<String>, BlockError> {
    let list = match &ctx.config.forbidden_words {
        Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Value::String(text) => {
            let rendered = ctx.render(text)?;
            serde_json::from_str(&rendered).map_err(|e| {
                BlockError::invalid_config(format!(
                    "forbidden_words must be a JSON list of strings: {e}"
                ))
            })?
        }
        other => other.clone(),
    };
    serde_json::from_value(list).map_err(|e| {
        BlockError::invalid_config(format!("forbidden_words must be a list of strings: {e}"))
    })
}

fn text_field<'a>(ctx: &'a Context<Config>, key: &str) -> Result<Option<&'a str>, BlockError> {
    match ctx.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(BlockError::invalid_input(format!(
            "state field '{key}' must be a string, got {}",
            blockforge_sdk::json::type_name(other)
        ))),
    }
}

impl Block for Validator {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "ValidatorBlock",
            "Check text length and forbidden words; sets `valid`",
        )
        .name("Validator")
        .category("validators")
        .inputs(["text", "assistant"])
        .outputs(["text", "valid", "assistant"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let text = text_field(&ctx, "text")?;
        let assistant = text_field(&ctx, "assistant")?;
        let checked = text.filter(|t| !t.is_empty()).or(assistant).unwrap_or("");
        let length = checked.chars().count() as u64;
        let lowered = checked.to_lowercase();
        let words = forbidden_words(&ctx)?;
        let valid = length >= ctx.config.min_length
            && length <= ctx.config.max_length
            && !words
                .iter()
                .any(|w| !w.is_empty() && lowered.contains(&w.to_lowercase()));
        let mut output = Output::new().set("valid", valid);
        if let Some(text) = text {
            output = output.set("text", text);
        }
        if let Some(assistant) = assistant {
            output = output.set("assistant", assistant);
        }
        Ok(output)
    }
}

export_block!(Validator);
