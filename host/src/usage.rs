//! Token usage and dollar cost of model calls, summed per call, block, run and run set.
//!
//! Cost is kept in whole picodollars (10⁻¹² USD) so that sums are exact and `Usage` stays
//! `Copy + Eq`: the cost of a job is exactly the sum of its records', whatever the order in
//! which they were added. A call to a model the price table does not know adds no dollars and
//! counts as *unpriced*; a total with an unpriced call in it is shown as `null` (its real cost
//! is not known), while its priced part still counts toward `max_total_cost`.
//!
//! A leaf of the crate: the gateway, the runtime, the engine and the store all count usage, so
//! these types (and a job's budgets, [`Constraints`] and [`JobBudget`]) use nothing of theirs.

mod budget;
mod constraints;

pub use budget::{BudgetSpent, JobBudget};
pub use constraints::{ConstraintHit, Constraints};

use serde::{Deserialize, Serialize};

/// Picodollars in one US dollar.
pub const PICODOLLARS_PER_USD: f64 = 1e12;

/// Dollar cost of a set of calls: the priced part and how many calls had no price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Cost of the priced calls, in picodollars.
    pub picodollars: u64,
    /// Calls to models the price table does not know.
    pub unpriced_calls: u64,
}

impl Cost {
    /// The cost of one priced call.
    pub fn priced(picodollars: u64) -> Self {
        Cost {
            picodollars,
            unpriced_calls: 0,
        }
    }

    /// The cost of one call to a model without a price.
    pub fn unpriced() -> Self {
        Cost {
            picodollars: 0,
            unpriced_calls: 1,
        }
    }

    /// The priced part in dollars.
    pub fn priced_usd(&self) -> f64 {
        self.picodollars as f64 / PICODOLLARS_PER_USD
    }

    /// The total in dollars; `None` when a call had no price (the total is not known).
    pub fn usd(&self) -> Option<f64> {
        (self.unpriced_calls == 0).then(|| self.priced_usd())
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Cost) {
        self.picodollars = self.picodollars.saturating_add(other.picodollars);
        self.unpriced_calls = self.unpriced_calls.saturating_add(other.unpriced_calls);
    }
}

/// Token counts, cost and response-cache hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "UsageJson", from = "UsageJson")]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Prompt tokens served from the provider's prompt cache; for an answer from blockforge's
    /// response cache, the input and output tokens of the original call (its input and output
    /// count 0).
    pub cached_tokens: u64,
    /// Dollar cost.
    pub cost: Cost,
    /// Calls answered from the response cache (no provider call made).
    pub cache_hits: u64,
}

impl Usage {
    /// Usage with these token counts, no cost and no cache hit.
    pub fn tokens(input_tokens: u64, output_tokens: u64, cached_tokens: u64) -> Self {
        Usage {
            input_tokens,
            output_tokens,
            cached_tokens,
            ..Usage::default()
        }
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Usage) {
        // Counts come from providers: saturate rather than overflow.
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cached_tokens = self.cached_tokens.saturating_add(other.cached_tokens);
        self.cost.add(&other.cost);
        self.cache_hits = self.cache_hits.saturating_add(other.cache_hits);
    }

    /// Input plus output tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.add(&other);
    }
}

/// Usage per model: the name the provider answered with (for a failed call, the name the block
/// asked for, or `default`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ModelUsage(pub std::collections::BTreeMap<String, Usage>);

impl ModelUsage {
    /// Adds one call's `usage` under `model`.
    pub fn add_call(&mut self, model: &str, usage: &Usage) {
        self.0.entry(model.to_owned()).or_default().add(usage);
    }

    /// Adds every model of `other` into `self`.
    pub fn add(&mut self, other: &ModelUsage) {
        for (model, usage) in &other.0 {
            self.add_call(model, usage);
        }
    }

    /// Whether no model was called.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How usage reads in JSON: the cost in dollars (`null` when a call had no price).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Usage)]
struct UsageJson {
    /// Prompt tokens.
    input_tokens: u64,
    /// Completion tokens.
    output_tokens: u64,
    /// Prompt tokens served from a cache (for response-cache hits: the original call's tokens).
    cached_tokens: u64,
    /// Cost in US dollars; `null` when a call went to a model without a price.
    #[serde(default)]
    cost: Option<f64>,
    /// Calls to models without a price.
    #[serde(default)]
    unpriced_calls: u64,
    /// Calls answered from the response cache.
    #[serde(default)]
    cache_hits: u64,
}

impl utoipa::PartialSchema for Usage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <UsageJson as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Usage {
    fn name() -> std::borrow::Cow<'static, str> {
        <UsageJson as utoipa::ToSchema>::name()
    }
}

impl From<Usage> for UsageJson {
    fn from(usage: Usage) -> Self {
        UsageJson {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_tokens: usage.cached_tokens,
            cost: usage.cost.usd(),
            unpriced_calls: usage.cost.unpriced_calls,
            cache_hits: usage.cache_hits,
        }
    }
}

impl From<UsageJson> for Usage {
    fn from(json: UsageJson) -> Self {
        let dollars = json.cost.filter(|c| c.is_finite() && *c >= 0.0);
        Usage {
            input_tokens: json.input_tokens,
            output_tokens: json.output_tokens,
            cached_tokens: json.cached_tokens,
            cost: Cost {
                picodollars: dollars.map_or(0, |d| (d * PICODOLLARS_PER_USD).round() as u64),
                unpriced_calls: json.unpriced_calls,
            },
            cache_hits: json.cache_hits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_sum_exactly_and_an_unpriced_call_makes_the_total_unknown() {
        let mut total = Usage::default();
        for _ in 0..3 {
            total.add(&Usage {
                cost: Cost::priced(150_000),
                ..Usage::tokens(1, 0, 0)
            });
        }
        assert_eq!(total.cost.picodollars, 450_000);
        assert_eq!(total.cost.usd(), Some(450_000.0 / 1e12));
        total.add(&Usage {
            cost: Cost::unpriced(),
            ..Usage::default()
        });
        assert_eq!(total.cost.usd(), None);
        assert_eq!(total.cost.priced_usd(), 450_000.0 / 1e12);
        let json = serde_json::to_value(total).unwrap();
        assert_eq!(json["cost"], serde_json::Value::Null);
        assert_eq!(json["unpriced_calls"], 1);
        assert_eq!(json["input_tokens"], 3);
    }

    #[test]
    fn json_round_trips() {
        let usage = Usage {
            cost: Cost::priced(2_500_000_000),
            cache_hits: 2,
            ..Usage::tokens(10, 20, 5)
        };
        let json = serde_json::to_value(usage).unwrap();
        assert_eq!(json["cost"], 0.0025);
        let back: Usage = serde_json::from_value(json).unwrap();
        assert_eq!(back, usage);
    }

    #[test]
    fn usage_by_model_sums_per_name() {
        let mut by_model = ModelUsage::default();
        by_model.add_call("a", &Usage::tokens(1, 2, 0));
        let mut other = ModelUsage::default();
        other.add_call("a", &Usage::tokens(10, 0, 0));
        other.add_call("b", &Usage::tokens(0, 5, 0));
        by_model.add(&other);
        assert_eq!(by_model.0["a"], Usage::tokens(11, 2, 0));
        assert_eq!(by_model.0["b"], Usage::tokens(0, 5, 0));
        let json = serde_json::to_value(&by_model).unwrap();
        assert_eq!(json["a"]["input_tokens"], 11);
    }
}
