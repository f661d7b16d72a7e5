//! The bounds on a request's head (its request line and headers): what the connections
//! enforce through hyper ([`super::connections`]) and what the JSON rejections quote
//! ([`super::raw_rejections`]).

/// Headers a request may carry (hyper's default too).
pub const MAX_HEADERS: usize = 100;

/// Bytes of request line and headers a request may carry (hyper has no such bound by default,
/// only its ~400 KiB read buffer); no real client needs more than this.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
