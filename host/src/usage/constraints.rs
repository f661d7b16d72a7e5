//! Budgets that stop a run set: token totals, dollar cost and execution time.
//!
//! What is not understood is refused, naming it: a budget is a promise, and a misspelt one
//! (`max_total_tokns`) silently dropped would be no budget at all. So `constraints` must be an
//! object (never read positionally from a list), every key must be a known budget (the error
//! lists them), and a value must be `-1` (no limit) or a non-negative number.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::Usage;
use crate::json::json_type;

/// DataGenFlow's pipeline constraints. `-1` or absent means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
// The derived impls become inherent functions, wrapped by the trait impls below, which
// refuse anything but an object first.
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Constraints {
    /// Input + output tokens over all runs.
    #[serde(
        default,
        deserialize_with = "limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_tokens: Option<u64>,
    /// Input tokens over all runs.
    #[serde(
        default,
        deserialize_with = "limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_input_tokens: Option<u64>,
    /// Output tokens over all runs.
    #[serde(
        default,
        deserialize_with = "limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_output_tokens: Option<u64>,
    /// Cached tokens over all runs.
    #[serde(
        default,
        deserialize_with = "limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_cached_tokens: Option<u64>,
    /// US dollars over all runs: the priced calls' cost (a call to a model without a price
    /// adds nothing, so with such calls the budget is checked against a lower bound).
    #[serde(
        default,
        deserialize_with = "limit_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_cost: Option<f64>,
    /// Seconds since the run set started.
    #[serde(
        default,
        deserialize_with = "limit_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_total_execution_time: Option<f64>,
}

/// Which budget stopped the run set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintHit {
    /// The constraint's key, e.g. `max_total_tokens`.
    pub constraint: &'static str,
    /// Its limit.
    pub limit: f64,
    /// The value reached.
    pub value: f64,
}

impl std::fmt::Display for ConstraintHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reached ({} >= {})",
            self.constraint, self.value, self.limit
        )
    }
}

impl Constraints {
    /// The first budget that `usage` and `elapsed_secs` have reached, if any.
    pub fn check(&self, usage: &Usage, elapsed_secs: f64) -> Option<ConstraintHit> {
        let token_checks = [
            ("max_total_tokens", self.max_total_tokens, usage.total()),
            (
                "max_total_input_tokens",
                self.max_total_input_tokens,
                usage.input_tokens,
            ),
            (
                "max_total_output_tokens",
                self.max_total_output_tokens,
                usage.output_tokens,
            ),
            (
                "max_total_cached_tokens",
                self.max_total_cached_tokens,
                usage.cached_tokens,
            ),
        ];
        for (constraint, limit, value) in token_checks {
            if let Some(limit) = limit
                && value >= limit
            {
                return Some(ConstraintHit {
                    constraint,
                    limit: limit as f64,
                    value: value as f64,
                });
            }
        }
        if let Some(limit) = self.max_total_cost
            && usage.cost.priced_usd() >= limit
        {
            return Some(ConstraintHit {
                constraint: "max_total_cost",
                limit,
                value: usage.cost.priced_usd(),
            });
        }
        match self.max_total_execution_time {
            Some(limit) if elapsed_secs >= limit => Some(ConstraintHit {
                constraint: "max_total_execution_time",
                limit,
                value: elapsed_secs,
            }),
            _ => None,
        }
    }

    /// Whether any budget is set.
    pub fn is_limited(&self) -> bool {
        *self != Constraints::default()
    }
}

impl Serialize for Constraints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Constraints::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Constraints {
    /// An object of known budgets only; a list, a string or a number is refused, never read
    /// positionally.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            object @ Value::Object(_) => Constraints::deserialize(object).map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "`constraints` must be an object of budgets such as {{\"max_total_tokens\": 1000}}, \
                 found {}",
                json_type(&other)
            ))),
        }
    }
}

