//! Outgoing HTTP through the host, to the hosts the operator grants the plugin. Declare
//! [`Capability::Http`](crate::Capability::Http) in the block's `info()`; every request is
//! checked against the grant (each redirect hop too), bounded in time and size, rate-limited
//! per host and shown in the run's trace.

use crate::BlockError;
use crate::bindings::blockforge::block::http as wit;

pub use wit::{Header, HttpError, HttpErrorCode, Method, Response};

/// A request, built with chained setters.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<Header>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::Get, url)
    }

    /// A request of `method` to `url`.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// Sends `request` and reads its whole answer (redirects followed by the host).
pub fn send(request: Request) -> Result<Response, HttpError> {
    wit::send(&wit::Request {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
    })
}

/// `GET`s `url`; a failure becomes a `host-call-failed` [`BlockError`] naming it.
pub fn get(url: &str) -> Result<Response, BlockError> {
    send(Request::get(url)).map_err(|e| BlockError::host(format!("http: {}", e.message)))
}

/// The name of an error's code, as the WIT spells it (`too-large`, `denied`...).
pub fn code_name(code: HttpErrorCode) -> &'static str {
    match code {
        HttpErrorCode::Denied => "denied",
        HttpErrorCode::InvalidUrl => "invalid-url",
        HttpErrorCode::InvalidRequest => "invalid-request",
        HttpErrorCode::Timeout => "timeout",
        HttpErrorCode::TooLarge => "too-large",
        HttpErrorCode::Connect => "connect",
        HttpErrorCode::RateLimited => "rate-limited",
        HttpErrorCode::LimitReached => "limit-reached",
        HttpErrorCode::TooManyRedirects => "too-many-redirects",
        HttpErrorCode::Protocol => "protocol",
    }
}
