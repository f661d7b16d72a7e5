//! [`Outbound`]: sends a block's request. Its connections are made by reqwest, with proxies
//! and automatic redirects off and a resolver that refuses reserved addresses
//! ([`super::address`]) unless the grant names an IP literal or `localhost`, or opts a host
//! name in through `http.allow_private`, so the address checked is the address connected to
//! (a DNS answer pointing at the machine itself is caught where it is used). An IP literal
//! never reaches a resolver: it is checked before sending. Redirects are followed here, each
//! hop checked against the allow-list, the address rules, the rate and the run's count like a
//! first request. URLs in the trace and in messages are [`redact`]ed.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use reqwest::Method;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::HttpCall;
use super::address::reserved_range;
use super::error::{HttpErrorCode, OutboundError};
use super::limiter::HostRateLimiter;
use super::redact::redact;
use super::redirect::{check_scheme, follow, redirect_target};
use crate::grants::{EffectiveGrant, UrlAccess};

/// Most redirects one request follows.
pub const MAX_REDIRECTS: usize = 10;

/// Largest request body a block may send.
pub const MAX_REQUEST_BODY_BYTES: usize = 16 << 20;

/// Most headers a block may send.
pub const MAX_REQUEST_HEADERS: usize = 64;

/// Headers the host sets itself.
const RESERVED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// A block's request.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// The method.
    pub method: Method,
    /// The URL, as the block wrote it.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// The answer of the last hop.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    /// Its status.
    pub status: u16,
    /// Its headers (values not UTF-8 are converted lossily).
    pub headers: Vec<(String, String)>,
    /// Its body, whole.
    pub body: Vec<u8>,
    /// Its URL.
    pub final_url: String,
}

/// What a request is checked against: the call's grant and its run's count of requests.
pub struct RequestPolicy<'a> {
    /// The call's effective grant (capability, allow-list, limits).
    pub grant: &'a EffectiveGrant,
    /// Requests the run has sent so far, over all its calls.
    pub run_requests: &'a AtomicU64,
}

/// A resolved name that resolved only to reserved addresses.
#[derive(Debug, thiserror::Error)]
#[error(
    "denied: {host} resolves to {address}, a {range} address, which a grant reaches only by naming an IP address or localhost in http.allow, or by naming the host in both http.allow and http.allow_private"
)]
struct AddressRefused {
    host: String,
    address: IpAddr,
    range: &'static str,
}

/// The resolver of the connections: the system's, with reserved addresses removed unless
/// `allow_reserved`.
struct CheckedResolver {
    allow_reserved: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_reserved = self.allow_reserved;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if allow_reserved {
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            public_addresses(host, found)
                .map(|public| Box::new(public.into_iter()) as Addrs)
                .map_err(|refused| Box::new(refused) as Box<dyn StdError + Send + Sync>)
        })
    }
}

/// The public addresses of `found` (the DNS answer for `host`), refused when it has only
/// reserved ones.
fn public_addresses(
    host: String,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, AddressRefused> {
    let (public, reserved): (Vec<SocketAddr>, Vec<SocketAddr>) = found
        .into_iter()
        .partition(|a| reserved_range(a.ip()).is_none());
    match (public.is_empty(), reserved.first()) {
        (true, Some(first)) => Err(AddressRefused {
            host,
            address: first.ip(),
            range: reserved_range(first.ip()).unwrap_or("reserved"),
        }),
        _ => Ok(public),
    }
}

/// The service behind the `http` capability. Cheap to share behind an `Arc`.
pub struct Outbound {
    /// Connections to hosts allowed through a wildcard: public addresses only.
    strict: reqwest::Client,
    /// Connections to IP literals and `localhost` the grant names, and to names it lists in
    /// `http.allow_private`: any address.
    explicit: reqwest::Client,
    limiter: HostRateLimiter,
}

fn client(allow_reserved: bool) -> Result<reqwest::Client, OutboundError> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(CheckedResolver { allow_reserved }))
        .pool_max_idle_per_host(4)
        // A block gets the bytes the server sent, `Content-Encoding` and all: decoding would
        // let a small compressed body grow past the size limit after it was checked, and
        // the block's own code can decode what it asked for. reqwest decodes only with its
        // compression features, but a dependency could turn one on for the whole build.
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .user_agent(concat!("blockforge/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            OutboundError::new(
                HttpErrorCode::Connect,
                format!("cannot build HTTP client: {e}"),
            )
        })
}

