//! Why a call to the Hub failed: each error names the step it failed at and, for an answer
//! from the Hub, its status and the message the Hub gave (never the token).

/// The most of a Hub error body an error quotes.
const MAX_MESSAGE: usize = 500;

/// Why a push to the Hub failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The repository id is not `owner/name` in the Hub's characters.
    #[error(
        "{0:?} is not a Hub repository id: owner/name, each 1-96 ASCII letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..'"
    )]
    BadRepo(String),
    /// The endpoint is not a usable URL.
    #[error("the Hub endpoint {endpoint:?} is not usable: {why}")]
    BadEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why.
        why: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
    /// The Hub rejected the token (401, or 403: it may not write there).
    #[error("the Hub refused the token ({status} while {step}): {message}")]
    Unauthorized {
        /// What the push was doing.
        step: String,
        /// The status the Hub answered.
        status: u16,
        /// What the Hub said.
        message: String,
    },
    /// The Hub has no such repository (or hides it from this token).
    #[error("the Hub found no such repository (404 while {step}): {message}")]
    NotFound {
        /// What the push was doing.
        step: String,
        /// What the Hub said.
        message: String,
    },
    /// The Hub answered another error status.
    #[error("the Hub answered {status} while {step}: {message}")]
    Failed {
        /// What the push was doing.
        step: String,
        /// The status the Hub answered.
        status: u16,
        /// What the Hub said.
        message: String,
    },
    /// No answer came (connection refused, timeout, TLS).
    #[error("cannot reach the Hub at {endpoint} while {step}: {message}")]
    Unreachable {
        /// What the push was doing.
        step: String,
        /// The endpoint.
        endpoint: String,
        /// Why.
        message: String,
    },
    /// The Hub answered something its API does not document.
    #[error("unexpected answer from the Hub while {step}: {message}")]
    Malformed {
        /// What the push was doing.
        step: String,
        /// What was wrong with it.
        message: String,
    },
    /// A file to push could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl HubError {
    /// The status the Hub answered, for errors that are answers.
    pub fn hub_status(&self) -> Option<u16> {
        match self {
            HubError::Unauthorized { status, .. } | HubError::Failed { status, .. } => {
                Some(*status)
            }
            HubError::NotFound { .. } => Some(404),
            _ => None,
        }
    }

    /// The step the push failed at, when it got as far as the Hub.
    pub fn step(&self) -> Option<&str> {
        match self {
            HubError::Unauthorized { step, .. }
            | HubError::NotFound { step, .. }
            | HubError::Failed { step, .. }
            | HubError::Unreachable { step, .. }
            | HubError::Malformed { step, .. } => Some(step),
            _ => None,
        }
    }

    /// A failure to send a request at `step` to `endpoint`.
    pub(super) fn unreachable(
        step: &str,
        endpoint: &reqwest::Url,
        error: reqwest::Error,
    ) -> HubError {
        // The URL is not quoted from the error: an upload URL the Hub handed out may be
        // signed, and the endpoint says where it went.
        let error = error.without_url();
        HubError::Unreachable {
            step: step.to_owned(),
            endpoint: endpoint.to_string(),
            message: error_chain(&error),
        }
    }

    /// The error a non-success `response` at `step` means.
    pub(super) async fn refused(step: &str, response: reqwest::Response) -> HubError {
        let status = response.status().as_u16();
        // The Hub puts its reason in `X-Error-Message`, and in a JSON body's `error`.
        let header = response
            .headers()
            .get("x-error-message")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        let message = header
            .or_else(|| {
                serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            })
            .unwrap_or(body);
        let message = short(message.trim());
        let message = if message.is_empty() {
            "no reason given".to_owned()
        } else {
            message
        };
        let step = step.to_owned();
        match status {
            401 | 403 => HubError::Unauthorized {
                step,
                status,
                message,
            },
            404 => HubError::NotFound { step, message },
            _ => HubError::Failed {
                step,
                status,
                message,
            },
        }
    }
}

/// `text` cut to [`MAX_MESSAGE`] characters.
fn short(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An error with its sources, `a: b: c`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
