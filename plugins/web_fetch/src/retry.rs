//! When to try a fetch again and how long to wait first: 429 and 5xx answers, and requests
//! that timed out or could not connect, are retried up to a number of times, waiting the
//! server's `Retry-After` (seconds or an HTTP date) when it gives one, else an exponential
//! backoff (`base`, `2 base`, `4 base`...). A wait longer than the allowed maximum is not
//! waited: the fetch fails saying so. The attempts and waits of one fetch share a total
//! budget: no attempt starts and no wait begins that would end past it. No host needed.

use std::time::{Duration, SystemTime};

/// How retries are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// The longest single wait.
    pub max_wait: Duration,
    /// The most time one fetch (its attempts and waits, robots.txt included) may take.
    pub max_total: Duration,
}

/// What to do after an attempt that may be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Wait(Duration),
    /// Stop: why.
    GiveUp(String),
}

/// Whether an answer with `status` may succeed when asked again.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The wait a `Retry-After` value asks for, read at `now`: whole seconds, or an HTTP date
/// (a date already past asks for no wait). `None` when it is neither.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl RetryPolicy {
    /// What follows failed attempt number `attempt` (0 for the first), the server having
    /// asked for `asked` (its `Retry-After`, if any); `what` names the failure in messages.
    pub fn after(&self, attempt: u32, asked: Option<Duration>, what: &str) -> Decision {
        if attempt >= self.max_retries {
            let tries = self.max_retries + 1;
            let noun = if tries == 1 { "attempt" } else { "attempts" };
            return Decision::GiveUp(format!("{what} after {tries} {noun} (max_retries)"));
        }
        let wait = match asked {
            Some(asked) if asked > self.max_wait => {
                return Decision::GiveUp(format!(
                    "{what}; the server asks to retry after {} s, longer than max_retry_wait_ms \
                     ({} ms)",
                    asked.as_secs(),
                    self.max_wait.as_millis()
                ));
            }
            Some(asked) => asked,
            None => self
                .base
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(self.max_wait),
        };
        Decision::Wait(wait)
    }

    /// Whether, `elapsed` into the fetch, waiting `wait` (zero: just starting an attempt)
    /// stays within `max_total`; `what` names the failure in the message when not.
    pub fn within_budget(&self, elapsed: Duration, wait: Duration, what: &str) -> Decision {
        if elapsed.saturating_add(wait) >= self.max_total {
            return Decision::GiveUp(format!(
                "{what}; retrying would pass max_total_ms ({} ms) for this fetch",
                self.max_total.as_millis()
            ));
        }
        Decision::Wait(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(100),
        max_wait: Duration::from_secs(2),
        max_total: Duration::from_secs(5),
    };

    #[test]
    fn no_wait_or_attempt_passes_the_total_budget() {
        let second = Duration::from_secs(1);
        assert_eq!(
            POLICY.within_budget(second, second, "503"),
            Decision::Wait(second)
        );
        for (elapsed, wait) in [(4, 1), (5, 0), (3, 3)] {
            let elapsed = Duration::from_secs(elapsed);
            match POLICY.within_budget(elapsed, Duration::from_secs(wait), "GET x answered 503") {
                Decision::GiveUp(why) => assert!(
                    why.starts_with("GET x answered 503") && why.contains("max_total_ms (5000 ms)"),
                    "{why}"
                ),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_stops_after_the_retries() {
        let waits: Vec<Decision> = (0..3).map(|a| POLICY.after(a, None, "503")).collect();
        assert_eq!(
            waits,
            [100, 200, 400].map(|ms| Decision::Wait(Duration::from_millis(ms)))
        );
        let capped = RetryPolicy {
            max_retries: 10,
            ..POLICY
        };
        assert_eq!(
            capped.after(9, None, "503"),
            Decision::Wait(Duration::from_secs(2))
        );
        match POLICY.after(3, None, "GET x answered 503") {
            Decision::GiveUp(why) => {
                assert_eq!(why, "GET x answered 503 after 4 attempts (max_retries)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_honoured_within_the_maximum() {
        assert_eq!(
            POLICY.after(0, Some(Duration::from_secs(1)), "429"),
            Decision::Wait(Duration::from_secs(1))
        );
        match POLICY.after(0, Some(Duration::from_secs(120)), "429") {
            Decision::GiveUp(why) => {
                assert!(
                    why.contains("120 s") && why.contains("max_retry_wait_ms"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Fri, 04 Dec 2026 16:00:00 GMT").expect("a date");
        assert_eq!(retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Fri, 04 Dec 2026 16:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Fri, 04 Dec 2026 15:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn only_429_and_5xx_are_retried() {
        for (status, retried) in [(429, true), (500, true), (503, true), (599, true)] {
            assert_eq!(retryable_status(status), retried, "{status}");
        }
        for status in [200, 301, 400, 403, 404, 410] {
            assert!(!retryable_status(status), "{status}");
        }
    }
}