/// What one hop got: its status (if any answer came), the bytes read, and the result.
struct Hop {
    status: Option<u16>,
    bytes: u64,
    result: Result<OutboundResponse, OutboundError>,
}

impl Outbound {
    /// The service, with its two connection pools and an empty rate limiter.
    pub fn new() -> Result<Self, OutboundError> {
        Ok(Outbound {
            strict: client(false)?,
            explicit: client(true)?,
            limiter: HostRateLimiter::default(),
        })
    }

    /// Sends `request` under `policy`, following redirects; each request sent (each hop) is
    /// appended to `calls` when it starts and completed when it ends, so one cut off by the
    /// block call's end still shows.
    pub async fn send(
        &self,
        request: OutboundRequest,
        policy: &RequestPolicy<'_>,
        calls: &mut Vec<HttpCall>,
        max_calls_kept: usize,
    ) -> Result<OutboundResponse, OutboundError> {
        let limits = policy.grant.http_limits;
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let mut headers = request_headers(&request.headers)?;
        if request
            .body
            .as_ref()
            .is_some_and(|b| b.len() > MAX_REQUEST_BODY_BYTES)
        {
            return Err(OutboundError::new(
                HttpErrorCode::InvalidRequest,
                format!("the request body is above {MAX_REQUEST_BODY_BYTES} bytes"),
            ));
        }
        let mut url = parse_url(&request.url)?;
        let first = redact(&url);
        let mut method = request.method;
        let mut body = request.body;
        for hop in 0..=MAX_REDIRECTS {
            let admitted = self.admit(&url, policy, deadline).await;
            let index = calls.len();
            // A refused request is traced with its error; a sent one is marked cut off until
            // it ends.
            let pending = match &admitted {
                Ok(_) => "cut off: the block call ended while this request was pending",
                Err(refused) => refused.message.as_str(),
            };
            if index < max_calls_kept {
                calls.push(HttpCall {
                    method: method.to_string(),
                    url: redact(&url),
                    status: None,
                    bytes: 0,
                    duration_ms: 0.0,
                    error: Some(pending.to_owned()),
                });
            }
            let explicit = admitted?;
            let started = Instant::now();
            let client = if explicit {
                &self.explicit
            } else {
                &self.strict
            };
            let exchange = exchange(
                client,
                method.clone(),
                &url,
                headers.clone(),
                body.clone(),
                limits.max_response_bytes,
            );
            let hop_result = match tokio::time::timeout_at(deadline, exchange).await {
                Ok(hop) => hop,
                Err(_) => Hop {
                    status: None,
                    bytes: 0,
                    result: Err(OutboundError::new(
                        HttpErrorCode::Timeout,
                        format!(
                            "{method} {}: no complete answer within {} ms (http.timeout_ms)",
                            redact(&url),
                            limits.timeout.as_millis()
                        ),
                    )),
                },
            };
            if let Some(call) = calls.get_mut(index) {
                call.status = hop_result.status;
                call.bytes = hop_result.bytes;
                call.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                call.error = hop_result.result.as_ref().err().map(|e| e.message.clone());
            }
            let response = hop_result.result?;
            // A hop refused here (a Location that is no http(s) URL, a redirect the rules do
            // not follow) is traced too, with where it led and why.
            let mut refuse = |target: String, e: OutboundError| {
                if calls.len() < max_calls_kept {
                    calls.push(HttpCall {
                        method: method.to_string(),
                        url: target,
                        status: None,
                        bytes: 0,
                        duration_ms: 0.0,
                        error: Some(e.message.clone()),
                    });
                }
                e
            };
            let next = match redirect_target(&url, response.status, &response.headers) {
                Ok(Some(next)) => next,
                Ok(None) => return Ok(response),
                Err(e) => return Err(refuse(location_shown(&url, &response.headers), e)),
            };
            if hop == MAX_REDIRECTS {
                break;
            }
            let target = redact(&next);
            let next = follow(&url, response.status, next, method.clone(), headers, body)
                .map_err(|e| refuse(target, e))?;
            (url, method, headers, body) = (next.url, next.method, next.headers, next.body);
        }
        Err(OutboundError::new(
            HttpErrorCode::TooManyRedirects,
            format!("{first} redirected more than {MAX_REDIRECTS} times"),
        ))
    }

