//! The one send loop every provider shares: wait for the model's rate limits and a
//! concurrency slot, send, classify the answer, and retry what is worth retrying.
//!
//! - 429, and 503 with `Retry-After`: the provider says "later", not "no": retried after
//!   `Retry-After` (seconds or an HTTP date, at most 60 s) or the backoff for as long as the
//!   run's provider deadline allows ([`super::queue_time`], `LLM_RUN_DEADLINE_SECS`); a 429
//!   also lowers the model's adaptive concurrency limit.
//! - other 5xx, timeouts of an attempt (`LLM_TIMEOUT_SECS`, so a hanging request is
//!   abandoned), connection failures, a body cut off mid-way, a 2xx whose body is not JSON
//!   (truncated, an HTML error page): retried after an exponential backoff with jitter, up to
//!   `max_retries` of them in a request.
//! - other 4xx: failed at once with the provider's message.
//!
//! A run of a stored job sends each attempt only while its lease is held
//! ([`super::run_lease`]): after a stall longer than the lease, the attempt waits for the
//! runner's renewal and is refused unsent if the lease went to another worker.
//!
//! `max_retries` 0 means no retry at all (what the connection test sends). Every wait before
//! an attempt — rate limits, slot, backoff — is time queued for the provider: it is counted
//! into the block call's [`QueueTime`], which the runtime leaves out of the block's wall
//! clock, and it gives up when the run's deadline passes.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::journal::Entry;
use super::metrics::ModelState;
use super::provider::HttpRequest;
use super::queue_time::{self, DEFAULT_RUN_DEADLINE, QueueTime};
use super::retry::{backoff, later_pause, parse_retry_after};
use super::{LlmError, LlmErrorKind, truncate};

/// Time and retry bounds of a model's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Retries after failures other than "later" (429, 503 with `Retry-After`), which are
    /// retried until the run's deadline; 0: no retry at all.
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
    /// A 4xx other than 429: the request itself is wrong.
    Never,
    /// A fault: up to `max_retries` in a request.
    Bounded,
    /// The provider said "later": until the run's deadline.
    UntilDeadline,
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
            retry: Retry::Bounded,
            rate_limited: false,
            retry_after: None,
        }
    }
}

/// The error of a request whose run's deadline passed while it waited, after `last` (the
/// last attempt's failure, if one was sent).
fn deadline_passed(deadline: Instant, started: Instant, last: Option<LlmError>) -> LlmError {
    let allowed = deadline.saturating_duration_since(started).as_secs();
    let why = format!(
        "the run's deadline for waiting on the provider passed (LLM_RUN_DEADLINE_SECS; {allowed} s were left when the request started)"
    );
    match last {
        Some(last) => LlmError::new(last.kind, format!("{}; gave up: {why}", last.message)),
        None => LlmError::new(
            LlmErrorKind::Timeout,
            format!("the request was not sent: {why}"),
        ),
    }
}

