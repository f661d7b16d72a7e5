//! `ChatFormatConverter`: reads a conversation from the state in one chat or instruction
//! format and writes it in another, with the `chat_formats` crate (the same code converts
//! datasets). The work is in [`convert`]; this file reads the config.

pub mod convert;

use blockforge_sdk::prelude::*;

use convert::Request;

/// Settings of ChatFormatConverter.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Format of the input, or `auto` to detect it.
    #[schemars(extend("enum" = ["auto", "openai", "sharegpt", "alpaca", "alpaca_system", "chatml", "vicuna", "llama3"]))]
    from: String,
    /// Format to write.
    #[schemars(extend("enum" = ["openai", "sharegpt", "alpaca", "alpaca_system", "chatml", "vicuna", "llama3"]))]
    to: String,
    /// State field holding the input. Empty: the input format's usual field (`messages`,
    /// `conversations`, `text`), or the state's own `instruction`/`input`/`output` for Alpaca.
    #[schemars(extend("format" = "field-reference"))]
    field: String,
    /// State field to write. Empty: the output format's usual field, or `instruction`,
    /// `input`, `output` (and `system`) in the state for Alpaca.
    output_field: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            from: "auto".to_owned(),
            to: "openai".to_owned(),
            field: String::new(),
            output_field: String::new(),
        }
    }
}

struct ChatFormatConverter;

impl Block for ChatFormatConverter {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "ChatFormatConverter",
            "Convert a conversation between OpenAI messages, ShareGPT, Alpaca, ChatML, Vicuna v1.1 and Llama 3 chat",
        )
        .category("utilities")
        .inputs(["*"])
        .outputs(["*"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let request = Request::parse(
            &ctx.config.from,
            &ctx.config.to,
            &ctx.config.field,
            &ctx.config.output_field,
        )?;
        Ok(Output::from(request.run(&ctx.state)?))
    }
}

export_block!(ChatFormatConverter);