    /// Lets a request to `url` go: checks the grant (whether it lets the host reach reserved
    /// addresses: named explicitly and an IP literal, `localhost` or in `allow_private`),
    /// an IP literal against the reserved ranges, the run's count and the host's rate (waiting
    /// for its slot when that fits before `deadline`). Returns whether the host may reach
    /// reserved addresses.
    async fn admit(
        &self,
        url: &Url,
        policy: &RequestPolicy<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<bool, OutboundError> {
        let grant = policy.grant;
        let limits = grant.http_limits;
        let shown = redact(url);
        let denied = |message: String| OutboundError::new(HttpErrorCode::Denied, message);
        let named = grant.check_url(url).map_err(denied)? == UrlAccess::Explicit;
        let host = url.host_str().unwrap_or_default().to_owned();
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        let explicit = named && grant.may_reach_reserved(&host, literal.is_some());
        if let Some(ip) = literal
            && !explicit
            && let Some(range) = reserved_range(ip)
        {
            return Err(denied(format!(
                "denied: {shown} is at {ip}, a {range} address, which a grant reaches only by \
                 naming it explicitly (not through a wildcard)"
            )));
        }
        let sent = policy.run_requests.fetch_add(1, Ordering::SeqCst);
        if sent >= limits.max_requests_per_run {
            return Err(OutboundError::new(
                HttpErrorCode::LimitReached,
                format!(
                    "{shown}: this run has sent its {} requests (http.max_requests_per_run)",
                    limits.max_requests_per_run
                ),
            ));
        }
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let wait = self
            .limiter
            .reserve(
                &grant.plugin.to_string(),
                &host,
                limits.per_host_per_minute,
                remaining,
            )
            .map_err(|exceeded| {
                // Refused before sending: it does not count against the run.
                policy.run_requests.fetch_sub(1, Ordering::SeqCst);
                OutboundError::new(
                    HttpErrorCode::RateLimited,
                    format!(
                        "{shown}: {} may send {} requests a minute to {host} \
                         (http.per_host_per_minute); the next is free in {} ms, after this \
                         request's time limit",
                        grant.plugin,
                        limits.per_host_per_minute,
                        exceeded.wait.as_millis()
                    ),
                )
            })?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(explicit)
    }
}

/// Parses a block's URL: absolute, `http` or `https`, with a host.
fn parse_url(text: &str) -> Result<Url, OutboundError> {
    let invalid = |why: String| OutboundError::new(HttpErrorCode::InvalidUrl, why);
    let url = Url::parse(text).map_err(|e| invalid(format!("{text:?} is not a URL: {e}")))?;
    check_scheme(url)
}

/// The block's headers, checked: parseable, not reserved, not too many.
fn request_headers(headers: &[(String, String)]) -> Result<HeaderMap, OutboundError> {
    let invalid = |why: String| OutboundError::new(HttpErrorCode::InvalidRequest, why);
    if headers.len() > MAX_REQUEST_HEADERS {
        return Err(invalid(format!(
            "{} headers; a request takes at most {MAX_REQUEST_HEADERS}",
            headers.len()
        )));
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("{name:?} is not a header name")))?;
        if RESERVED_HEADERS.contains(&header.as_str()) {
            return Err(invalid(format!("header {name:?} is set by the host")));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("the value of header {name:?} is not valid")))?;
        map.append(header, value);
    }
    Ok(map)
}

