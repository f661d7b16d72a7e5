//! Rate limits of `/api` and `/metrics` requests, per client address and per API key
//! (`RATE_LIMIT_PER_ADDRESS`, `RATE_LIMIT_PER_KEY`): governor's keyed GCRA limiters, so a
//! client may send a burst of the limit's size at once and then one request per period ÷
//! size. An IPv4 client is limited by its address, an IPv6 client by its /64 network (one
//! host usually gets a whole /64, so each of its addresses is not a fresh budget; an
//! IPv4-mapped IPv6 address counts as the IPv4 address). A request over a limit gets 429 with `Retry-After` (whole seconds) and the usual
//! `{"error", "detail"}` body naming the limit.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde_json::json;

use super::ApiError;

/// So many requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period (also the largest burst).
    pub requests: NonZeroU32,
    /// The period.
    pub per: Duration,
}

/// A rate setting is not `N`, `N/s`, `N/min` or `N/h` with N ≥ 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a rate: write N (per minute), N/s, N/min or N/h, N at least 1")]
pub struct NotARate(pub String);

impl Rate {
    /// Reads `N` (per minute), `N/s`, `N/min` or `N/h`.
    pub fn parse(text: &str) -> Result<Rate, NotARate> {
        let refused = || NotARate(text.to_owned());
        let (count, unit) = text.trim().split_once('/').unwrap_or((text.trim(), "min"));
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(refused()),
        };
        let requests = count.trim().parse::<NonZeroU32>().map_err(|_| refused())?;
        Ok(Rate { requests, per })
    }

    /// The governor quota: a burst of `requests`, refilled one every `per / requests`.
    fn quota(self) -> Quota {
        let period = (self.per / self.requests.get()).max(Duration::from_nanos(1));
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(self.requests))
            .allow_burst(self.requests)
    }

    /// `120 requests per 60 s`.
    fn describe(self) -> String {
        format!("{} requests per {} s", self.requests, self.per.as_secs())
    }
}

/// The configured limits (`None`: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Per API key (`RATE_LIMIT_PER_KEY`): the `API_KEY` and each named key separately.
    pub per_key: Option<Rate>,
    /// Per client address (`RATE_LIMIT_PER_ADDRESS`), whatever key it sends.
    pub per_address: Option<Rate>,
}

/// Keys that a limiter forgets once idle; checked every this many requests.
const SWEEP_EVERY: u64 = 4096;