/// A token budget: `-1` or null for none, else a non-negative integer.
fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64() == Some(-1) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(other) => Err(D::Error::custom(format!(
            "a token budget must be -1 (no limit) or an integer from 0 to {}, got {other}",
            u64::MAX
        ))),
    }
}

/// A cost or time budget: `-1` or null for none, else a non-negative number.
fn limit_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(-1.0) => Ok(None),
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(D::Error::custom(format!(
                "a cost or time budget must be -1 (no limit) or a non-negative number, got {n}"
            ))),
        },
        Some(other) => Err(D::Error::custom(format!(
            "a cost or time budget must be -1 (no limit) or a non-negative number, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_and_absent_mean_unlimited() {
        let c: Constraints =
            serde_json::from_str(r#"{"max_total_tokens": -1, "max_total_execution_time": -1}"#)
                .unwrap();
        assert!(!c.is_limited());
        let usage = Usage::tokens(u64::MAX / 4, 1, 0);
        assert_eq!(c.check(&usage, 1e9), None);
    }

    #[test]
    fn unknown_keys_lists_and_out_of_range_values_are_refused() {
        let err = serde_json::from_str::<Constraints>(r#"{"max_total_tokns": 100}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `max_total_tokns`") && err.contains("`max_total_tokens`"),
            "{err}"
        );
        let err = serde_json::from_str::<Constraints>("[1, 2]")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("must be an object") && err.contains("an array"),
            "{err}"
        );
        for bad in [
            r#"{"max_total_tokens": -5}"#,
            r#"{"max_total_tokens": 1.5}"#,
            r#"{"max_total_tokens": 18446744073709551616}"#,
            r#"{"max_total_tokens": "100"}"#,
            r#"{"max_total_cost": -0.5}"#,
            r#"{"max_total_execution_time": "10"}"#,
        ] {
            let err = serde_json::from_str::<Constraints>(bad).unwrap_err();
            assert!(err.to_string().contains("-1 (no limit)"), "{bad}: {err}");
        }
        let ok: Constraints = serde_json::from_str(
            r#"{"max_total_tokens": 18446744073709551615, "max_total_cost": 0, "max_total_execution_time": null}"#,
        )
        .unwrap();
        assert_eq!(ok.max_total_tokens, Some(u64::MAX));
        assert_eq!(ok.max_total_cost, Some(0.0));
        // What is written reads back the same.
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<Constraints>(&text).unwrap(), ok);
    }

    #[test]
    fn reports_the_budget_reached() {
        let c: Constraints = serde_json::from_str(r#"{"max_total_output_tokens": 10}"#).unwrap();
        let usage = Usage::tokens(100, 10, 0);
        let hit = c.check(&usage, 0.0).unwrap();
        assert_eq!(hit.constraint, "max_total_output_tokens");
        let below = Usage {
            output_tokens: 9,
            ..usage
        };
        assert_eq!(c.check(&below, 0.0), None);
    }

    #[test]
    fn a_cost_budget_counts_the_priced_calls() {
        let c: Constraints = serde_json::from_str(r#"{"max_total_cost": 0.5}"#).unwrap();
        assert!(c.is_limited());
        let spent = |picodollars: u64, unpriced_calls: u64| Usage {
            cost: crate::usage::Cost {
                picodollars,
                unpriced_calls,
            },
            ..Usage::default()
        };
        assert_eq!(c.check(&spent(499_999_999_999, 0), 0.0), None);
        let hit = c.check(&spent(500_000_000_000, 0), 0.0).unwrap();
        assert_eq!(
            (hit.constraint, hit.limit, hit.value),
            ("max_total_cost", 0.5, 0.5)
        );
        assert!(c.check(&spent(600_000_000_000, 3), 0.0).is_some());
        let unlimited: Constraints = serde_json::from_str(r#"{"max_total_cost": -1}"#).unwrap();
        assert_eq!(unlimited.check(&spent(u64::MAX, 0), 0.0), None);
    }
}