/// Sends `request` for the model of `state` under its limits and `policy`; `token_estimate`
/// is what the tokens-per-minute limit is charged before each attempt (the caller refunds
/// [`Sent::tokens_taken`] on failure or settles it to the real usage); a request estimated
/// above one minute of that limit is refused unsent. `entry` is the call's journal entry,
/// updated as attempts are sent. Returns the answer's JSON and what sending took.
pub async fn send(
    http: &reqwest::Client,
    state: &ModelState,
    policy: RetryPolicy,
    request: &HttpRequest,
    token_estimate: u64,
    entry: &Entry,
) -> (Result<Value, LlmError>, Sent) {
    let mut sent = Sent::default();
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
    let started = Instant::now();
    let queue = QueueTime::current();
    let deadline = queue
        .as_ref()
        .and_then(QueueTime::deadline)
        .unwrap_or(started + DEFAULT_RUN_DEADLINE);
    let mut bounded_retries = 0u32;
    let mut later_retries = 0u32;
    let lease = queue.as_ref().and_then(QueueTime::lease);
    let mut last_error = None;
    loop {
        let waiting = Instant::now();
        let rates = state.rates();
        let queued = queue_time::waiting(queue.as_ref(), deadline, async {
            let mut rate_waited = Duration::ZERO;
            let mut tokens_taken = 0;
            if let Some(bucket) = &rates.requests {
                rate_waited += bucket.take(1.0).await;
            }
            if let Some(bucket) = &rates.tokens {
                rate_waited += bucket.take(token_estimate as f64).await;
                tokens_taken += token_estimate;
            }
            // The slot covers one attempt, not the backoff after it.
            let slot = state.limiter.acquire().await;
            // Last, right before sending: the waits above may outlast the lease.
            let held = match lease {
                Some(lease) => lease.held().await,
                None => Ok(()),
            };
            held.map(|()| (rate_waited, tokens_taken, slot))
        })
        .await;
        let waited = waiting.elapsed();
        sent.waited += waited;
        state.count_wait(waited);
        let (rate_waited, tokens_taken, slot) = match queued {
            Ok(Ok(queued)) => queued,
            Ok(Err(lost)) => {
                record(entry, &sent);
                // What this attempt took from the tokens-per-minute bucket goes back too.
                if rates.tokens.is_some() {
                    sent.tokens_taken += token_estimate;
                }
                return (
                    Err(LlmError::new(LlmErrorKind::Unavailable, lost.to_string())),
                    sent,
                );
            }
            Err(_) => {
                record(entry, &sent);
                return (Err(deadline_passed(deadline, started, last_error)), sent);
            }
        };
        sent.rate_waited += rate_waited;
        sent.tokens_taken += tokens_taken;
        state.count_attempt(sent.attempts > 0);
        sent.attempts += 1;
        record(entry, &sent);
        tracing::debug!(model = state.name(), url = %request.url, attempt = sent.attempts, "sending LLM request");
        let failure = match attempt(http, policy, request).await {
            Ok(answer) => {
                slot.succeeded();
                tracing::debug!(
                    model = state.name(),
                    attempt = sent.attempts,
                    "LLM request answered"
                );
                return (Ok(answer), sent);
            }
            Err(failure) => failure,
        };
        if failure.rate_limited {
            slot.rate_limited();
            state.count_rate_limited();
        }
        drop(slot);
        let again = policy.max_retries > 0
            && match failure.retry {
                Retry::Never => false,
                Retry::Bounded => bounded_retries < policy.max_retries,
                Retry::UntilDeadline => true,
            };
        if !again {
            return (Err(failure.error), sent);
        }
        let delay = match failure.retry {
            Retry::UntilDeadline => {
                later_retries += 1;
                later_pause(failure.retry_after, later_retries)
            }
            _ => {
                bounded_retries += 1;
                failure
                    .retry_after
                    .unwrap_or_else(|| backoff(bounded_retries))
            }
        };
        if Instant::now() + delay >= deadline {
            return (
                Err(deadline_passed(deadline, started, Some(failure.error))),
                sent,
            );
        }
        tracing::debug!(url = %request.url, attempt = sent.attempts, ?delay, error = %failure.error, "retrying LLM request");
        let paused = Instant::now();
        let slept = queue_time::waiting(queue.as_ref(), deadline, tokio::time::sleep(delay)).await;
        let waited = paused.elapsed();
        sent.waited += waited;
        state.count_wait(waited);
        last_error = Some(failure.error);
        if slept.is_err() {
            record(entry, &sent);
            return (Err(deadline_passed(deadline, started, last_error)), sent);
        }
    }
}

