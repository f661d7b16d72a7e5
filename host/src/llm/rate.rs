//! Requests-per-minute and tokens-per-minute limits: a token bucket per limit.
//!
//! Written here rather than taken from `governor`: tokens per minute are only known after the
//! answer (the prompt is estimated before, the real usage charged after), which needs a
//! bucket that can go into debt and be charged or refunded later; governor's buckets cannot.
//! The bucket holds one second's worth (`per_minute / 60`, at least 1), so a limit is never
//! exceeded in any second, not only on average over a minute; a cost larger than that waits
//! for a full bucket and leaves it in debt.
//!
//! A request estimated at more than a whole minute of the limit is refused before it takes
//! anything ([`TokenBucket::admit`]): it could only go through by putting every other caller
//! of the model in debt for minutes. What a request took is given back when it fails and
//! settled to the real usage when it is answered ([`TokenBucket::adjust`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A request larger than a minute of the tokens-per-minute limit: it is refused, unsent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request needs about {needed} tokens, more than the model's limit of {per_minute} tokens per minute; it was not sent"
)]
pub struct TooLarge {
    /// The request's estimated tokens.
    pub needed: u64,
    /// The limit.
    pub per_minute: u64,
}

/// One bucket.
pub struct TokenBucket {
    per_minute: u64,
    per_second: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket refilled at `per_minute` (at least 1).
    pub fn per_minute(per_minute: u64) -> Self {
        let per_minute = per_minute.max(1);
        let per_second = per_minute as f64 / 60.0;
        let capacity = per_second.max(1.0);
        TokenBucket {
            per_minute,
            per_second,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// The configured rate.
    pub fn rate(&self) -> u64 {
        self.per_minute
    }

    /// Whether a request costing `cost` may ever be taken: at most one minute of the limit.
    pub fn admit(&self, cost: u64) -> Result<(), TooLarge> {
        if cost > self.per_minute {
            return Err(TooLarge {
                needed: cost,
                per_minute: self.per_minute,
            });
        }
        Ok(())
    }

    /// Waits until `cost` can be taken (at most a full bucket is waited for), then takes it;
    /// returns the time waited.
    pub async fn take(&self, cost: f64) -> Duration {
        let started = Instant::now();
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let (balance, last) = &mut *state;
                let now = Instant::now();
                *balance = (*balance + now.duration_since(*last).as_secs_f64() * self.per_second)
                    .min(self.capacity);
                *last = now;
                let needed = cost.min(self.capacity);
                if *balance >= needed {
                    *balance -= cost;
                    return started.elapsed();
                }
                Duration::from_secs_f64((needed - *balance) / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Charges `delta` more (positive) or gives it back (negative), once the real cost is known.
    pub fn adjust(&self, delta: f64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 = (state.0 - delta).min(self.capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn takes_wait_for_the_refill() {
        // 600/min: 10 per second, a bucket of 10.
        let bucket = TokenBucket::per_minute(600);
        let started = Instant::now();
        for _ in 0..15 {
            bucket.take(1.0).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
        // Debt: a charge after the fact delays the next take.
        bucket.adjust(10.0);
        let waited = bucket.take(1.0).await;
        assert!(waited >= Duration::from_millis(900), "{waited:?}");
    }

    #[test]
    fn a_cost_above_one_minute_is_refused_and_takes_nothing() {
        let bucket = TokenBucket::per_minute(60_000);
        assert_eq!(bucket.admit(60_000), Ok(()));
        let refused = bucket.admit(262_145).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the request needs about 262145 tokens, more than the model's limit of 60000 tokens per minute; it was not sent"
        );
        // The bucket is still full: a full second's worth is taken at once.
        let state = bucket.state.lock().unwrap();
        assert_eq!(state.0, 1000.0);
    }

    #[tokio::test]
    async fn a_refund_gives_back_what_a_failed_request_took() {
        // 6000/min: 100 per second, a bucket of 100.
        let bucket = TokenBucket::per_minute(6000);
        assert!(bucket.take(100.0).await < Duration::from_millis(50));
        // Failed: refunded, so the next request does not wait a second.
        bucket.adjust(-100.0);
        assert!(bucket.take(100.0).await < Duration::from_millis(50));
        // Settled to a real usage of 150: 50 more owed, about half a second.
        bucket.adjust(50.0);
        let waited = bucket.take(100.0).await;
        assert!(waited >= Duration::from_millis(400), "{waited:?}");
    }
}
