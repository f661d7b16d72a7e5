//! Slots for the requests of one model: at most the [`Aimd`] limit in flight at once, shared
//! by every job and block that calls the model.

use std::sync::Mutex;

use tokio::sync::Notify;

use super::aimd::Aimd;

/// What a limiter looks like now, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LimiterSnapshot {
    /// The current (adaptive) limit.
    pub concurrency_limit: usize,
    /// The configured maximum.
    pub max_concurrency: usize,
    /// Requests in flight.
    pub in_flight: usize,
    /// The most requests ever in flight at once.
    pub max_in_flight: usize,
    /// Times a 429 lowered the limit.
    pub limit_decreases: u64,
    /// Times a run of successes raised it.
    pub limit_increases: u64,
}

struct State {
    aimd: Aimd,
    in_flight: usize,
    max_in_flight: usize,
    decreases: u64,
    increases: u64,
}

/// An adaptive concurrency limiter.
pub struct ConcurrencyLimiter {
    state: Mutex<State>,
    freed: Notify,
}

/// One request's slot; gives it back when dropped.
pub struct Slot<'a> {
    limiter: &'a ConcurrencyLimiter,
    epoch: u64,
}

impl ConcurrencyLimiter {
    /// A limiter allowing `max` requests at once (at least 1).
    pub fn new(max: usize) -> Self {
        ConcurrencyLimiter {
            state: Mutex::new(State {
                aimd: Aimd::new(max),
                in_flight: 0,
                max_in_flight: 0,
                decreases: 0,
                increases: 0,
            }),
            freed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot.
    pub async fn acquire(&self) -> Slot<'_> {
        loop {
            // Registered before the check, so a slot freed in between is not missed.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut state = self.state();
                if state.in_flight < state.aimd.limit() {
                    state.in_flight += 1;
                    state.max_in_flight = state.max_in_flight.max(state.in_flight);
                    return Slot {
                        limiter: self,
                        epoch: state.aimd.epoch(),
                    };
                }
            }
            freed.await;
        }
    }

    /// A new configured maximum (the limit starts over at it).
    pub fn set_max(&self, max: usize) {
        let mut state = self.state();
        if state.aimd.max() != max.max(1) {
            state.aimd.set_max(max);
            drop(state);
            self.freed.notify_waiters();
        }
    }

    /// The configured maximum.
    pub fn max(&self) -> usize {
        self.state().aimd.max()
    }

    /// The numbers now.
    pub fn snapshot(&self) -> LimiterSnapshot {
        let state = self.state();
        LimiterSnapshot {
            concurrency_limit: state.aimd.limit(),
            max_concurrency: state.aimd.max(),
            in_flight: state.in_flight,
            max_in_flight: state.max_in_flight,
            limit_decreases: state.decreases,
            limit_increases: state.increases,
        }
    }
}

impl Slot<'_> {
    /// The request succeeded (a step towards raising the limit).
    pub fn succeeded(&self) {
        let mut state = self.limiter.state();
        if state.aimd.on_success() {
            state.increases += 1;
            drop(state);
            self.limiter.freed.notify_one();
        }
    }

    /// The provider answered 429: lowers the limit (once per window).
    pub fn rate_limited(&self) {
        let mut state = self.limiter.state();
        if state
            .aimd
            .on_rate_limited(self.epoch, std::time::Instant::now())
        {
            state.decreases += 1;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.limiter.state().in_flight -= 1;
        self.limiter.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn never_more_in_flight_than_the_limit_and_a_429_lowers_it() {
        let limiter = Arc::new(ConcurrencyLimiter::new(3));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let slot = limiter.acquire().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    drop(slot);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let snapshot = limiter.snapshot();
        assert_eq!((snapshot.max_in_flight, snapshot.in_flight), (3, 0));
        let slot = limiter.acquire().await;
        slot.rate_limited();
        drop(slot);
        assert_eq!(limiter.snapshot().concurrency_limit, 1);
        let first = limiter.acquire().await;
        let second = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(second.is_err(), "one slot only after the 429");
        first.succeeded();
        assert_eq!(limiter.snapshot().concurrency_limit, 2);
        drop(first);
        // Answers raise it back to the maximum.
        for _ in 0..5 {
            limiter.acquire().await.succeeded();
        }
        assert_eq!(limiter.snapshot().concurrency_limit, 3);
    }
}
