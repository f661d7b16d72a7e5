//! The price table: US dollars per million input, output and cached input tokens, per model.
//!
//! Built-in defaults come from `host/prices.yaml` (embedded at build time); `PRICES_FILE`
//! names a YAML (or JSON) file of the same shape that replaces them. Keys are a model name, a
//! `provider/model`, or a prefix ending in `*`; see [`PriceTable::price`] for the order.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::usage::Usage;

/// The built-in price table's text.
pub const DEFAULT_PRICES: &str = include_str!("../../prices.yaml");

/// A price table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The file could not be read.
    #[error("cannot read the price table {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a price table.
    #[error("the price table {origin} is not valid: {message}")]
    Invalid {
        /// The file (or `built-in`).
        origin: String,
        /// What is wrong, with the line where the parser knows it.
        message: String,
    },
}

/// Prices of one model in picodollars per token (exact sums, no float drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPrice {
    /// Per uncached input token.
    pub input: u64,
    /// Per output token.
    pub output: u64,
    /// Per input token served from the provider's prompt cache.
    pub cached_input: u64,
}

impl ModelPrice {
    /// The cost of a call with `usage`. Input tokens include the cached ones (the
    /// OpenAI-compatible convention), so only `input - cached` pay the full input price.
    pub fn cost(&self, usage: &Usage) -> u64 {
        let cached = usage.cached_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        uncached
            .saturating_mul(self.input)
            .saturating_add(cached.saturating_mul(self.cached_input))
            .saturating_add(usage.output_tokens.saturating_mul(self.output))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    prices: HashMap<String, PriceEntry>,
}

/// Dollars per million tokens, as the file gives them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    input: f64,
    output: f64,
    cached_input: Option<f64>,
}

/// Dollars per million tokens → picodollars per token (10¹² / 10⁶).
fn per_token(dollars_per_million: f64, key: &str, field: &str) -> Result<u64, String> {
    if !dollars_per_million.is_finite() || !(0.0..=1e6).contains(&dollars_per_million) {
        return Err(format!(
            "{key}.{field} must be a number of dollars per million tokens from 0 to 1000000, not {dollars_per_million}"
        ));
    }
    Ok((dollars_per_million * 1e6).round() as u64)
}

/// Prices by model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    exact: HashMap<String, ModelPrice>,
    /// `(prefix, price)`, longest prefix first.
    prefixes: Vec<(String, ModelPrice)>,
}

impl PriceTable {
    /// The built-in table.
    pub fn builtin() -> Result<Self, PriceError> {
        Self::parse(DEFAULT_PRICES, "built-in")
    }

    /// The table of `PRICES_FILE` when it is set, else the built-in one.
    pub fn load(path: Option<&Path>) -> Result<Self, PriceError> {
        let Some(path) = path else {
            return Self::builtin();
        };
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses a table; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, PriceError> {
        let invalid = |message: String| PriceError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let file: PriceFile = serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut table = PriceTable::default();
        for (key, entry) in file.prices {
            let input = per_token(entry.input, &key, "input").map_err(invalid)?;
            let price = ModelPrice {
                input,
                output: per_token(entry.output, &key, "output").map_err(invalid)?,
                cached_input: match entry.cached_input {
                    Some(cached) => per_token(cached, &key, "cached_input").map_err(invalid)?,
                    None => input,
                },
            };
            match key.strip_suffix('*') {
                Some(prefix) => table.prefixes.push((prefix.to_owned(), price)),
                None => {
                    table.exact.insert(key, price);
                }
            }
        }
        table
            .prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(table)
    }

    /// The price of `model` at `provider`: the exact `provider/model`, the exact model, then
    /// the longest prefix matching `provider/model` or the model.
    pub fn price(&self, provider: &str, model: &str) -> Option<ModelPrice> {
        let qualified = format!("{provider}/{model}");
        self.exact
            .get(&qualified)
            .or_else(|| self.exact.get(model))
            .or_else(|| {
                self.prefixes
                    .iter()
                    .find(|(prefix, _)| qualified.starts_with(prefix) || model.starts_with(prefix))
                    .map(|(_, price)| price)
            })
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Cost;

    #[test]
    fn the_builtin_table_parses_and_prices_common_models() {
        let table = PriceTable::builtin().unwrap();
        let mini = table.price("openai", "gpt-4o-mini").unwrap();
        assert_eq!(
            (mini.input, mini.output, mini.cached_input),
            (150_000, 600_000, 75_000)
        );
        // Dated snapshots match their family's prefix; the longest prefix wins.
        assert_eq!(table.price("openai", "gpt-4o-mini-2024-07-18"), Some(mini));
        assert_eq!(
            table.price("openai", "gpt-4.1-nano").unwrap().input,
            100_000
        );
        assert_eq!(table.price("openai", "gpt-4.1").unwrap().input, 2_000_000);
        assert_eq!(
            table
                .price("anthropic", "claude-opus-4-20250514")
                .unwrap()
                .output,
            75_000_000
        );
        assert_eq!(table.price("ollama", "llama3.2").unwrap().input, 0);
        assert_eq!(
            table.price("openai", "llama3.2"),
            None,
            "only Ollama serves llama for free"
        );
        assert_eq!(table.price("openai", "fake-model"), None);
    }

    #[test]
    fn cost_is_tokens_times_prices_with_cached_input_at_its_own_price() {
        let price = ModelPrice {
            input: 2_500_000,
            output: 10_000_000,
            cached_input: 1_250_000,
        };
        // 100 input of which 40 cached, 50 output.
        let usage = Usage::tokens(100, 50, 40);
        assert_eq!(
            price.cost(&usage),
            60 * 2_500_000 + 40 * 1_250_000 + 50 * 10_000_000
        );
        let table = PriceTable::parse(
            "prices: {m: {input: 2.5, output: 10, cached_input: 1.25}}",
            "t",
        )
        .unwrap();
        assert_eq!(table.price("openai", "m"), Some(price));
        assert_eq!(Cost::priced(price.cost(&usage)).usd(), Some(0.0007));
        assert_eq!(table.price("openai", "other"), None);
    }

    #[test]
    fn exact_names_win_over_prefixes_and_provider_qualified_over_bare() {
        let table = PriceTable::parse(
            "prices:\n  'gpt*': {input: 1, output: 1}\n  gpt-x: {input: 2, output: 2}\n  openai/gpt-x: {input: 3, output: 3}\n",
            "t",
        )
        .unwrap();
        assert_eq!(table.price("openai", "gpt-x").unwrap().input, 3_000_000);
        assert_eq!(table.price("azure", "gpt-x").unwrap().input, 2_000_000);
        assert_eq!(table.price("azure", "gpt-y").unwrap().input, 1_000_000);
        assert_eq!(
            table.price("azure", "gpt-x").unwrap().cached_input,
            2_000_000,
            "cached defaults to input"
        );
    }

    #[test]
    fn bad_tables_say_what_is_wrong() {
        let negative = PriceTable::parse("prices: {m: {input: -1, output: 0}}", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            negative.contains("p.yaml") && negative.contains("m.input"),
            "{negative}"
        );
        let unknown = PriceTable::parse("prices: {m: {input: 1, output: 0, extra: 2}}", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("extra"), "{unknown}");
        assert!(PriceTable::parse("not: a table", "p.yaml").is_err());
    }
}
