//! RustShout: upper-cases `text`, puts the rendered `prefix` in front and counts its words.

use blockforge_sdk::prelude::*;

#[derive(Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Text put in front of the shouted text (Jinja, rendered against the state)
    #[schemars(extend("format" = "jinja2"))]
    prefix: String,
    /// Reject texts with more words than this (0: no limit)
    max_words: u32,
}

struct RustShout;

impl Block for RustShout {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "RustShout",
            "Upper-cases `text`, puts the rendered `prefix` in front and counts the words",
        )
        .name("Shout (Rust)")
        .category("utilities")
        .inputs(["text"])
        .outputs(["shouted", "words"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let text = ctx.str("text")?;
        let words = text.split_whitespace().count();
        let max_words = ctx.config.max_words as usize;
        if max_words > 0 && words > max_words {
            return Err(BlockError::rejected(format!(
                "text has {words} words, above max_words {max_words}"
            ))
            .with_detail(json!({"words": words, "max_words": max_words})));
        }
        blockforge_sdk::log::info(&format!("shouting {words} words"));
        let prefix = ctx.render(&ctx.config.prefix)?;
        Ok(Output::new()
            .set("shouted", format!("{prefix}{}", text.to_uppercase()))
            .set("words", words))
    }
}

export_block!(RustShout);
