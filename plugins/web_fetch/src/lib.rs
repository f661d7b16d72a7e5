//! `WebFetch`: the page at the URL in a state field, through the host's `http` capability
//! (the plugin's grant says which hosts; the host follows redirects within it and applies
//! its per-host rate, time and size limits). The block honours `robots.txt` ([`robots`],
//! kept per site for the job), retries 429, 5xx, timeouts and failed connections with backoff
//! and `Retry-After` ([`retry`]), and accepts only the configured content types and sizes
//! ([`content`]). HTML goes to `html` (for `HtmlToText`), other text to `text`.

pub mod content;
pub mod fetch;
pub mod retry;
pub mod robots;

use std::time::{Duration, Instant, SystemTime};

use blockforge_sdk::prelude::*;

use fetch::{FetchError, Fetcher, header};
use retry::RetryPolicy;

/// Settings of WebFetch.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// The state field holding the URL.
    #[schemars(extend("format" = "field-reference"))]
    url_field: String,
    /// Sent as `User-Agent`; its first word (before `/`) is the name robots.txt is read for.
    user_agent: String,
    /// Read the site's robots.txt (once a job) and fetch nothing it disallows.
    respect_robots: bool,
    /// Retries after a 429 or 5xx answer, a timeout or a failed connection.
    #[schemars(range(max = 10))]
    max_retries: u32,
    /// The first wait before a retry, doubled at each retry, when the server sends no
    /// Retry-After; milliseconds.
    #[schemars(range(max = 60_000))]
    retry_base_ms: u64,
    /// The longest wait before one retry, milliseconds: a longer Retry-After fails the fetch.
    #[schemars(range(max = 120_000))]
    max_retry_wait_ms: u64,
    /// The most time one fetch may take, robots.txt, attempts and waits included,
    /// milliseconds: no attempt starts and no wait begins that would pass it (one attempt
    /// is bounded by the grant's http timeout). Below the block's wall-clock limit, so a slow
    /// site fails the fetch (recorded with `fail_on_error: false`) instead of the run.
    #[schemars(range(min = 1, max = 240_000))]
    max_total_ms: u64,
    /// Media types accepted (`type/subtype` or `type/*`); another fails the fetch.
    allowed_content_types: Vec<String>,
    /// The largest body accepted, bytes (the grant's http.max_response_bytes also bounds it).
    #[schemars(range(min = 1))]
    max_bytes: u64,
    /// When false, a failed fetch does not fail the run: `fetch_error` says why and `html`
    /// and `text` are empty.
    fail_on_error: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            url_field: "url".to_owned(),
            user_agent: "blockforge-webfetch".to_owned(),
            respect_robots: true,
            max_retries: 3,
            retry_base_ms: 500,
            max_retry_wait_ms: 30_000,
            max_total_ms: 60_000,
            allowed_content_types: ["text/html", "application/xhtml+xml", "text/plain"]
                .map(str::to_owned)
                .to_vec(),
            max_bytes: 5 << 20,
            fail_on_error: true,
        }
    }
}

/// A page fetched.
struct Page {
    status: u16,
    final_url: String,
    content_type: String,
    body: String,
}

struct WebFetch;

impl Block for WebFetch {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "WebFetch",
            "Fetch the page at a URL from the state, honouring robots.txt, retrying 429/5xx with backoff: its HTML or text, status and final URL",
        )
        .category("utilities")
        .inputs(["url"])
        .outputs([
            "html",
            "text",
            "status",
            "final_url",
            "content_type",
            "fetched_at",
            "fetch_error",
        ])
        .capabilities([Capability::Http, Capability::Kv])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let config = &ctx.config;
        let url = ctx.str(&config.url_field)?.trim().to_owned();
        let fetched_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let output = Output::new().set("fetched_at", fetched_at);
        match fetch(config, &url) {
            Ok(page) => {
                let html = content::is_html(&page.content_type);
                let (html, text) = if html {
                    (page.body, String::new())
                } else {
                    (String::new(), page.body)
                };
                Ok(output
                    .set("html", html)
                    .set("text", text)
                    .set("status", page.status)
                    .set("final_url", page.final_url)
                    .set("content_type", page.content_type)
                    .set("fetch_error", Value::Null))
            }
            Err(e) if !config.fail_on_error => Ok(output
                .set("html", "")
                .set("text", "")
                .set("status", e.status)
                .set("final_url", url)
                .set("content_type", "")
                .set("fetch_error", e.message)),
            Err(e) => Err(BlockError::rejected(format!("WebFetch: {}", e.message))),
        }
    }
}

/// Fetches `url` under `config`: robots.txt, retries, status, content type and size.
fn fetch(config: &Config, url: &str) -> Result<Page, FetchError> {
    let fetcher = Fetcher {
        user_agent: &config.user_agent,
        retry: RetryPolicy {
            max_retries: config.max_retries,
            base: Duration::from_millis(config.retry_base_ms),
            max_wait: Duration::from_millis(config.max_retry_wait_ms),
            max_total: Duration::from_millis(config.max_total_ms),
        },
        started: Instant::now(),
    };
    if config.respect_robots {
        fetcher.check_robots(url)?;
    }
    let response = fetcher.get(url)?;
    let failed = |message: String| FetchError {
        message,
        status: Some(response.status),
        code: None,
    };
    if !(200..300).contains(&response.status) {
        return Err(failed(format!("GET {url} answered {}", response.status)));
    }
    // The host followed redirects: the page they led to, on this site or another, is checked
    // against its site's robots.txt too. The host's http import follows redirects itself, so
    // the hops between are checked only after the fact, through where they led.
    if config.respect_robots && response.final_url != url {
        fetcher.check_robots(&response.final_url)?;
    }
    // Asked for `identity`, a server may still compress: such a body is not text to read.
    let encoding = header(&response, "content-encoding")
        .unwrap_or_default()
        .trim();
    if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
        return Err(failed(format!(
            "{} is sent with Content-Encoding {encoding:?}, which WebFetch does not decode \
             (it asks for identity)",
            response.final_url
        )));
    }
    let content_type = content::media_type(header(&response, "content-type").unwrap_or_default());
    if !content::accepted(&content_type, &config.allowed_content_types) {
        return Err(failed(format!(
            "{} is {:?}, not one of allowed_content_types {:?}",
            response.final_url, content_type, config.allowed_content_types
        )));
    }
    let bytes = response.body.len() as u64;
    if bytes > config.max_bytes {
        return Err(failed(format!(
            "{} sent {bytes} bytes, above max_bytes ({})",
            response.final_url, config.max_bytes
        )));
    }
    Ok(Page {
        status: response.status,
        final_url: response.final_url.clone(),
        content_type,
        body: String::from_utf8_lossy(&response.body).into_owned(),
    })
}

blockforge_sdk::export_block!(WebFetch);