/// Shows the attempts and waits so far in the call's journal entry.
fn record(entry: &Entry, sent: &Sent) {
    entry.update(|call| {
        call.attempts = sent.attempts;
        call.wait_ms = u64::try_from(sent.waited.as_millis()).unwrap_or(u64::MAX);
        call.rate_wait_ms = u64::try_from(sent.rate_waited.as_millis()).unwrap_or(u64::MAX);
    });
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
            429 => (LlmErrorKind::RateLimited, Retry::UntilDeadline),
            503 if retry_after.is_some() => (LlmErrorKind::Unavailable, Retry::UntilDeadline),
            500..=599 => (LlmErrorKind::Unavailable, Retry::Bounded),
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
        retry: Retry::Bounded,
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::mpsc;

    use super::*;
    use crate::llm::journal::{self, CallStatus, LlmCall};
    use crate::llm::metrics::ModelLimits;
    use crate::llm::run_lease::RunLease;

    /// The test's side of a connection: answer it (`true`) or drop it (`false`).
    type Decide = mpsc::Sender<bool>;

    /// A provider that counts the connections it accepts and hands each to the test, which
    /// decides what becomes of it.
    async fn counting_provider() -> (String, Arc<AtomicUsize>, mpsc::Receiver<Decide>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/v1/chat/completions",
            listener.local_addr().unwrap()
        );
        let accepted = Arc::new(AtomicUsize::new(0));
        let (connections, arrived) = mpsc::channel(8);
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (decide, mut decision) = mpsc::channel(1);
                if connections.send(decide).await.is_err() {
                    return;
                }
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 64 * 1024];
                    let _ = socket.read(&mut buffer).await;
                    if decision.recv().await == Some(true) {
                        let _ = socket
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                            .await;
                    }
                });
            }
        });
        (url, accepted, arrived)
    }

    /// Sends a request to `url` from a task, under `lease`, with up to `max_retries` retries.
    fn send_under(
        url: &str,
        lease: &RunLease,
        max_retries: u32,
    ) -> tokio::task::JoinHandle<(Result<Value, LlmError>, Sent)> {
        let request = HttpRequest {
            url: url.to_owned(),
            headers: Vec::new(),
            body: serde_json::json!({"messages": []}),
        };
        let queue = QueueTime::new(None).with_lease(Some(lease.clone()));
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let limits = ModelLimits {
                max_concurrency: 4,
                rpm: None,
                tpm: None,
            };
            let state = ModelState::new("chat", "test", "openai", limits);
            let policy = RetryPolicy {
                timeout: Duration::from_secs(600),
                max_retries,
            };
            let entry = journal::open(LlmCall {
                model: "m".to_owned(),
                provider: "openai".to_owned(),
                attempts: 0,
                wait_ms: 0,
                rate_wait_ms: 0,
                duration_ms: 0.0,
                status: CallStatus::Failed,
                error: None,
            });
            queue
                .scope(send(&http, &state, policy, &request, 10, &entry))
                .await
        })
    }

    /// Waits until a request waits for `lease` to be renewed.
    async fn waited_for(lease: &RunLease) {
        while !lease.is_waited_for() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Marks `lease` lost once a request waits for it; `true` when a request went out
    /// instead (it is answered, so the send ends and the test can fail cleanly).
    async fn lose_when_waited_for(lease: &RunLease, arrived: &mut mpsc::Receiver<Decide>) -> bool {
        tokio::select! {
            decide = arrived.recv() => {
                if let Some(decide) = decide {
                    let _ = decide.send(true).await;
                }
                true
            }
            () = waited_for(lease) => {
                lease.lose();
                false
            }
        }
    }

    #[tokio::test]
    async fn a_lease_lost_while_expired_sends_nothing() {
        let (url, accepted, mut arrived) = counting_provider().await;
        // The clock says the lease expired (a stall), and the renewal then finds it lost.
        let lease = RunLease::new(Instant::now() - Duration::from_millis(1));
        let sending = send_under(&url, &lease, 3);
        let went_out = lose_when_waited_for(&lease, &mut arrived).await;
        let (answer, sent) = sending.await.unwrap();
        assert!(!went_out, "a request went out with the lease expired");
        let error = answer.unwrap_err();
        assert!(error.message.contains("lost the run's lease"), "{error:?}");
        assert_eq!(sent.attempts, 0);
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "a request went out");
    }

    #[tokio::test]
    async fn a_retry_after_the_lease_expired_waits_for_the_renewal() {
        let (url, accepted, mut arrived) = counting_provider().await;
        let lease = RunLease::new(Instant::now() + Duration::from_secs(600));
        let sending = send_under(&url, &lease, 3);
        let first = arrived.recv().await.unwrap();
        // The process stalls past the lease with the first attempt in flight; on wake-up
        // the attempt fails (here: the connection drops) and is worth a retry.
        lease.renew(Instant::now() - Duration::from_millis(1));
        first.send(false).await.unwrap();
        // The renewal finds the lease lost: the retry never goes out.
        let went_out = lose_when_waited_for(&lease, &mut arrived).await;
        let (answer, sent) = sending.await.unwrap();
        assert!(!went_out, "the retry went out with the lease expired");
        assert!(answer.is_err());
        assert_eq!(sent.attempts, 1);
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "the retry went out");

        // A renewal that keeps the lease lets the retry go.
        let lease = RunLease::new(Instant::now() + Duration::from_secs(600));
        let sending = send_under(&url, &lease, 3);
        let first = arrived.recv().await.unwrap();
        lease.renew(Instant::now() - Duration::from_millis(1));
        first.send(false).await.unwrap();
        waited_for(&lease).await;
        lease.renew(Instant::now() + Duration::from_secs(600));
        let second = arrived.recv().await.unwrap();
        second.send(true).await.unwrap();
        let (answer, sent) = sending.await.unwrap();
        assert_eq!(answer.unwrap(), serde_json::json!({}));
        assert_eq!(sent.attempts, 2);
    }

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
