//! Requests per minute to one host, per plugin: each request reserves the next free slot of
//! its (plugin, host) pair, spaced `60 s / rate` apart. A request whose slot is further away
//! than it may wait is refused without reserving anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most (plugin, host) pairs remembered; past it, pairs whose slot has passed are forgotten.
const MAX_PAIRS: usize = 10_000;

/// The next free slot of each (plugin, host) pair.
#[derive(Debug, Default)]
pub struct HostRateLimiter {
    next_free: Mutex<HashMap<(String, String), Instant>>,
}

/// A request that would have to wait longer than it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateExceeded {
    /// How long it would have to wait.
    pub wait: Duration,
}

impl HostRateLimiter {
    /// Reserves a slot for `plugin`'s request to `host` at `per_minute` requests a minute:
    /// how long to wait for it, or [`RateExceeded`] when that is above `max_wait`.
    pub fn reserve(
        &self,
        plugin: &str,
        host: &str,
        per_minute: u64,
        max_wait: Duration,
    ) -> Result<Duration, RateExceeded> {
        let spacing =
            Duration::from_secs(60) / u32::try_from(per_minute.max(1)).unwrap_or(u32::MAX);
        let now = Instant::now();
        let mut next_free = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
        if next_free.len() >= MAX_PAIRS {
            next_free.retain(|_, slot| *slot > now);
        }
        let key = (plugin.to_owned(), host.to_owned());
        let slot = next_free.get(&key).copied().unwrap_or(now).max(now);
        let wait = slot - now;
        if wait > max_wait {
            return Err(RateExceeded { wait });
        }
        next_free.insert(key, slot + spacing);
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_per_plugin_and_host() {
        let limiter = HostRateLimiter::default();
        let hour = Duration::from_secs(3600);
        // One a minute: the first goes now, the second waits about a minute.
        assert_eq!(limiter.reserve("p", "h", 1, hour), Ok(Duration::ZERO));
        let second = limiter
            .reserve("p", "h", 1, hour)
            .expect("may wait an hour");
        assert!(second > Duration::from_secs(1), "{second:?}");
        // Refused when it may not wait that long, and nothing is reserved.
        let refused = limiter.reserve("p", "h", 1, Duration::from_secs(1));
        assert!(refused.is_err(), "{refused:?}");
        // Other hosts and other plugins have their own slots.
        assert_eq!(limiter.reserve("p", "other", 1, hour), Ok(Duration::ZERO));
        assert_eq!(limiter.reserve("q", "h", 1, hour), Ok(Duration::ZERO));
    }
}
