//! Outgoing HTTP for blocks (the `http` capability's service): one request at a time, with
//! the plugin's allow-list checked on every redirect hop, the address actually connected to
//! checked against the reserved ranges ([`address`]), the response cut at its size limit, a
//! time limit per request, a per-host rate ([`limiter`]) and a count per run. Each request
//! sent is described by an [`HttpCall`] for the run's trace.

pub mod address;
pub mod client;
pub mod error;
pub mod limiter;
pub mod redact;
pub mod redirect;

use serde::Serialize;

pub use client::{Outbound, OutboundRequest, OutboundResponse};
pub use error::{HttpErrorCode, OutboundError};
pub use redact::redact;

/// One request a block's `http` call sent (a redirect hop is one), as the trace shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpCall {
    /// The method.
    pub method: String,
    /// The URL requested, without credentials and secret query values ([`redact`]).
    pub url: String,
    /// The status answered; `None` when no answer came or the request was refused before
    /// sending.
    pub status: Option<u16>,
    /// Response body bytes read.
    pub bytes: u64,
    /// Time from sending to the end of the body (or the failure), milliseconds.
    pub duration_ms: f64,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
