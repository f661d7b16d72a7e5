//! `TextGenerator`: renders `system_prompt` and `user_prompt` against the state (falling back to
//! the state's `system` and `user` fields) and asks the LLM once.

use blockforge_sdk::llm::{self, ChatRequest, Message};
use blockforge_sdk::prelude::*;

/// Settings of TextGenerator: the prompts, the model and its sampling. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Model name; empty or null selects the default model.
    #[schemars(extend("format" = "model"))]
    model: Option<String>,
    /// Sampling temperature.
    #[schemars(range(min = 0.0, max = 2.0))]
    temperature: f32,
    /// Upper bound on generated tokens.
    #[schemars(range(min = 1))]
    max_tokens: u32,
    /// System prompt (Jinja, rendered against the state). Empty: the state's `system` field.
    #[schemars(extend("format" = "jinja2"))]
    system_prompt: String,
    /// User prompt (Jinja, rendered against the state). Empty: the state's `user` field.
    #[schemars(extend("format" = "jinja2"))]
    user_prompt: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: None,
            temperature: 0.7,
            max_tokens: 2048,
            system_prompt: String::new(),
            user_prompt: String::new(),
        }
    }
}

struct TextGenerator;

/// The configured prompt, or the state's field of the same role, rendered against the state.
fn prompt(
    ctx: &Context<Config>,
    configured: &str,
    state_field: &str,
) -> Result<String, BlockError> {
    let source = if configured.is_empty() {
        ctx.opt_str(state_field).unwrap_or_default()
    } else {
        configured
    };
    ctx.render(source)
}

impl Block for TextGenerator {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "TextGenerator",
            "Generate text with an LLM from Jinja prompts rendered against the state",
        )
        .category("generators")
        .outputs(["assistant", "system", "user"])
        .capabilities([Capability::Llm])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let system = prompt(&ctx, &ctx.config.system_prompt, "system")?;
        let user = prompt(&ctx, &ctx.config.user_prompt, "user")?;
        let mut messages = Vec::new();
        if !system.is_empty() {
            messages.push(Message::system(system.clone()));
        }
        if !user.is_empty() {
            messages.push(Message::user(user.clone()));
        }
        if messages.is_empty() {
            return Err(BlockError::invalid_config(
                "no prompt: set system_prompt or user_prompt, or give the state a `system` or `user` field",
            ));
        }
        let answer = llm::chat(
            ChatRequest::new(messages)
                .model(ctx.config.model.clone())
                .temperature(Some(ctx.config.temperature))
                .max_tokens(Some(ctx.config.max_tokens)),
        )?;
        Ok(Output::new()
            .set("assistant", answer.content)
            .set("system", system)
            .set("user", user))
    }
}

export_block!(TextGenerator);
