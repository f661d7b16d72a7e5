//! Weighted value lists: `{"value": weight, ...}` as written in a config (or a list of values,
//! equally weighted), and one value drawn with probability weight ÷ total.

use blockforge_sdk::BlockError;
use serde_json::Value;

/// Values with their weights, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighted {
    entries: Vec<(String, f64)>,
    total: f64,
}

impl Weighted {
    /// A list from `(value, weight)` pairs known to be valid (the presets).
    pub fn from_pairs(pairs: &[(&str, u32)]) -> Self {
        let entries: Vec<(String, f64)> = pairs
            .iter()
            .map(|(value, weight)| ((*value).to_owned(), f64::from(*weight)))
            .collect();
        let total = entries.iter().map(|(_, w)| w).sum();
        Weighted { entries, total }
    }

    /// Reads `value` as written in the config under `field`: an object of value → weight (a
    /// non-negative number), or a list of values with equal weights. Errors name the field and
    /// the entry at fault.
    pub fn parse(value: &Value, field: &str) -> Result<Self, BlockError> {
        let entries: Vec<(String, f64)> = match value {
            Value::Object(map) => map
                .iter()
                .map(|(name, weight)| Ok((name.clone(), weight_of(weight, field, name)?)))
                .collect::<Result<_, BlockError>>()?,
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(name) => Ok((name.clone(), 1.0)),
                    other => Err(BlockError::invalid_config(format!(
                        "{field}: a list must hold values as strings, found {}",
                        blockforge_sdk::json::type_name(other)
                    ))),
                })
                .collect::<Result<_, BlockError>>()?,
            other => {
                return Err(BlockError::invalid_config(format!(
                    "{field} must be an object of value → weight (e.g. {{\"billing\": 3, \"returns\": 1}}) or a list of values, found {}",
                    blockforge_sdk::json::type_name(other)
                )));
            }
        };
        if let Some((name, _)) = entries.iter().find(|(name, _)| name.trim().is_empty()) {
            return Err(BlockError::invalid_config(format!(
                "{field}: a value is empty ({name:?})"
            )));
        }
        let total: f64 = entries.iter().map(|(_, w)| w).sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(BlockError::invalid_config(format!(
                "{field}: the weights must add up to more than 0 (found {} values, total {total})",
                entries.len()
            )));
        }
        Ok(Weighted { entries, total })
    }

    /// One value, drawn with probability weight ÷ total.
    pub fn draw(&self, rng: &mut fastrand::Rng) -> &str {
        let mut ticket = rng.f64() * self.total;
        for (value, weight) in &self.entries {
            if ticket < *weight {
                return value;
            }
            ticket -= weight;
        }
        // Rounding left the ticket past the end: the last value with a weight.
        self.entries
            .iter()
            .rev()
            .find(|(_, w)| *w > 0.0)
            .map_or("", |(value, _)| value.as_str())
    }
}

/// What the tests read of a list.
#[cfg(test)]
impl Weighted {
    /// The values with their weights, in order.
    pub fn entries(&self) -> &[(String, f64)] {
        &self.entries
    }

    /// The probability of the value at `index` (weight ÷ total).
    pub fn probability(&self, index: usize) -> f64 {
        self.entries.get(index).map_or(0.0, |(_, w)| w / self.total)
    }

    /// The list as a JSON object of value → weight.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.entries
                .iter()
                .map(|(value, weight)| (value.clone(), serde_json::json!(weight)))
                .collect::<serde_json::Map<String, Value>>(),
        )
    }
}

fn weight_of(weight: &Value, field: &str, name: &str) -> Result<f64, BlockError> {
    match weight.as_f64() {
        Some(w) if w >= 0.0 && w.is_finite() => Ok(w),
        _ => Err(BlockError::invalid_config(format!(
            "{field}: the weight of {name:?} must be a number of at least 0, found {weight}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use augment_support::stats::chi_square;
    use serde_json::json;

    fn counts(list: &Weighted, draws: usize, seed: u64) -> Vec<u64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut counts = vec![0u64; list.entries().len()];
        for _ in 0..draws {
            let value = list.draw(&mut rng);
            let index = list.entries().iter().position(|(v, _)| v == value).unwrap();
            counts[index] += 1;
        }
        counts
    }

    // χ² critical value at p = 0.001 for 3 degrees of freedom. With a fixed seed the test is
    // deterministic; the bound is what a faithful sampler passes 999 times in 1000.
    const CHI2_DF3: f64 = 16.27;

    #[test]
    fn draws_follow_the_weights_on_ten_thousand_draws() {
        let list = Weighted::parse(&json!({"a": 50, "b": 25, "c": 15, "d": 10}), "x").unwrap();
        let observed = counts(&list, 10_000, 17);
        let expected: Vec<f64> = (0..4).map(|i| list.probability(i)).collect();
        let chi = chi_square(&observed, &expected);
        assert!(chi < CHI2_DF3, "χ² {chi} for {observed:?}");
    }

    #[test]
    fn uniform_draws_fail_the_same_check() {
        // The control: equal weights do not pass as 50/25/15/10, so the check can tell.
        let uniform = Weighted::parse(&json!(["a", "b", "c", "d"]), "x").unwrap();
        let observed = counts(&uniform, 10_000, 17);
        let chi = chi_square(&observed, &[0.5, 0.25, 0.15, 0.10]);
        assert!(chi > CHI2_DF3, "χ² {chi} for {observed:?}");
    }

    #[test]
    fn a_zero_weight_is_never_drawn() {
        let list = Weighted::parse(&json!({"never": 0, "always": 2}), "x").unwrap();
        assert_eq!(counts(&list, 2_000, 3), [0, 2_000]);
    }

    #[test]
    fn bad_lists_are_refused_naming_the_field_and_entry() {
        for (value, message) in [
            (
                json!({"a": -1}),
                "weight of \"a\" must be a number of at least 0",
            ),
            (json!({"a": "3"}), "weight of \"a\""),
            (json!({"a": 0, "b": 0}), "must add up to more than 0"),
            (json!({}), "must add up to more than 0"),
            (json!([1, 2]), "list must hold values as strings"),
            (json!("a"), "must be an object of value → weight"),
            (json!({" ": 1}), "a value is empty"),
        ] {
            let err = Weighted::parse(&value, "subdomains").unwrap_err();
            assert!(err.message.starts_with("subdomains"), "{}", err.message);
            assert!(err.message.contains(message), "{value}: {}", err.message);
        }
    }
}
