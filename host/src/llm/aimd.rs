//! The adaptive concurrency limit of one model: additive increase, multiplicative decrease.
//!
//! A 429 halves the limit (floor 1); a run of successes as long as the current limit raises
//! it by one, up to the configured maximum. Requests already in flight when the limit was cut
//! answer 429 too, for the same overload: only the first 429 of a window counts, so a burst
//! of rejections halves the limit once, not once per request (`epoch` tells the windows apart).

/// The controller's state (pure: no clock, no locking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aimd {
    max: usize,
    limit: usize,
    successes: usize,
    epoch: u64,
}

impl Aimd {
    /// A controller at its maximum `max` (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Aimd {
            max,
            limit: max,
            successes: 0,
            epoch: 0,
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The configured maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The current window; a request remembers it when it starts.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A new maximum (a changed config): the limit starts over at it.
    pub fn set_max(&mut self, max: usize) {
        *self = Aimd {
            epoch: self.epoch + 1,
            ..Aimd::new(max)
        };
    }

    /// A request succeeded; true when the limit went up.
    pub fn on_success(&mut self) -> bool {
        if self.limit >= self.max {
            return false;
        }
        self.successes += 1;
        if self.successes < self.limit {
            return false;
        }
        self.limit += 1;
        self.successes = 0;
        true
    }

    /// A request started in window `started` was rate limited; true when the limit went down.
    pub fn on_rate_limited(&mut self, started: u64) -> bool {
        if started != self.epoch {
            return false;
        }
        self.epoch += 1;
        self.successes = 0;
        let halved = (self.limit / 2).max(1);
        let lowered = halved < self.limit;
        self.limit = halved;
        lowered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_on_429_once_per_window_and_floors_at_one() {
        let mut aimd = Aimd::new(8);
        let window = aimd.epoch();
        assert!(aimd.on_rate_limited(window));
        assert_eq!(aimd.limit(), 4);
        // Requests of the same window that also got 429 do not cut again.
        assert!(!aimd.on_rate_limited(window));
        assert_eq!(aimd.limit(), 4);
        assert!(aimd.on_rate_limited(aimd.epoch()));
        assert!(aimd.on_rate_limited(aimd.epoch()));
        assert_eq!(aimd.limit(), 1);
        assert!(!aimd.on_rate_limited(aimd.epoch()), "floor 1");
        assert_eq!(aimd.limit(), 1);
    }

    #[test]
    fn recovers_by_one_per_run_of_successes_up_to_the_maximum() {
        let mut aimd = Aimd::new(4);
        aimd.on_rate_limited(aimd.epoch());
        assert_eq!(aimd.limit(), 2);
        assert!(!aimd.on_success());
        assert!(aimd.on_success(), "two successes at limit 2");
        assert_eq!(aimd.limit(), 3);
        let increases = (0..20).filter(|_| aimd.on_success()).count();
        assert_eq!(increases, 1);
        assert_eq!(aimd.limit(), 4, "never above the maximum");
        // A 429 resets the run of successes.
        aimd.on_rate_limited(aimd.epoch());
        aimd.on_success();
        aimd.on_rate_limited(aimd.epoch());
        assert_eq!(aimd.limit(), 1);
        assert!(aimd.on_success());
        assert_eq!(aimd.limit(), 2);
    }

    #[test]
    fn a_new_maximum_starts_over() {
        let mut aimd = Aimd::new(8);
        aimd.on_rate_limited(aimd.epoch());
        aimd.set_max(3);
        assert_eq!((aimd.limit(), aimd.max()), (3, 3));
        aimd.set_max(0);
        assert_eq!(aimd.limit(), 1);
    }
}
