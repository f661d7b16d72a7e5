//! __TYPE_NAME__: writes `result` from the run's `text`. `make` builds it (see README.md).

use blockforge_sdk::prelude::*;

/// __TYPE_NAME__'s settings.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
[plain]    /// What to write into `result` (Jinja, rendered against the state)
[plain]    #[schemars(extend("format" = "jinja2"))]
[plain]    template: String,
[llm]    /// The prompt sent to the model (Jinja, rendered against the state)
[llm]    #[schemars(extend("format" = "jinja2"))]
[llm]    prompt: String,
[llm]    /// The model to ask (the host's default when empty)
[llm]    #[schemars(extend("format" = "model"))]
[llm]    model: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
[plain]            template: "{{ text | upper }}".to_owned(),
[llm]            prompt: "Give a short title to: {{ text }}".to_owned(),
[llm]            model: None,
        }
    }
}

struct __TYPE_NAME__;

impl Block for __TYPE_NAME__ {
    type Config = Config;

    fn info() -> Info {
        Info::new("__TYPE_NAME__", "Writes `result` from `text`")
            .category("utilities")
            .inputs(["text"])
            .outputs(["result"])
[llm]            .capabilities([Capability::Llm])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let text = ctx.str("text")?;
        blockforge_sdk::log::info(&format!("__TYPE_NAME__ got {} characters", text.chars().count()));
[plain]        Ok(Output::new().set("result", ctx.render(&ctx.config.template)?))
[llm]        let prompt = ctx.render(&ctx.config.prompt)?;
[llm]        let request = ChatRequest::new(vec![Message::user(prompt)]).model(ctx.config.model.clone());
[llm]        let reply = blockforge_sdk::llm::chat(request)?;
[llm]        Ok(Output::new().set("result", reply.content))
    }
}

export_block!(__TYPE_NAME__);
