//! Requests-per-minute and tokens-per-minute limits: a token bucket per limit.
//!
//! Written here rather than taken from `governor`: tokens per minute are only known after the
//! answer (the prompt is estimated before, the real usage charged after), which needs a
//! bucket that can go into debt and be charged or refunded later; governor's buckets cannot.
//! The bucket holds one second's worth (`per_minute / 60`, at least 1), so a limit is never
//! exceeded in any second, not only on average over a minute; a cost larger than that waits
//! for a full bucket and leaves it in debt.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// Waits until `cost` can be taken (at most a full bucket is waited for), then takes it.
    pub async fn take(&self, cost: f64) {
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
                    return;
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
        let started = Instant::now();
        bucket.take(1.0).await;
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
}
