//! `CoherenceScore`: DataGenFlow's coherence of a text from its sentence structure (see
//! `coherence`).

pub mod coherence;

use blockforge_sdk::prelude::*;

/// Settings of CoherenceScore. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text to analyse.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
        }
    }
}

struct CoherenceScore;

impl Block for CoherenceScore {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "CoherenceScore",
            "Calculate text coherence from sentence structure (average words per sentence); configure the field with 'field_name'",
        )
        .name("Coherence Score")
        .category("metrics")
        .outputs(["coherence_score"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let field = &ctx.config.field_name;
        let score = match ctx.get(field) {
            None | Some(Value::Null) => 0.0,
            Some(Value::String(text)) => coherence::coherence(text),
            Some(other) => {
                return Err(BlockError::invalid_input(format!(
                    "state field '{field}' must be text to score its coherence, got {}",
                    blockforge_sdk::json::type_name(other)
                )));
            }
        };
        Ok(Output::new().set("coherence_score", score))
    }
}

export_block!(CoherenceScore);
