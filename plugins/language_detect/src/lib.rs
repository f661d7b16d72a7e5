//! `LanguageDetect`: the language of a state field's text (whatlang, compiled into the
//! block), its confidence, and whether it is one of the `expected` languages with at least
//! `min_confidence`. Detection and codes are in `detect`; this file is the block's glue.

pub mod detect;

use blockforge_sdk::prelude::*;

/// Settings of LanguageDetect.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Languages accepted, as ISO 639-1 (`en`) or 639-3 (`eng`) codes; empty accepts any.
    expected: Vec<String>,
    /// Lowest confidence (0 to 1) accepted.
    #[schemars(range(min = 0.0, max = 1.0))]
    min_confidence: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
            expected: Vec::new(),
            min_confidence: 0.0,
        }
    }
}

struct LanguageDetect;

impl Block for LanguageDetect {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "LanguageDetect",
            "Detect the language of a text (69 languages, whatlang) and check it against the expected languages and a minimum confidence",
        )
        .name("Language Detect")
        .category("validators")
        .outputs(["language", "confidence", "valid"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let expected = ctx
            .config
            .expected
            .iter()
            .map(|code| detect::to_639_3(code))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BlockError::invalid_config(format!("expected: {e}")))?;
        if !(0.0..=1.0).contains(&ctx.config.min_confidence) {
            return Err(BlockError::invalid_config(format!(
                "min_confidence must be between 0 and 1, got {}",
                ctx.config.min_confidence
            )));
        }
        let field = &ctx.config.field_name;
        let text =
            text_input::text_field(&ctx.state, field, "LanguageDetect", "detect its language")?;
        let detection = detect::detect(text);
        let valid = detect::passes(&detection, &expected, ctx.config.min_confidence);
        Ok(Output::new()
            .set("language", detection.language.map(detect::display_code))
            .set("confidence", detection.confidence)
            .set("valid", valid))
    }
}

export_block!(LanguageDetect);
