//! `Toxicity`: a word-list and phrase check for insults, profanity, threats, identity attacks,
//! sexual content and self-harm, shipped inside the block (`data/lexicon.tsv`), with a score
//! and a threshold. It is a list, not a classifier: see the README for what it cannot see.
//! Normalisation is in `normalize`, the list and matching in `lexicon`; this file is the
//! block's glue.

pub mod lexicon;
pub mod normalize;

use std::collections::BTreeMap;

use blockforge_sdk::prelude::*;

/// Settings of Toxicity.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text to check.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Score (0 to 1) at or above which the text is not valid.
    #[schemars(range(min = 0.0, max = 1.0))]
    threshold: f64,
    /// Categories checked (insult, profanity, threat, identity_attack, sexual, self_harm);
    /// empty checks all.
    categories: Vec<String>,
    /// More terms per category, e.g. `{"profanity": ["frak*"]}` (weight `extra_weight`; a word
    /// ending in `*` matches any word starting with it).
    extra_terms: BTreeMap<String, Vec<String>>,
    /// Weight (0 to 1) of each of `extra_terms`.
    #[schemars(range(min = 0.0, max = 1.0))]
    extra_weight: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
            threshold: 0.5,
            categories: Vec::new(),
            extra_terms: BTreeMap::new(),
            extra_weight: 0.6,
        }
    }
}

impl Config {
    /// The terms to look for: the built-in list and `extra_terms`, in the categories checked.
    fn terms(&self) -> Result<Vec<lexicon::Term>, BlockError> {
        for category in &self.categories {
            if !lexicon::CATEGORIES.contains(&category.as_str()) {
                return Err(BlockError::invalid_config(format!(
                    "categories: unknown category '{category}' (one of {})",
                    lexicon::CATEGORIES.join(", ")
                )));
            }
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(BlockError::invalid_config(format!(
                "threshold must be between 0 and 1, got {}",
                self.threshold
            )));
        }
        let mut terms = lexicon::parse(lexicon::BUILTIN).map_err(|e| {
            BlockError::internal(format!("the built-in word list is unreadable: {e}"))
        })?;
        for (category, written) in &self.extra_terms {
            for term in written {
                terms.push(
                    lexicon::term(category, self.extra_weight, term)
                        .map_err(|e| BlockError::invalid_config(format!("extra_terms: {e}")))?,
                );
            }
        }
        terms.retain(|t| self.categories.is_empty() || self.categories.contains(&t.category));
        Ok(terms)
    }
}

struct Toxicity;

impl Block for Toxicity {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "Toxicity",
            "Check a text against a built-in word and phrase list (insult, profanity, threat, identity attack, sexual, self-harm), robust to simple obfuscation; a score and a threshold. A word list, not a classifier",
        )
        .name("Toxicity")
        .category("validators")
        .outputs(["toxicity", "valid"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let terms = ctx.config.terms()?;
        let field = &ctx.config.field_name;
        let text = text_input::text_field(&ctx.state, field, "Toxicity", "check it")?;
        let hits = lexicon::find(&terms, &normalize::tokens(text));
        let scores = lexicon::category_scores(&hits);
        let score = scores.values().copied().fold(0.0, f64::max);
        let mut by_category: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for hit in &hits {
            by_category
                .entry(hit.term.category.as_str())
                .or_default()
                .push(json!({"term": hit.term.term, "text": hit.text}));
        }
        let categories: Map<String, Value> = scores
            .iter()
            .filter(|(category, _)| {
                ctx.config.categories.is_empty()
                    || ctx
                        .config
                        .categories
                        .iter()
                        .any(|c| c.as_str() == **category)
            })
            .map(|(category, score)| {
                let found = by_category.remove(category).unwrap_or_default();
                (
                    (*category).to_owned(),
                    json!({"score": score, "hits": found}),
                )
            })
            .collect();
        Ok(Output::new()
            .set(
                "toxicity",
                json!({"score": score, "categories": categories}),
            )
            .set("valid", score < ctx.config.threshold))
    }
}

export_block!(Toxicity);
