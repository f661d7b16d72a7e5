//! Why an outgoing request failed: its class (the WIT `http-error-code`) and a message
//! naming the URL and the rule or limit.

/// Why a request failed (the WIT `http-error-code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpErrorCode {
    /// Outside the grant, or a reserved address not named in it.
    Denied,
    /// Not an `http`/`https` URL.
    InvalidUrl,
    /// A reserved or malformed header, or a body too large.
    InvalidRequest,
    /// No complete answer in time.
    Timeout,
    /// The response body is above the limit.
    TooLarge,
    /// Not resolved or not connected.
    Connect,
    /// The per-host rate would be exceeded.
    RateLimited,
    /// The run's requests are spent.
    LimitReached,
    /// More redirects than one request follows.
    TooManyRedirects,
    /// Not valid HTTP.
    Protocol,
}

/// A failed request: its class and a message naming the URL and the rule or limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OutboundError {
    /// Class of failure.
    pub code: HttpErrorCode,
    /// What happened.
    pub message: String,
}

impl OutboundError {
    /// An error of class `code` saying `message`.
    pub(crate) fn new(code: HttpErrorCode, message: impl Into<String>) -> Self {
        OutboundError {
            code,
            message: message.into(),
        }
    }
}