/// One request and its whole answer, the body cut at `max_bytes`.
async fn exchange(
    client: &reqwest::Client,
    method: Method,
    url: &Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    max_bytes: u64,
) -> Hop {
    let mut builder = client.request(method.clone(), url.clone()).headers(headers);
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let mut response = match builder.send().await {
        Ok(response) => response,
        Err(e) => {
            return Hop {
                status: None,
                bytes: 0,
                result: Err(classify(&method, url, e)),
            };
        }
    };
    let status = response.status().as_u16();
    let too_large = |read: u64| OutboundError {
        code: HttpErrorCode::TooLarge,
        message: format!(
            "{method} {}: the response body is above {max_bytes} bytes (http.max_response_bytes); \
             cut after {read} bytes",
            redact(url)
        ),
    };
    let mut hop = Hop {
        status: Some(status),
        bytes: 0,
        result: Err(too_large(0)),
    };
    if response.content_length().is_some_and(|len| len > max_bytes) {
        return hop;
    }
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                hop.bytes += chunk.len() as u64;
                if hop.bytes > max_bytes {
                    hop.result = Err(too_large(hop.bytes));
                    return hop;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                hop.result = Err(classify(&method, url, e));
                return hop;
            }
        }
    }
    hop.result = Ok(OutboundResponse {
        status,
        headers,
        body,
        final_url: url.to_string(),
    });
    hop
}

/// The class of a reqwest failure: a refused address is `denied`, whatever reqwest wraps
/// it in.
fn classify(method: &Method, url: &Url, e: reqwest::Error) -> OutboundError {
    // reqwest's message names the URL as sent, credentials included; ours names it redacted.
    let e = e.without_url();
    let url = redact(url);
    let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<AddressRefused>() {
            return OutboundError::new(HttpErrorCode::Denied, format!("{refused} ({url})"));
        }
        source = cause.source();
    }
    let code = if e.is_timeout() {
        HttpErrorCode::Timeout
    } else if e.is_connect() || e.is_builder() || e.is_request() && !e.is_body() {
        HttpErrorCode::Connect
    } else {
        HttpErrorCode::Protocol
    };
    let mut message = format!("{method} {url}: {e}");
    let mut cause = e.source();
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    OutboundError::new(code, message)
}

/// Where a redirect's `Location` leads from `from`, as a trace shows it: redacted, or the
/// header's value quoted when it is no URL.
fn location_shown(from: &Url, headers: &[(String, String)]) -> String {
    let location = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
        .map_or("", |(_, value)| value.as_str());
    from.join(location)
        .map_or_else(|_| format!("{location:?} (not a URL)"), |to| redact(&to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_answering_only_reserved_addresses_is_refused() {
        let at = |ip: &str| SocketAddr::new(ip.parse().expect("an IP"), 0);
        let refused = public_addresses(
            "example.com".to_owned(),
            vec![at("169.254.169.254"), at("127.0.0.1")],
        )
        .expect_err("only reserved addresses");
        assert_eq!(refused.address, at("169.254.169.254").ip());
        assert!(
            refused.to_string().contains("http.allow_private"),
            "{refused}"
        );
        let kept = public_addresses(
            "example.com".to_owned(),
            vec![at("127.0.0.1"), at("93.184.216.34")],
        )
        .expect("a public address");
        assert_eq!(kept, vec![at("93.184.216.34")]);
    }
}
