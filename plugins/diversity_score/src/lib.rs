//! `DiversityScore`: how different the texts of a list are from each other (DataGenFlow's
//! lexical diversity, see `diversity`). A field that is not a list has no diversity (0), as
//! in DataGenFlow.

pub mod diversity;
pub mod sequence_matcher;

use blockforge_sdk::prelude::*;

/// Settings of DiversityScore. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the list of texts to compare.
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

struct DiversityScore;

impl Block for DiversityScore {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "DiversityScore",
            "Calculate lexical diversity of a list of texts (mean pairwise dissimilarity); configure the field with 'field_name'",
        )
        .name("Diversity Score")
        .category("metrics")
        .outputs(["diversity_score"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let field = &ctx.config.field_name;
        let score = match ctx.get(field) {
            Some(Value::Array(items)) => {
                let texts = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        item.as_str().ok_or_else(|| {
                            BlockError::invalid_input(format!(
                                "state field '{field}' must be a list of texts; item {i} is {}",
                                blockforge_sdk::json::type_name(item)
                            ))
                        })
                    })
                    .collect::<Result<Vec<&str>, _>>()?;
                diversity::diversity(&texts)
            }
            // One text (or nothing) has no diversity.
            _ => 0.0,
        };
        Ok(Output::new().set("diversity_score", score))
    }
}

export_block!(DiversityScore);
