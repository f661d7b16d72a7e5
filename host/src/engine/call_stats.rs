//! The model requests behind a run or a job, counted from the `llm_calls` of its trace
//! entries: how many requests, HTTP attempts, retries, failures and how long they waited.

use serde::{Deserialize, Serialize};

use super::record::TraceEntry;
use crate::llm::journal::{CallStatus, LlmCall};

/// Model requests and what they took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallStats {
    /// Requests to a model (a structured-output repair is one more).
    pub requests: u64,
    /// HTTP attempts they took (a request without retries is one).
    pub attempts: u64,
    /// Attempts after a request's first (after a 429, a 5xx, a timeout...).
    pub retries: u64,
    /// Requests that failed after their attempts.
    pub failed: u64,
    /// Time spent waiting for a slot, for the rate limits and in backoff, in milliseconds.
    pub wait_ms: u64,
}

impl CallStats {
    /// The requests of every block call in `trace`.
    pub fn of_trace(trace: &[TraceEntry]) -> Self {
        Self::of_calls(trace.iter().flat_map(|entry| &entry.llm_calls))
    }

    /// The requests `calls` list.
    pub fn of_calls<'a>(calls: impl IntoIterator<Item = &'a LlmCall>) -> Self {
        let mut stats = CallStats::default();
        for call in calls {
            let attempts = u64::from(call.attempts);
            stats.add(&CallStats {
                requests: 1,
                attempts,
                retries: attempts.saturating_sub(1),
                failed: u64::from(call.status == CallStatus::Failed),
                wait_ms: call.wait_ms,
            });
        }
        stats
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &CallStats) {
        self.requests = self.requests.saturating_add(other.requests);
        self.attempts = self.attempts.saturating_add(other.attempts);
        self.retries = self.retries.saturating_add(other.retries);
        self.failed = self.failed.saturating_add(other.failed);
        self.wait_ms = self.wait_ms.saturating_add(other.wait_ms);
    }
}
