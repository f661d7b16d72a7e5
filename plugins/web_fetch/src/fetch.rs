//! The fetch itself, through the host: a `GET` retried per [`RetryPolicy`] (the waits are
//! WASI sleeps, which the host does not count as CPU time), and the `robots.txt` check, its
//! file kept per site in the job's kv storage so that each site's file is read once a job
//! (runs that start together before the first one kept it may each read it). A kv failure is
//! a cache miss, logged.

use std::time::{Duration, Instant, SystemTime};

use blockforge_sdk::BlockError;
use blockforge_sdk::http::{self, HttpErrorCode, Request, Response};
use blockforge_sdk::kv::{self, Scope};
use blockforge_sdk::log;

use crate::retry::{Decision, RetryPolicy, retry_after, retryable_status};
use crate::robots::{RobotsAnswer, RobotsFile, agent_token, from_answer, robots_url};

/// Why a page was not fetched.
#[derive(Debug, Clone)]
pub struct FetchError {
    /// What happened, naming the URL and the rule or limit.
    pub message: String,
    /// The last status answered, if any.
    pub status: Option<u16>,
    /// The host's error code when the last attempt got no answer.
    pub code: Option<HttpErrorCode>,
}

impl FetchError {
    /// A failure with no answer behind it.
    pub fn new(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
            status: None,
            code: None,
        }
    }
}

impl From<BlockError> for FetchError {
    fn from(e: BlockError) -> Self {
        FetchError::new(e.message)
    }
}

/// How the block asks: its user agent and retry policy.
pub struct Fetcher<'a> {
    /// Sent as `User-Agent`; its product token is the name `robots.txt` is read for.
    pub user_agent: &'a str,
    /// When to retry.
    pub retry: RetryPolicy,
    /// When the fetch began: its attempts and waits share `retry.max_total` from then.
    pub started: Instant,
}

/// The first value of header `name`.
pub fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

impl Fetcher<'_> {
    /// `GET`s `url`, retrying 429 and 5xx answers, timeouts and failed connections; any other
    /// answer is returned as it is.
    pub fn get(&self, url: &str) -> Result<Response, FetchError> {
        let mut attempt = 0;
        let mut last = format!("GET {url} not tried");
        loop {
            if let Decision::GiveUp(message) =
                self.retry
                    .within_budget(self.started.elapsed(), Duration::ZERO, &last)
            {
                return Err(FetchError::new(message));
            }
            let request = Request::get(url)
                .header("User-Agent", self.user_agent)
                .header(
                    "Accept",
                    "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
                )
                // The host never decompresses bodies: ask for none.
                .header("Accept-Encoding", "identity");
            let (what, asked, status) = match http::send(request) {
                Ok(response) if !retryable_status(response.status) => return Ok(response),
                Ok(response) => {
                    let asked = header(&response, "retry-after")
                        .and_then(|value| retry_after(value, SystemTime::now()));
                    let what = format!("GET {url} answered {}", response.status);
                    (what, asked, Some(response.status))
                }
                Err(e) if matches!(e.code, HttpErrorCode::Timeout | HttpErrorCode::Connect) => (
                    format!("{} ({})", e.message, http::code_name(e.code)),
                    None,
                    None,
                ),
                Err(e) => {
                    return Err(FetchError {
                        message: format!("{} ({})", e.message, http::code_name(e.code)),
                        status: None,
                        code: Some(e.code),
                    });
                }
            };
            let decision = match self.retry.after(attempt, asked, &what) {
                Decision::Wait(wait) => {
                    self.retry
                        .within_budget(self.started.elapsed(), wait, &what)
                }
                give_up => give_up,
            };
            match decision {
                Decision::Wait(wait) => sleep(wait),
                Decision::GiveUp(message) => {
                    return Err(FetchError {
                        message,
                        status,
                        code: None,
                    });
                }
            }
            last = what;
            attempt += 1;
        }
    }

    /// Whether the site's `robots.txt` lets this agent fetch `url`: an error saying why not.
    pub fn check_robots(&self, url: &str) -> Result<(), FetchError> {
        let robots = robots_url(url).map_err(FetchError::new)?;
        let key = format!("web_fetch/robots/{robots}");
        // The kv storage is a cache: when it fails (not granted, over quota) the file is
        // read from the site, as on a miss, and the failure is logged.
        let kept = match kv::get(Scope::Job, &key) {
            Ok(text) => text.and_then(|text| RobotsFile::from_kept(&text)),
            Err(e) => {
                log::warn(&format!(
                    "robots.txt cache not read, so {robots} is read: {}",
                    e.message
                ));
                None
            }
        };
        let now = unix_seconds();
        let file = match kept {
            Some(RobotsFile::Unreachable {
                message,
                status,
                until,
            }) if now < until => {
                return Err(FetchError {
                    message: format!("{message} (kept for this job until {until}, Unix time)"),
                    status,
                    code: None,
                });
            }
            Some(RobotsFile::Unreachable { .. }) | None => {
                let file = self.read_robots(&robots, now);
                if let Err(e) = kv::set(Scope::Job, &key, &file.to_kept()) {
                    log::warn(&format!("{robots} not kept in the cache: {}", e.message));
                }
                if let RobotsFile::Unreachable {
                    message, status, ..
                } = file
                {
                    return Err(FetchError {
                        message,
                        status,
                        code: None,
                    });
                }
                file
            }
            Some(file) => file,
        };
        let agent = agent_token(self.user_agent);
        match file.allows(agent, url) {
            Ok(true) => Ok(()),
            Ok(false) => Err(FetchError::new(format!(
                "{robots} disallows {url} for user agent {agent:?} (respect_robots)"
            ))),
            Err(why) => Err(FetchError::new(format!("{robots}: {why}"))),
        }
    }
}

impl Fetcher<'_> {
    /// The site's `robots.txt` at `robots` as read `now` (Unix seconds): its rules, allow-all
    /// (a 4xx, or a redirect chain the host gave up on: RFC 9309's "unavailable"), or
    /// unreachable (429, 5xx or no answer after the retries) until [`UNREACHABLE_KEPT_SECS`]
    /// from now.
    fn read_robots(&self, robots: &str, now: u64) -> RobotsFile {
        let unreachable = |message: String, status: Option<u16>| RobotsFile::Unreachable {
            message,
            status,
            until: now + UNREACHABLE_KEPT_SECS,
        };
        match self.get(robots) {
            Ok(answer) => match from_answer(answer.status, &answer.body) {
                RobotsAnswer::File(file) => file,
                RobotsAnswer::Unavailable(status) => unreachable(
                    format!("{robots} answered {status}, so nothing is fetched from its site now"),
                    Some(status),
                ),
            },
            Err(e) if e.code == Some(HttpErrorCode::TooManyRedirects) => RobotsFile::AllowAll,
            Err(e) => unreachable(
                format!(
                    "{robots} could not be read, so nothing is fetched from its site: {}",
                    e.message
                ),
                e.status,
            ),
        }
    }
}

/// How long an unreachable `robots.txt` is kept before it is asked again, seconds.
pub const UNREACHABLE_KEPT_SECS: u64 = 60;

/// The wall clock, Unix seconds.
fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Waits `wait` (a WASI sleep: the guest is suspended, not spinning).
fn sleep(wait: Duration) {
    std::thread::sleep(wait);
}
