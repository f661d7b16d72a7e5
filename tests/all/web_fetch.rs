//! The `WebFetch` builtin through the real binary against a scripted site on loopback: pages
//! fetched (and turned to text by `HtmlToText`), `robots.txt` read once a job and honoured,
//! 429/5xx retried with backoff and `Retry-After`, content types and sizes refused, a failed
//! fetch recorded instead of failing the run when asked; and URL seed files.

use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

use crate::loopback_site::{Reply, Site};

/// A grants file giving `web_fetch` the `http` capability to 127.0.0.1 with `limits`.
pub fn web_fetch_grant(ws: &Workspace, limits: Value) -> &'static str {
    let mut http = json!({"allow": ["127.0.0.1"]});
    if let (Some(http), Some(limits)) = (http.as_object_mut(), limits.as_object()) {
        http.extend(limits.clone());
    }
    let grant = json!({"web_fetch": {"capabilities": ["http", "kv", "log"], "models": [],
                                     "http": http}});
    ws.write("grants.json", &grant.to_string());
    "grants.json"
}

/// Runs `blocks` over one seed per URL of `urls`, one run at a time: the records, in order.
async fn run(urls: &[String], blocks: Value) -> Vec<Value> {
    let ws = Workspace::new();
    let grants = web_fetch_grant(&ws, json!({"per_host_per_minute": 6000}));
    let pipeline = json!({"name": "w", "blocks": blocks});
    let seeds: Vec<Value> = urls
        .iter()
        .map(|u| json!({"metadata": {"url": u}}))
        .collect();
    let (out, mut records) = ws
        .run_pipeline(
            &pipeline.to_string(),
            &Value::Array(seeds),
            &["--grants", grants, "--concurrency", "1"],
        )
        .await;
    assert_eq!(records.len(), urls.len(), "{}", out.stderr);
    records.sort_by_key(|r| r["seed_index"].as_u64());
    records
}

/// A WebFetch step with `config`.
fn web_fetch(config: Value) -> Value {
    json!([{"type": "WebFetch", "config": config}])
}

fn error_of(record: &Value) -> &str {
    record["error"].as_str().unwrap_or_default()
}

