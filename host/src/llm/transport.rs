//! The one send loop every provider shares: wait for the model's rate limits and a
//! concurrency slot, send, classify the answer, and retry what is worth retrying.
//!
//! - 429: retried after `Retry-After` (seconds or an HTTP date, at most 60 s) or the backoff;
//!   it also lowers the model's adaptive concurrency limit.
//! - 5xx, timeouts, connection failures, a body cut off mid-way: retried after an exponential
//!   backoff with jitter, up to `max_retries` retries.
//! - other 4xx: failed at once with the provider's message.
//! - a 2xx whose body is not JSON: retried once (a truncated answer is usually a transient
//!   network or proxy fault, and a misconfigured endpoint costs one extra request), then an
//!   `InvalidResponse` error quoting the body.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::metrics::ModelState;
use super::provider::HttpRequest;
use super::retry::{backoff, parse_retry_after};
use super::{LlmError, LlmErrorKind, truncate};

/// Time and retry bounds of a model's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
}

/// What sending one request took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// HTTP attempts.
    pub attempts: u32,
    /// Time waiting for limits and in backoff.
    pub waited: Duration,
    /// The part of `waited` spent waiting for the requests- and tokens-per-minute limits.
    pub rate_waited: Duration,
    /// Tokens taken from the tokens-per-minute bucket (the estimate, once per attempt): what
    /// the caller refunds on failure or settles to the real usage.
    pub tokens_taken: u64,
}

/// Whether a failed attempt is worth another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Never,
    Once,
    UpToMax,
}

/// How the message of a request that got no answer starts.
pub const NO_ANSWER: &str = "request to ";

struct Failure {
    error: LlmError,
    retry: Retry,
    rate_limited: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn transport(url: &str, e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            LlmErrorKind::Timeout
        } else {
            LlmErrorKind::Unavailable
        };
        Failure {
            error: LlmError::new(kind, format!("{NO_ANSWER}{url} failed: {e}")),
            retry: Retry::UpToMax,
            rate_limited: false,
            retry_after: None,
        }
    }
}

/// Sends `request` for the model of `state` under its limits and `policy`; `token_estimate`
/// is what the tokens-per-minute limit is charged before each attempt (the caller refunds
/// [`Sent::tokens_taken`] on failure or settles it to the real usage); a request estimated
/// above one minute of that limit is refused unsent. Returns the answer's JSON and what
/// sending took.
pub async fn send(
    http: &reqwest::Client,
    state: &ModelState,
    policy: RetryPolicy,
    request: &HttpRequest,
    token_estimate: u64,
) -> (Result<Value, LlmError>, Sent) {
    let mut sent = Sent::default();
    let mut retried_invalid = false;
    if let Some(bucket) = &state.rates().tokens
        && let Err(too_large) = bucket.admit(token_estimate)
    {
        return (
            Err(LlmError::new(
                LlmErrorKind::BadRequest,
                too_large.to_string(),
            )),
            sent,
        );
    }
    loop {
        let waiting = Instant::now();
        let rates = state.rates();
        if let Some(bucket) = &rates.requests {
            sent.rate_waited += bucket.take(1.0).await;
        }
        if let Some(bucket) = &rates.tokens {
            sent.rate_waited += bucket.take(token_estimate as f64).await;
            sent.tokens_taken += token_estimate;
        }
        // The slot covers one attempt, not the backoff after it.
        let slot = state.limiter.acquire().await;
        let waited = waiting.elapsed();
        sent.waited += waited;
        state.count_wait(waited);
        state.count_attempt(sent.attempts > 0);
        sent.attempts += 1;
        let failure = match attempt(http, policy, request).await {
            Ok(answer) => {
                slot.succeeded();
                return (Ok(answer), sent);
            }
            Err(failure) => failure,
        };
        if failure.rate_limited {
            slot.rate_limited();
            state.count_rate_limited();
        }
        drop(slot);
        let retries = sent.attempts - 1;
        let again = retries < policy.max_retries
            && match failure.retry {
                Retry::Never => false,
                Retry::Once => !retried_invalid,
                Retry::UpToMax => true,
            };
        if !again {
            return (Err(failure.error), sent);
        }
        retried_invalid |= failure.retry == Retry::Once;
        let delay = failure.retry_after.unwrap_or_else(|| backoff(retries + 1));
        tracing::debug!(url = %request.url, attempt = sent.attempts, ?delay, error = %failure.error, "retrying LLM request");
        tokio::time::sleep(delay).await;
        sent.waited += delay;
        state.count_wait(delay);
    }
}

async fn attempt(
    http: &reqwest::Client,
    policy: RetryPolicy,
    request: &HttpRequest,
) -> Result<Value, Failure> {
    let url = request.url.as_str();
    let mut builder = http.post(url).timeout(policy.timeout).json(&request.body);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let response = builder
        .send()
        .await
        .map_err(|e| Failure::transport(url, e))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let text = response
        .text()
        .await
        .map_err(|e| Failure::transport(url, e))?;
    if !status.is_success() {
        let message = provider_message(&text);
        let (kind, retry) = match status.as_u16() {
            429 => (LlmErrorKind::RateLimited, Retry::UpToMax),
            500..=599 => (LlmErrorKind::Unavailable, Retry::UpToMax),
            _ => (LlmErrorKind::BadRequest, Retry::Never),
        };
        return Err(Failure {
            error: LlmError::new(kind, format!("{url} answered {status}: {message}")),
            retry,
            rate_limited: status.as_u16() == 429,
            retry_after,
        });
    }
    serde_json::from_str(&text).map_err(|e| Failure {
        error: LlmError::new(
            LlmErrorKind::InvalidResponse,
            format!(
                "{url} answered {status} with a body that is not JSON ({e}): {}",
                truncate(&text, 200)
            ),
        ),
        retry: Retry::Once,
        rate_limited: false,
        retry_after: None,
    })
}

/// The message of an error body: `error.message` (OpenAI, Anthropic), `error` as a string
/// (Ollama), or the body itself.
pub fn provider_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| match v.get("error") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(error) => error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            None => None,
        })
        .unwrap_or_else(|| truncate(body, 500).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_messages_are_extracted() {
        assert_eq!(
            provider_message(r#"{"error": {"message": "bad model"}}"#),
            "bad model"
        );
        assert_eq!(
            provider_message(
                r#"{"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: required"}}"#
            ),
            "max_tokens: required"
        );
        assert_eq!(
            provider_message(r#"{"error": "model not found"}"#),
            "model not found"
        );
        assert_eq!(provider_message("plain"), "plain");
    }
}