/// One limit and its state per key.
struct Limiter<K: std::hash::Hash + Eq + Clone> {
    rate: Rate,
    state: DefaultKeyedRateLimiter<K>,
    checks: std::sync::atomic::AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Limiter<K> {
    fn new(rate: Rate) -> Self {
        Limiter {
            rate,
            state: DefaultKeyedRateLimiter::keyed(rate.quota()),
            checks: Default::default(),
        }
    }

    /// `Err(wait)` when `key` is over the limit.
    fn check(&self, key: &K) -> Result<(), Duration> {
        let checks = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if checks % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Keys whose bucket is full again are the same as new ones: drop them.
            self.state.retain_recent();
            self.state.shrink_to_fit();
        }
        self.state
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The key an address is limited by: an IPv4 address itself, an IPv6 address's /64 network
/// (an IPv4-mapped one as its IPv4 address).
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
}

/// How a limited address is named in the 429: the address, or its /64 network.
fn address_name(key: IpAddr) -> String {
    match key {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

/// The limiters of a server.
pub struct Limiters {
    per_key: Option<Limiter<String>>,
    per_address: Option<Limiter<IpAddr>>,
}

impl Limiters {
    /// Limiters for `limits`, every key starting with a full burst.
    pub fn new(limits: RateLimits) -> Self {
        Limiters {
            per_key: limits.per_key.map(Limiter::new),
            per_address: limits.per_address.map(Limiter::new),
        }
    }

    /// Counts a request from `address` (under its [`address_key`]).
    pub fn check_address(&self, address: IpAddr) -> Result<(), Exceeded> {
        let Some(limiter) = &self.per_address else {
            return Ok(());
        };
        let key = address_key(address);
        limiter.check(&key).map_err(|wait| Exceeded {
            limit: "per_address",
            setting: "RATE_LIMIT_PER_ADDRESS",
            rate: limiter.rate,
            who: address_name(key),
            wait,
        })
    }

    /// Counts a request made with the key named `key` (a named key's name, or `API_KEY`).
    pub fn check_key(&self, key: &str) -> Result<(), Exceeded> {
        let Some(limiter) = &self.per_key else {
            return Ok(());
        };
        limiter.check(&key.to_owned()).map_err(|wait| Exceeded {
            limit: "per_key",
            setting: "RATE_LIMIT_PER_KEY",
            rate: limiter.rate,
            who: key.to_owned(),
            wait,
        })
    }
}

/// A request over a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Exceeded {
    /// `per_key` or `per_address`.
    pub limit: &'static str,
    /// The variable that sets it.
    pub setting: &'static str,
    /// The limit.
    pub rate: Rate,
    /// The key's name or the address.
    pub who: String,
    /// How long until a request would pass.
    pub wait: Duration,
}

impl Exceeded {
    /// Whole seconds to wait, at least 1 (what `Retry-After` says).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0);
        secs.max(1)
    }
}

impl IntoResponse for Exceeded {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after_secs();
        let what = if self.limit == "per_key" {
            format!("API key {:?}", self.who)
        } else {
            format!("client address {}", self.who)
        };
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "rate limit of {} per {} exceeded ({}): retry in {retry_after} s",
                self.rate.describe(),
                if self.limit == "per_key" {
                    "API key"
                } else {
                    "client address"
                },
                what
            ),
            json!({
                "limit": self.limit,
                "setting": self.setting,
                "requests": self.rate.requests.get(),
                "per_seconds": self.rate.per.as_secs(),
                "retry_after_secs": retry_after,
            }),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_per_minute_by_default_and_with_units() {
        let n = |n| NonZeroU32::new(n).unwrap();
        assert_eq!(
            Rate::parse("120").unwrap(),
            Rate {
                requests: n(120),
                per: Duration::from_secs(60)
            }
        );
        assert_eq!(
            Rate::parse(" 5/s ").unwrap(),
            Rate {
                requests: n(5),
                per: Duration::from_secs(1)
            }
        );
        assert_eq!(Rate::parse("3/h").unwrap().per, Duration::from_secs(3600));
        for bad in ["0", "-1", "x", "5/day", "", "1.5/min"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_share_a_limit_per_64_and_ipv4_per_address() {
        let limiters = Limiters::new(RateLimits {
            per_key: None,
            per_address: Some(Rate::parse("2/h").unwrap()),
        });
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        // Two addresses of one /64: one budget between them.
        limiters.check_address(ip("2001:db8:1:2::1")).unwrap();
        limiters.check_address(ip("2001:db8:1:2:ffff::9")).unwrap();
        let over = limiters
            .check_address(ip("2001:db8:1:2:abcd:1:2:3"))
            .expect_err("a third address of the same /64 is over the budget");
        assert_eq!(over.who, "2001:db8:1:2::/64");
        // The next /64 has its own.
        limiters.check_address(ip("2001:db8:1:3::1")).unwrap();
        // IPv4 addresses are limited one by one, mapped or not.
        limiters.check_address(ip("192.0.2.1")).unwrap();
        limiters.check_address(ip("::ffff:192.0.2.1")).unwrap();
        let over = limiters.check_address(ip("192.0.2.1")).unwrap_err();
        assert_eq!(over.who, "192.0.2.1");
        limiters.check_address(ip("192.0.2.2")).unwrap();
    }

    #[test]
    fn a_burst_over_the_limit_is_refused_per_key_and_others_pass() {
        let limiters = Limiters::new(RateLimits {
            per_key: Some(Rate::parse("3/h").unwrap()),
            per_address: None,
        });
        for _ in 0..3 {
            limiters.check_key("a").expect("within the burst");
        }
        let over = limiters.check_key("a").expect_err("over the burst");
        assert_eq!(over.limit, "per_key");
        // One request comes back every 20 minutes.
        assert!((1100..=1200).contains(&over.retry_after_secs()), "{over:?}");
        limiters
            .check_key("b")
            .expect("another key has its own burst");
        limiters
            .check_address("127.0.0.1".parse().unwrap())
            .expect("no address limit");
    }
}
