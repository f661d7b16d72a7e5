//! `Readability`: five classic readability figures of a text — Flesch reading ease,
//! Flesch–Kincaid grade, Gunning fog, SMOG and Coleman–Liau — as the Python package `textstat`
//! 0.7.4 computes them (syllables from pyphen's `en_US` hyphenation patterns), and whether they
//! fall within the configured bounds. Counting is in `text` and `syllables`, the formulas in
//! `metrics`, the bounds in `bounds`; this file is the block's glue.

pub mod bounds;
pub mod metrics;
pub mod syllables;
pub mod text;

use blockforge_sdk::prelude::*;

use bounds::Bounds;

/// Settings of Readability.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text to measure.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Bounds per figure, any subset, e.g. `{"flesch_reading_ease": {"min": 60},
    /// "flesch_kincaid_grade": {"max": 9}}`; `valid` is true when every figure named is within
    /// its bounds (inclusive).
    thresholds: Bounds,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
            thresholds: Bounds::default(),
        }
    }
}

struct Readability;

impl Block for Readability {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "Readability",
            "Flesch reading ease, Flesch-Kincaid grade, Gunning fog, SMOG and Coleman-Liau of a text (as Python's textstat computes them), checked against optional min/max bounds",
        )
        .name("Readability")
        .category("validators")
        .outputs(["readability", "valid"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        ctx.config
            .thresholds
            .check()
            .map_err(BlockError::invalid_config)?;
        let field = &ctx.config.field_name;
        let text =
            text_input::text_field(&ctx.state, field, "Readability", "measure its readability")?;
        let figures = metrics::figures(text);
        let failures = ctx.config.thresholds.failures(&figures);
        if !failures.is_empty() {
            blockforge_sdk::log::info(&format!("outside the bounds: {}", failures.join("; ")));
        }
        let mut readability = Map::new();
        for (name, value) in figures.named() {
            // Two decimals for reading (textstat's own figures here are unrounded, as with
            // `set_rounding(False)`); the bounds see the exact figure.
            readability.insert(name.to_owned(), json!((value * 100.0).round() / 100.0));
        }
        Ok(Output::new()
            .set("readability", readability)
            .set("valid", failures.is_empty()))
    }
}

export_block!(Readability);
