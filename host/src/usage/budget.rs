//! A job's token and cost budgets, enforced inside its runs.
//!
//! The job runner checks the constraints between records, which a block calling `llm` in a
//! loop would outrun. A [`JobBudget`] is shared by every run of a job (through the call scope
//! the imports see): it starts from the job's stored usage when the job (re)starts, each model
//! call is charged with its real usage, and a call made once a budget is spent is refused.
//! Runs in flight at the same moment may each finish one call past the limit; the runner's
//! own constraint check then stops the job.

use std::sync::Mutex;

use super::Usage;
use super::constraints::{ConstraintHit, Constraints};

/// A budget of the job is spent: the call was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the job's budget {} is spent: {} of {}", hit.constraint, amount(hit.constraint, hit.value), amount(hit.constraint, hit.limit))]
pub struct BudgetSpent {
    /// The constraint, its limit and what the job has spent.
    pub hit: ConstraintHit,
}

/// A token count as a whole number, a cost in dollars.
fn amount(constraint: &str, value: f64) -> String {
    if constraint == "max_total_cost" {
        format!("${value}")
    } else {
        format!("{value:.0}")
    }
}

/// What one job may still spend on model calls, shared by its runs.
#[derive(Debug)]
pub struct JobBudget {
    limits: Constraints,
    spent: Mutex<Usage>,
}

impl JobBudget {
    /// The budget of a job under `constraints` that has spent `spent` so far; `None` when the
    /// constraints set no token or cost budget (time budgets stay with the runner).
    pub fn new(constraints: &Constraints, spent: Usage) -> Option<Self> {
        let limits = Constraints {
            max_total_execution_time: None,
            ..*constraints
        };
        limits.is_limited().then(|| JobBudget {
            limits,
            spent: Mutex::new(spent),
        })
    }

    fn spent_now(&self) -> std::sync::MutexGuard<'_, Usage> {
        self.spent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Ok` while every budget has something left; else the budget that is spent.
    pub fn check(&self) -> Result<(), BudgetSpent> {
        match self.limits.check(&self.spent_now(), 0.0) {
            Some(hit) => Err(BudgetSpent { hit }),
            None => Ok(()),
        }
    }

    /// Charges a call's real usage.
    pub fn charge(&self, usage: &Usage) {
        self.spent_now().add(usage);
    }

    /// What the job has spent, as far as this budget knows.
    pub fn spent(&self) -> Usage {
        *self.spent_now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(json: &str) -> Constraints {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn no_token_or_cost_budget_means_no_job_budget() {
        assert!(JobBudget::new(&constraints("{}"), Usage::default()).is_none());
        let time_only = constraints(r#"{"max_total_execution_time": 5}"#);
        assert!(JobBudget::new(&time_only, Usage::default()).is_none());
    }

    #[test]
    fn calls_are_refused_once_the_tokens_are_spent() {
        let c = constraints(r#"{"max_total_tokens": 100}"#);
        // A restarted job starts from what it had spent.
        let budget = JobBudget::new(&c, Usage::tokens(40, 20, 0)).unwrap();
        assert_eq!(budget.check(), Ok(()));
        budget.charge(&Usage::tokens(30, 9, 0));
        assert_eq!(budget.check(), Ok(()));
        budget.charge(&Usage::tokens(2, 1, 0));
        let spent = budget.check().unwrap_err();
        assert_eq!(
            spent.to_string(),
            "the job's budget max_total_tokens is spent: 102 of 100"
        );
        assert_eq!(budget.spent().total(), 102);
    }

    #[test]
    fn a_cost_budget_is_named_in_dollars() {
        let c = constraints(r#"{"max_total_cost": 0.5}"#);
        let budget = JobBudget::new(&c, Usage::default()).unwrap();
        budget.charge(&Usage {
            cost: crate::usage::Cost {
                picodollars: 750_000_000_000,
                unpriced_calls: 0,
            },
            ..Usage::default()
        });
        assert_eq!(
            budget.check().unwrap_err().to_string(),
            "the job's budget max_total_cost is spent: $0.75 of $0.5"
        );
    }
}
