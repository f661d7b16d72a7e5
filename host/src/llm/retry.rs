//! When to try a failed request again, and how long to wait first.

use std::time::{Duration, SystemTime};

/// Longest wait honoured from a `Retry-After` header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// First backoff step; each retry doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(250);

/// Longest backoff step.
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// A `Retry-After` value: delay-seconds (decimals accepted) or an HTTP date, relative to
/// `now`; a date in the past is no wait. `None` when it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// The wait before retry number `retry` (1 for the first): exponential, 250 ms doubling up
/// to 10 s, with "equal jitter" (a random point in the upper half of the step), so clients
/// that failed together do not retry together.
pub fn backoff(retry: u32) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(BACKOFF_MAX);
    let half = step / 2;
    half + half.mul_f64(fastrand::f64())
}

/// Shortest pause before retrying an answer that said "later" (a 429, a 503 with
/// `Retry-After`): such answers are retried until the run's deadline, so a `Retry-After: 0`
/// (or a date in the past) must not turn into a loop of requests as fast as the provider
/// answers.
pub const MIN_LATER_PAUSE: Duration = Duration::from_millis(250);

/// The pause before retry number `retry` of an answer that said "later": its `Retry-After`
/// (at least [`MIN_LATER_PAUSE`]), else [`backoff`].
pub fn later_pause(retry_after: Option<Duration>, retry: u32) -> Duration {
    retry_after.map_or_else(|| backoff(retry), |wait| wait.max(MIN_LATER_PAUSE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 18:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 18:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 17:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past"
        );
        assert_eq!(
            parse_retry_after("3600", now),
            Some(MAX_RETRY_AFTER),
            "capped"
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for retry in 1..=3 {
            let step = BACKOFF_BASE * (1 << (retry - 1));
            let wait = backoff(retry);
            assert!(wait >= step / 2 && wait <= step, "{retry}: {wait:?}");
        }
        assert!(backoff(40) <= BACKOFF_MAX);
    }

    #[test]
    fn a_later_answer_is_never_retried_at_once() {
        assert_eq!(later_pause(Some(Duration::ZERO), 1), MIN_LATER_PAUSE);
        assert_eq!(
            later_pause(Some(Duration::from_secs(2)), 1),
            Duration::from_secs(2)
        );
        assert!(later_pause(None, 1) >= BACKOFF_BASE / 2);
    }
}
