//! `StructuredGenerator`: asks the LLM for JSON following `json_schema` and returns it parsed as
//! `generated`. The host requests structured output natively and checks the answer against the
//! schema before the block sees it.

use blockforge_sdk::json::parse_lenient;
use blockforge_sdk::llm::{self, ChatRequest, Message};
use blockforge_sdk::prelude::*;

/// Settings of StructuredGenerator: the schema of the answer, the prompt and the model. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// JSON Schema of the answer: an object, or JSON text that may use Jinja against the state.
    #[schemars(extend("format" = "json-or-template"))]
    json_schema: Value,
    /// Prompt (Jinja, rendered against the state). Empty: "Generate data according to schema".
    #[schemars(extend("format" = "jinja2"))]
    user_prompt: String,
    /// Model name; empty or null selects the default model.
    #[schemars(extend("format" = "model"))]
    model: Option<String>,
    /// Sampling temperature.
    #[schemars(range(min = 0.0, max = 2.0))]
    temperature: f32,
    /// Upper bound on generated tokens.
    #[schemars(range(min = 1))]
    max_tokens: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            json_schema: Value::Null,
            user_prompt: String::new(),
            model: None,
            temperature: 0.7,
            max_tokens: 2048,
        }
    }
}

struct StructuredGenerator;

fn schema(ctx: &Context<Config>) -> Result<Value, BlockError> {
    let schema = match &ctx.config.json_schema {
        Value::String(text) => {
            let rendered = ctx.render(text)?;
            serde_json::from_str(&rendered).map_err(|e| {
                BlockError::invalid_config(format!("json_schema is not valid JSON: {e}"))
            })?
        }
        Value::Null => return Err(BlockError::invalid_config("json_schema is required")),
        other => other.clone(),
    };
    if !schema.is_object() {
        return Err(BlockError::invalid_config(
            "json_schema must be a JSON object",
        ));
    }
    Ok(schema)
}

impl Block for StructuredGenerator {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "StructuredGenerator",
            "Generate JSON that follows a JSON Schema with an LLM",
        )
        .category("generators")
        .outputs(["generated"])
        .capabilities([Capability::Llm])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let schema = schema(&ctx)?;
        let prompt = match ctx.config.user_prompt.as_str() {
            "" => "Generate data according to schema".to_owned(),
            source => ctx.render(source)?,
        };
        let answer = llm::chat(
            ChatRequest::new(vec![Message::user(prompt)])
                .model(ctx.config.model.clone())
                .temperature(Some(ctx.config.temperature))
                .max_tokens(Some(ctx.config.max_tokens))
                .json_schema(schema),
        )?;
        let generated = parse_lenient(&answer.content).map_err(|e| {
            BlockError::host(format!("the answer is not JSON: {e}"))
                .with_detail(json!({"raw_response": answer.content}))
        })?;
        Ok(Output::new().set("generated", generated))
    }
}

export_block!(StructuredGenerator);
