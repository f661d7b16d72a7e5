//! The adaptive concurrency limit of one model: additive increase, multiplicative decrease.
//!
//! A 429 halves the limit (floor 1); each answer raises it by one, up to the configured
//! maximum, so the limit climbs back as fast as answers come once the provider accepts again.
//! Requests already in flight when the limit was cut answer 429 too, for the same overload:
//! only a request started after the last cut can cut again (`epoch` tells the windows apart),
//! and cuts are at least [`MIN_CUT_INTERVAL`] apart. Without that interval a provider that
//! answers a steady share of 429s whatever the load (a storm) would halve the limit every few
//! requests and leave it at 1–2, with the job crawling long after the storm ends.

use std::time::{Duration, Instant};

/// Least time between two cuts of the limit.
pub const MIN_CUT_INTERVAL: Duration = Duration::from_secs(1);

/// The controller's state (pure: the caller says what time it is; no locking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aimd {
    max: usize,
    limit: usize,
    epoch: u64,
    last_cut: Option<Instant>,
}

impl Aimd {
    /// A controller at its maximum `max` (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Aimd {
            max,
            limit: max,
            epoch: 0,
            last_cut: None,
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
        self.limit += 1;
        true
    }

    /// A request started in window `started` was rate limited at `now`; true when the limit
    /// went down.
    pub fn on_rate_limited(&mut self, started: u64, now: Instant) -> bool {
        if started != self.epoch
            || self
                .last_cut
                .is_some_and(|cut| now.saturating_duration_since(cut) < MIN_CUT_INTERVAL)
        {
            return false;
        }
        self.epoch += 1;
        self.last_cut = Some(now);
        let halved = (self.limit / 2).max(1);
        let lowered = halved < self.limit;
        self.limit = halved;
        lowered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn halves_on_429_once_per_window_and_floors_at_one() {
        let start = Instant::now();
        let mut aimd = Aimd::new(8);
        let window = aimd.epoch();
        assert!(aimd.on_rate_limited(window, start));
        assert_eq!(aimd.limit(), 4);
        // Requests of the same window that also got 429 do not cut again.
        assert!(!aimd.on_rate_limited(window, start + 2 * SECOND));
        assert_eq!(aimd.limit(), 4);
        assert!(aimd.on_rate_limited(aimd.epoch(), start + 2 * SECOND));
        assert!(aimd.on_rate_limited(aimd.epoch(), start + 4 * SECOND));
        assert_eq!(aimd.limit(), 1);
        assert!(
            !aimd.on_rate_limited(aimd.epoch(), start + 6 * SECOND),
            "floor 1"
        );
        assert_eq!(aimd.limit(), 1);
    }

    #[test]
    fn cuts_are_a_second_apart_however_many_429s_come() {
        let start = Instant::now();
        let mut aimd = Aimd::new(64);
        // A storm: 3 answers in 10 are 429 whatever the load, 1,000 answers in 900 ms.
        for i in 0..1000u32 {
            let now = start + Duration::from_micros(u64::from(i) * 900);
            if i % 10 < 3 {
                aimd.on_rate_limited(aimd.epoch(), now);
            } else {
                aimd.on_success();
            }
        }
        assert_eq!(aimd.limit(), 64, "one cut, long since recovered");
    }

    #[test]
    fn the_limit_climbs_back_to_the_maximum_after_a_storm() {
        let start = Instant::now();
        let mut aimd = Aimd::new(64);
        // A long storm of nothing but 429s, one a second: down to the floor.
        for second in 0..10 {
            aimd.on_rate_limited(aimd.epoch(), start + second * SECOND);
        }
        assert_eq!(aimd.limit(), 1);
        // The storm ends: each answer raises the limit by one, to the maximum and no further.
        let increases = (0..100).filter(|_| aimd.on_success()).count();
        assert_eq!(increases, 63);
        assert_eq!(aimd.limit(), 64);
    }

    #[test]
    fn a_new_maximum_starts_over() {
        let mut aimd = Aimd::new(8);
        aimd.on_rate_limited(aimd.epoch(), Instant::now());
        aimd.set_max(3);
        assert_eq!((aimd.limit(), aimd.max()), (3, 3));
        aimd.set_max(0);
        assert_eq!(aimd.limit(), 1);
    }
}
