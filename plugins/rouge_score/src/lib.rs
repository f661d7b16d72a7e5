//! `RougeScore`: the ROUGE F-measure of a generated text against a reference text, with the
//! Porter stemmer, giving the same numbers as the `rouge-score` Python package DataGenFlow
//! uses (`RougeScorer([rouge_type], use_stemmer=True).score(reference, generated)`). The
//! measure is in `rouge`, the tokenizer in `tokenize`, NLTK's stemmer in `porter`; this file
//! is the block's glue.

pub mod porter;
pub mod rouge;
pub mod tokenize;

use blockforge_sdk::prelude::*;

use rouge::RougeKind;

/// Which ROUGE measure `rouge_score` holds.
#[derive(Deserialize, JsonSchema, Clone, Copy, Default, Debug, PartialEq, Eq)]
pub enum RougeType {
    /// Unigram overlap.
    #[default]
    #[serde(rename = "rouge1")]
    Rouge1,
    /// Bigram overlap.
    #[serde(rename = "rouge2")]
    Rouge2,
    /// Longest common subsequence of the whole texts.
    #[serde(rename = "rougeL")]
    RougeL,
    /// Summary-level LCS over the texts' lines (one sentence per line).
    #[serde(rename = "rougeLsum")]
    RougeLsum,
}

impl RougeType {
    /// The measure this type names.
    pub fn kind(self) -> RougeKind {
        match self {
            RougeType::Rouge1 => RougeKind::N(1),
            RougeType::Rouge2 => RougeKind::N(2),
            RougeType::RougeL => RougeKind::L,
            RougeType::RougeLsum => RougeKind::Lsum,
        }
    }
}

/// Settings of RougeScore: the two state fields compared and the measure. Keys and defaults
/// follow DataGenFlow (which offers rouge1, rouge2 and rougeL; rougeLsum is added here).
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the generated text.
    #[schemars(extend("format" = "field-reference"))]
    generated_field: String,
    /// State field holding the reference text.
    #[schemars(extend("format" = "field-reference"))]
    reference_field: String,
    /// ROUGE measure: rouge1, rouge2, rougeL or rougeLsum.
    rouge_type: RougeType,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            generated_field: "assistant".to_owned(),
            reference_field: "reference".to_owned(),
            rouge_type: RougeType::Rouge1,
        }
    }
}

/// The text in state field `key`: `None` when missing, null or empty; an error naming the
/// field when it holds something other than text.
fn text<'a>(ctx: &'a Context<Config>, key: &str) -> Result<Option<&'a str>, BlockError> {
    match ctx.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(BlockError::invalid_input(format!(
            "state field '{key}' must be text to compute ROUGE, got {}",
            blockforge_sdk::json::type_name(other)
        ))),
    }
}

struct RougeScore;

impl Block for RougeScore {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "RougeScore",
            "Calculate ROUGE score (F-measure, with stemming) of a generated text against a reference text; configure the fields with 'generated_field' and 'reference_field'",
        )
        .name("ROUGE Score")
        .category("metrics")
        .outputs(["rouge_score"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let generated = text(&ctx, &ctx.config.generated_field)?;
        let reference = text(&ctx, &ctx.config.reference_field)?;
        let score = match (generated, reference) {
            (Some(generated), Some(reference)) => {
                rouge::score(ctx.config.rouge_type.kind(), reference, generated, true).fmeasure
            }
            // DataGenFlow scores a missing or empty text 0.
            _ => 0.0,
        };
        Ok(Output::new().set("rouge_score", score))
    }
}

export_block!(RougeScore);