const PAGE: &str = "<html><head><title>Apples</title></head><body><nav>menu</nav>\
                    <main><h1>Apples</h1><p>Apples grow on trees.</p></main></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_fetched_and_turned_into_text_with_robots_txt_read_once() {
    let site = Site::start().await;
    site.robots("User-agent: *\nDisallow: /private/\n");
    site.route("/a", vec![Reply::html(PAGE)]);
    site.route("/moved", vec![Reply::redirect(301, "/a")]);
    site.route(
        "/notes.txt",
        vec![Reply::ok("text/plain; charset=utf-8", "plain notes")],
    );
    let urls = ["/a", "/moved", "/notes.txt"].map(|p| site.url(p)).to_vec();
    let blocks = json!([{"type": "WebFetch"}, {"type": "HtmlToText"}]);
    let records = run(&urls, blocks).await;
    let state = &records[0]["accumulated_state"];
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    assert_eq!(state["status"], 200);
    assert_eq!(state["final_url"], site.url("/a"));
    assert_eq!(state["content_type"], "text/html");
    assert_eq!(state["html"], PAGE);
    assert_eq!(state["text"], "# Apples\n\nApples grow on trees.");
    assert_eq!(state["title"], "Apples");
    assert_eq!(state["fetch_error"], Value::Null);
    assert!(
        state["fetched_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{state}"
    );
    // Redirects are followed by the host; the final URL is recorded.
    assert_eq!(records[1]["accumulated_state"]["final_url"], site.url("/a"));
    // A text page goes to `text`, untouched by HtmlToText's reading of an empty `html`.
    let notes = &records[2]["trace"][0]["output"];
    assert_eq!(notes["text"], "plain notes", "{}", records[2]);
    assert_eq!(notes["html"], "");
    // robots.txt was read once for the job, and its request is in the first run's trace.
    assert_eq!(site.hits("/robots.txt"), 1);
    let calls = &records[0]["trace"][0]["http_calls"];
    assert_eq!(calls[0]["url"], site.url("/robots.txt"), "{calls}");
    assert_eq!(calls[1]["url"], site.url("/a"), "{calls}");
    // The User-Agent names the block.
    let agent = &site.seen("/a")[0].headers["user-agent"];
    assert_eq!(agent, "blockforge-webfetch");
    // Bodies are never decompressed: none is asked for, and a compressed one is refused.
    assert_eq!(site.seen("/a")[0].headers["accept-encoding"], "identity");
    site.route(
        "/gz",
        vec![Reply::html(PAGE).header("content-encoding", "gzip")],
    );
    let records = run(&[site.url("/gz")], json!([{"type": "WebFetch"}])).await;
    let error = error_of(&records[0]);
    assert!(
        error.contains("Content-Encoding \"gzip\"") && error.contains("/gz"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_honoured_for_the_agent() {
    let site = Site::start().await;
    let rules = "User-agent: *\nDisallow: /private/\n\nUser-agent: PickyBot\nDisallow: /\n";
    site.robots(rules);
    site.route("/private/x", vec![Reply::html(PAGE)]);
    site.route("/open", vec![Reply::html(PAGE)]);
    let urls = vec![site.url("/private/x"), site.url("/open")];
    let records = run(&urls, web_fetch(json!({}))).await;
    assert_eq!(records[0]["status"], "failed", "{}", records[0]);
    let error = error_of(&records[0]);
    assert!(
        error.contains("robots.txt disallows") && error.contains("/private/x"),
        "{error}"
    );
    assert_eq!(records[1]["status"], "completed", "{}", records[1]);
    assert_eq!(site.hits("/private/x"), 0);
    // A redirect within the site to a disallowed page: that page is refused.
    site.route("/a", vec![Reply::redirect(301, "/private/x")]);
    let records = run(&[site.url("/a")], web_fetch(json!({}))).await;
    let error = error_of(&records[0]);
    assert!(
        error.contains("robots.txt disallows") && error.contains("/private/x"),
        "{error}"
    );
    // Another agent's group.
    let records = run(&urls[1..], web_fetch(json!({"user_agent": "PickyBot/2.0"}))).await;
    assert!(
        error_of(&records[0]).contains("\"PickyBot\""),
        "{}",
        records[0]
    );
    // Told not to, the block does not read robots.txt at all.
    let before = site.hits("/robots.txt");
    let records = run(&urls[..1], web_fetch(json!({"respect_robots": false}))).await;
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    assert_eq!(site.hits("/robots.txt"), before);
    // A site whose robots.txt answers 503 is not fetched from.
    let down = Site::start().await;
    down.route("/robots.txt", vec![Reply::status(503)]);
    down.route("/page", vec![Reply::html(PAGE)]);
    let config = json!({"max_retries": 1, "retry_base_ms": 1});
    let records = run(&[down.url("/page"), down.url("/page")], web_fetch(config)).await;
    let error = error_of(&records[0]);
    assert!(
        error.contains("robots.txt could not be read") && error.contains("503"),
        "{error}"
    );
    // The second run is refused from the kept answer, without asking again.
    let error = error_of(&records[1]);
    assert!(error.contains("503") && error.contains("kept"), "{error}");
    assert_eq!(down.hits("/robots.txt"), 2);
    assert_eq!(down.hits("/page"), 0);
    // A robots.txt that redirects too often is unavailable (RFC 9309): everything allowed.
    let looping = Site::start().await;
    looping.route("/robots.txt", vec![Reply::redirect(302, "/robots.txt")]);
    looping.route("/page", vec![Reply::html(PAGE)]);
    let records = run(&[looping.url("/page")], web_fetch(json!({}))).await;
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    assert_eq!(looping.hits("/page"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_429_and_5xx_are_retried_with_backoff_and_retry_after() {
    let site = Site::start().await;
    site.route("/robots.txt", vec![Reply::status(404)]);
    site.route(
        "/flaky",
        vec![
            Reply::status(503),
            Reply::status(429).header("retry-after", "0"),
            Reply::html(PAGE),
        ],
    );
    site.route("/down", vec![Reply::status(500)]);
    site.route(
        "/busy",
        vec![Reply::status(429).header("retry-after", "3600")],
    );
    let urls = ["/flaky", "/down", "/busy"].map(|p| site.url(p)).to_vec();
    let config = json!({"max_retries": 2, "retry_base_ms": 5, "max_retry_wait_ms": 2000});
    let records = run(&urls, web_fetch(config)).await;
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    assert_eq!(records[0]["accumulated_state"]["status"], 200);
    assert_eq!(site.hits("/flaky"), 3);
    let statuses: Vec<&Value> = records[0]["trace"][0]["http_calls"]
        .as_array()
        .map(|calls| calls.iter().map(|c| &c["status"]).collect())
        .unwrap_or_default();
    assert_eq!(statuses, [404, 503, 429, 200], "{}", records[0]);
    // Still failing after the retries: the run fails saying so.
    let error = error_of(&records[1]);
    assert!(error.contains("answered 500 after 3 attempts"), "{error}");
    assert_eq!(site.hits("/down"), 3);
    // A Retry-After beyond the allowed wait is not waited for.
    let error = error_of(&records[2]);
    assert!(
        error.contains("3600 s") && error.contains("max_retry_wait_ms"),
        "{error}"
    );
    assert_eq!(site.hits("/busy"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kv_robots_txt_is_read_each_time_and_pages_are_fetched() {
    let site = Site::start().await;
    site.robots("User-agent: *\nDisallow: /private/\n");
    site.route("/a", vec![Reply::html(PAGE)]);
    site.route("/b", vec![Reply::html(PAGE)]);
    let ws = Workspace::new();
    let grant = json!({"web_fetch": {"capabilities": ["http", "log"], "models": [],
                                     "http": {"allow": [site.authority()]}}});
    ws.write("grants.json", &grant.to_string());
    let pipeline = json!({"name": "w", "blocks": web_fetch(json!({}))});
    let seeds = json!([{"metadata": {"url": site.url("/a")}},
                       {"metadata": {"url": site.url("/b")}}]);
    let (out, records) = ws
        .run_pipeline(
            &pipeline.to_string(),
            &seeds,
            &["--grants", "grants.json", "--concurrency", "1"],
        )
        .await;
    assert_eq!(records.len(), 2, "{}", out.stderr);
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
    }
    // The cache was denied: a miss each time.
    assert_eq!(site.hits("/robots.txt"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_at_the_total_budget_and_a_slow_site_is_recorded() {
    let site = Site::start().await;
    site.route("/robots.txt", vec![Reply::status(404)]);
    site.route("/slow", vec![Reply::status(503).header("retry-after", "1")]);
    let config = json!({"max_retries": 10, "max_retry_wait_ms": 2000, "max_total_ms": 1500,
                        "fail_on_error": false});
    let records = run(&[site.url("/slow")], web_fetch(config)).await;
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    let error = records[0]["accumulated_state"]["fetch_error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("answered 503") && error.contains("max_total_ms (1500 ms)"),
        "{error}"
    );
    // One attempt and one one-second wait fit in 1.5 s; a second wait does not (a slow
    // machine may stop after the first attempt). Without the budget: 11 attempts.
    let hits = site.hits("/slow");
    assert!((1..=2).contains(&hits), "{hits}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_and_sizes_are_limited_and_failures_can_be_recorded() {
    let site = Site::start().await;
    site.route("/robots.txt", vec![Reply::status(404)]);
    site.route("/doc.pdf", vec![Reply::ok("application/pdf", "%PDF-1.7")]);
    site.route(
        "/big",
        vec![Reply::html(format!("<p>{}</p>", "x".repeat(5000)))],
    );
    site.route("/gone", vec![Reply::status(410)]);
    let urls = ["/doc.pdf", "/big", "/gone"].map(|p| site.url(p)).to_vec();
    let records = run(&urls, web_fetch(json!({"max_bytes": 1000}))).await;
    let error = error_of(&records[0]);
    assert!(
        error.contains("application/pdf") && error.contains("allowed_content_types"),
        "{error}"
    );
    let error = error_of(&records[1]);
    assert!(
        error.contains("5007 bytes") && error.contains("max_bytes (1000)"),
        "{error}"
    );
    assert!(
        error_of(&records[2]).contains("answered 410"),
        "{}",
        records[2]
    );
    // Kept as data instead: the run completes with `fetch_error`.
    let config = json!({"max_bytes": 1000, "fail_on_error": false});
    let records = run(&urls, web_fetch(config)).await;
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let state = &record["accumulated_state"];
        assert!(
            state["fetch_error"].as_str().is_some_and(|e| !e.is_empty()),
            "{state}"
        );
        assert_eq!(state["html"], "");
    }
    assert_eq!(records[2]["accumulated_state"]["status"], 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_seed_files_start_one_run_per_url() {
    let site = Site::start().await;
    site.route("/robots.txt", vec![Reply::status(404)]);
    site.route("/one", vec![Reply::html(PAGE)]);
    site.route("/two", vec![Reply::html(PAGE)]);
    let ws = Workspace::new();
    let grants = web_fetch_grant(&ws, json!({}));
    let pipeline = ws.write(
        "p.json",
        &json!({"name": "u", "blocks": web_fetch(json!({}))}).to_string(),
    );
    let list = format!(
        "# two pages\n{}\n\n{}\n",
        site.url("/one"),
        site.url("/two")
    );
    let seeds = ws.write("urls.txt", &list);
    let (out, records) = ws.run_files(&pipeline, &seeds, &["--grants", grants]).await;
    out.assert_success();
    assert_eq!(records.len(), 2, "{}", out.stderr);
    assert!(
        records.iter().all(|r| r["status"] == "completed"),
        "{records:?}"
    );
    assert_eq!((site.hits("/one"), site.hits("/two")), (1, 1));
    let csv = ws.write(
        "urls.csv",
        &format!("url,topic\n{},fruit\n", site.url("/one")),
    );
    let (out, records) = ws.run_files(&pipeline, &csv, &["--grants", grants]).await;
    out.assert_success();
    assert_eq!(records[0]["accumulated_state"]["topic"], "fruit");
    // A bad line is named, and nothing runs.
    let bad = ws.write(
        "bad.txt",
        &format!("{}\nftp://elsewhere/x\n", site.url("/one")),
    );
    let (out, records) = ws.run_files(&pipeline, &bad, &["--grants", grants]).await;
    out.assert_failure();
    assert!(records.is_empty());
    assert!(
        out.stderr.contains("bad.txt") && out.stderr.contains("line 2"),
        "{}",
        out.stderr
    );
}
