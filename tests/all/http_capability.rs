//! The `http` capability (contract 0.2.0) over the real binary, against a real HTTP server on
//! loopback: a plugin without the grant is denied; a granted host answers and the request is
//! in the run's trace; a host outside the allow-list, a redirect to a loopback address the
//! grant does not name, and a wildcard grant reaching loopback through a DNS name are all
//! refused without the server seeing the request; a huge response is cut (`too-large`), a slow
//! one times out, and the per-host rate and per-run count fire, each naming its limit; a
//! 0.1.0 component runs beside the 0.2.0 block.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

/// A web server on loopback that counts the requests each path gets.
struct Site {
    addr: SocketAddr,
    hits: Arc<HashMap<&'static str, AtomicUsize>>,
    _server: tokio::task::JoinHandle<()>,
}

const PATHS: [&str; 4] = ["/page", "/redirect", "/huge", "/slow"];

impl Site {
    async fn start() -> Site {
        let hits: Arc<HashMap<&'static str, AtomicUsize>> =
            Arc::new(PATHS.iter().map(|p| (*p, AtomicUsize::new(0))).collect());
        let app = Router::new()
            .route("/page", get(page))
            .route("/redirect", get(redirect))
            .route("/huge", get(huge))
            .route("/slow", get(slow))
            .layer(axum::middleware::from_fn_with_state(hits.clone(), count))
            .with_state(());
        let (addr, server) = crate::loopback_site::serve_on_loopback(app).await;
        Site {
            addr,
            hits,
            _server: server,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests `path` got.
    fn hits(&self, path: &str) -> usize {
        self.hits[path].load(Ordering::SeqCst)
    }
}

async fn count(
    State(hits): State<Arc<HashMap<&'static str, AtomicUsize>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(counter) = hits.get(request.uri().path()) {
        counter.fetch_add(1, Ordering::SeqCst);
    }
    next.run(request).await
}

async fn page() -> impl IntoResponse {
    "<html><title>t</title>hello from the page</html>"
}

async fn redirect(Query(query): Query<HashMap<String, String>>) -> impl IntoResponse {
    let to = query.get("to").cloned().unwrap_or_default();
    (StatusCode::FOUND, [(header::LOCATION, to)])
}

/// 1 MiB in 64 KiB chunks, with no Content-Length: the host must cut while streaming.
async fn huge() -> impl IntoResponse {
    let chunks = (0..16).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024]));
    Body::from_stream(futures::stream::iter(chunks))
}

/// Never answers.
async fn slow() -> impl IntoResponse {
    std::future::pending::<()>().await;
    "never"
}

/// Runs `Fetcher` (as plugin `fetcher`) on `url` under the grants file `grants` (none: the
/// default grant), fetching `count` times: the run's record.
async fn fetch(url: &str, grants: Option<Value>, count: u32) -> Value {
    let ws = Workspace::new();
    std::fs::copy(fixtures::FETCHER, ws.plugins_dir().join("fetcher.wasm")).unwrap();
    let pipeline = json!({"name": "h", "blocks": [
        {"type": "Fetcher", "config": {"count": count}}]});
    let mut extra = vec!["--concurrency", "1"];
    if let Some(grants) = grants {
        ws.write("grants.json", &json!({ "fetcher": grants }).to_string());
        extra.extend(["--grants", "grants.json"]);
    }
    let seeds = json!([{"metadata": {"url": url}}]);
    let (out, records) = ws.run_pipeline(&pipeline.to_string(), &seeds, &extra).await;
    out.assert_success();
    assert_eq!(records.len(), 1, "{}", out.stderr);
    records.into_iter().next().unwrap_or_default()
}

/// A grant of `http` to the hosts `allow`, with `limits` (the `http` section's other keys).
fn http_grant(allow: &[&str], limits: Value) -> Value {
    let mut http = json!({ "allow": allow });
    if let (Some(http), Some(limits)) = (http.as_object_mut(), limits.as_object()) {
        http.extend(limits.clone());
    }
    json!({"capabilities": ["http", "log"], "models": [], "http": http})
}

/// The results the block returned.
fn results(record: &Value) -> &Vec<Value> {
    record["accumulated_state"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {record}"))
}

/// Asserts that `result` failed with `code` and a message containing every one of `words`.
fn assert_error(result: &Value, code: &str, words: &[&str]) {
    assert_eq!(result["error_code"], code, "{result}");
    let message = result["error"].as_str().unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "{word:?} not in {message:?}");
    }
}

/// Asserts that the run's first request was refused as outside the plugin's allow-list.
fn assert_outside_the_allow_list(record: &Value) {
    assert_error(
        &results(record)[0],
        "denied",
        &["not among the hosts granted"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_without_the_grant_is_denied() {
    let site = Site::start().await;
    let without = json!({"capabilities": ["log"], "models": []});
    let record = fetch(&site.url("/page"), Some(without), 1).await;
    assert_error(
        &results(&record)[0],
        "denied",
        &["`http`", "plugin fetcher"],
    );
    assert_eq!(site.hits("/page"), 0);
    // Granted the capability but no host: still nothing; and so is the default grant (the
    // harness's `PLUGIN_DEFAULT_GRANT=declared` grants every capability, but no host).
    let record = fetch(&site.url("/page"), Some(http_grant(&[], json!({}))), 1).await;
    assert_error(
        &results(&record)[0],
        "denied",
        &["127.0.0.1", "plugin fetcher"],
    );
    let record = fetch(&site.url("/page"), None, 1).await;
    assert_outside_the_allow_list(&record);
    assert_eq!(site.hits("/page"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_host_answers_and_the_request_is_in_the_trace() {
    let site = Site::start().await;
    let url = site.url("/page");
    let record = fetch(&url, Some(http_grant(&["127.0.0.1"], json!({}))), 1).await;
    let result = &results(&record)[0];
    assert_eq!(result["status"], 200, "{record}");
    assert!(
        result["body"]
            .as_str()
            .unwrap_or_default()
            .contains("hello from the page"),
        "{result}"
    );
    assert_eq!(site.hits("/page"), 1);
    let calls = &record["trace"][0]["http_calls"];
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{record}");
    assert_eq!(calls[0]["method"], "GET");
    assert_eq!(calls[0]["url"], url);
    assert_eq!(calls[0]["status"], 200);
    assert_eq!(calls[0]["bytes"], result["bytes"]);
    assert!(calls[0]["duration_ms"].as_f64().is_some(), "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_outside_the_allow_list_are_refused() {
    let site = Site::start().await;
    // Another host, the same host on another port, another path than the pattern's.
    let port = site.addr.port();
    let other_port = format!("127.0.0.1:{}", port.wrapping_add(1));
    let pattern = format!("http://127.0.0.1:{port}/docs/*");
    for allow in ["example.com", other_port.as_str(), pattern.as_str()] {
        let record = fetch(&site.url("/page"), Some(http_grant(&[allow], json!({}))), 1).await;
        assert_outside_the_allow_list(&record);
    }
    assert_eq!(site.hits("/page"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_reached_only_when_the_grant_names_it() {
    let site = Site::start().await;
    let port = site.addr.port();
    // `localhost` is named; the redirect goes to 127.0.0.1, which only the wildcard allows.
    let target = site.url("/page");
    let url = format!("http://localhost:{port}/redirect?to={target}");
    let record = fetch(&url, Some(http_grant(&["localhost", "*"], json!({}))), 1).await;
    assert_error(
        &results(&record)[0],
        "denied",
        &["127.0.0.1", "loopback", "explicitly"],
    );
    assert_eq!(site.hits("/redirect"), 1, "the first hop was sent");
    assert_eq!(site.hits("/page"), 0, "the redirect was not followed");
    let calls = &record["trace"][0]["http_calls"];
    assert_eq!(calls[0]["status"], 302, "{record}");
    // A wildcard does not reach loopback through a name that resolves to it either.
    let record = fetch(
        &format!("http://localhost:{port}/page"),
        Some(http_grant(&["*"], json!({}))),
        1,
    )
    .await;
    assert_error(&results(&record)[0], "denied", &["localhost", "loopback"]);
    assert_eq!(site.hits("/page"), 0);
    // The same redirect is followed once the grant names the target.
    let record = fetch(
        &url,
        Some(http_grant(&["localhost", "127.0.0.1"], json!({}))),
        1,
    )
    .await;
    assert_eq!(results(&record)[0]["status"], 200, "{record}");
    assert_eq!(results(&record)[0]["final_url"], target);
    assert_eq!(site.hits("/page"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_response_is_cut_and_a_slow_one_times_out() {
    let site = Site::start().await;
    let grant = http_grant(
        &["127.0.0.1"],
        json!({"max_response_bytes": 100_000, "timeout_ms": 300}),
    );
    let record = fetch(&site.url("/huge"), Some(grant.clone()), 1).await;
    assert_error(
        &results(&record)[0],
        "too-large",
        &["100000 bytes", "http.max_response_bytes"],
    );
    let calls = &record["trace"][0]["http_calls"];
    assert_eq!(calls[0]["status"], 200, "{record}");
    assert!(calls[0]["error"].as_str().is_some(), "{calls}");
    let record = fetch(&site.url("/slow"), Some(grant), 1).await;
    assert_error(
        &results(&record)[0],
        "timeout",
        &["300 ms", "http.timeout_ms"],
    );
    assert_eq!(site.hits("/slow"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_host_rate_and_the_per_run_count_fire() {
    let site = Site::start().await;
    // One request a minute: the second's slot is beyond its 30 s time limit.
    let grant = http_grant(&["127.0.0.1"], json!({"per_host_per_minute": 1}));
    let record = fetch(&site.url("/page"), Some(grant), 3).await;
    let found = results(&record);
    assert_eq!(found[0]["status"], 200, "{record}");
    for refused in &found[1..] {
        assert_error(
            refused,
            "rate-limited",
            &["http.per_host_per_minute", "127.0.0.1"],
        );
    }
    assert_eq!(site.hits("/page"), 1);
    // Two requests a run.
    let grant = http_grant(
        &["127.0.0.1"],
        json!({"per_host_per_minute": 6000, "max_requests_per_run": 2}),
    );
    let record = fetch(&site.url("/page"), Some(grant), 3).await;
    let found = results(&record);
    assert_eq!(found[0]["status"], 200, "{record}");
    assert_eq!(found[1]["status"], 200, "{record}");
    assert_error(&found[2], "limit-reached", &["http.max_requests_per_run"]);
    assert_eq!(site.hits("/page"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_component_runs_beside_a_0_2_0_block() {
    let site = Site::start().await;
    let ws = Workspace::new();
    std::fs::copy(fixtures::FETCHER, ws.plugins_dir().join("fetcher.wasm")).unwrap();
    std::fs::copy(
        fixtures::PINNED_V0_1_0,
        ws.plugins_dir().join("pinned.wasm"),
    )
    .unwrap();
    ws.write(
        "grants.json",
        &json!({"fetcher": http_grant(&["127.0.0.1"], json!({}))}).to_string(),
    );
    let pipeline = json!({"name": "v", "blocks": [{"type": "PinnedV010"}, {"type": "Fetcher"}]});
    let seeds = json!([{"metadata": {"name": "ada", "url": site.url("/page")}}]);
    let (out, records) = ws
        .run_pipeline(
            &pipeline.to_string(),
            &seeds,
            &["--grants", "grants.json", "--concurrency", "1"],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 1, "{}", out.stderr);
    let state = &records[0]["accumulated_state"];
    assert_eq!(state["greeting"], "hello ada", "{}", records[0]);
    assert_eq!(state["results"][0]["status"], 200, "{}", records[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grants_api_checks_http_entries_and_a_new_host_applies_without_a_restart() {
    use crate::api::create_pipeline;
    use crate::models_routing::call;
    use reqwest::Method;

    let site = Site::start().await;
    let ws = Workspace::new();
    std::fs::copy(fixtures::FETCHER, ws.plugins_dir().join("fetcher.wasm")).unwrap();
    let db = format!("sqlite://{}", ws.path().join("data/h.db").display());
    let server = ws.serve(&db).await;
    let path = "/api/plugins/fetcher/grants";
    let (status, shown) = call(&server, Method::GET, path, None).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{shown}");
    assert_eq!(shown["declared"], json!(["http"]), "{shown}");

    let bad = http_grant(&["ftp://example.com/*"], json!({}));
    let (status, refused) = call(&server, Method::PUT, path, Some(bad)).await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "{refused}"
    );
    assert!(refused.to_string().contains("http.allow"), "{refused}");
    let zero = http_grant(&["127.0.0.1"], json!({"timeout_ms": 0}));
    let (status, refused) = call(&server, Method::PUT, path, Some(zero)).await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "{refused}"
    );
    assert!(refused.to_string().contains("http.timeout_ms"), "{refused}");
    let wildcard = json!({"capabilities": ["http"], "models": [],
        "http": {"allow": ["intranet.corp"], "allow_private": ["*.corp"]}});
    let (status, refused) = call(&server, Method::PUT, path, Some(wildcard)).await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "{refused}"
    );
    assert!(
        refused.to_string().contains("http.allow_private"),
        "{refused}"
    );

    let pipeline = create_pipeline(
        &server,
        json!({"name": "h", "blocks": [{"type": "Fetcher"}]}),
    )
    .await;
    let execute = format!("/api/pipelines/{pipeline}/execute");
    let input = json!({"url": site.url("/page")});
    // The default grant names no host.
    let (status, answer) = call(&server, Method::POST, &execute, Some(input.clone())).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{answer}");
    assert_eq!(
        answer["result"]["results"][0]["error_code"], "denied",
        "{answer}"
    );
    assert_eq!(site.hits("/page"), 0);

    let good = http_grant(&["127.0.0.1"], json!({"timeout_ms": 5000}));
    let (status, stored) = call(&server, Method::PUT, path, Some(good)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{stored}");
    let (_, shown) = call(&server, Method::GET, path, None).await;
    assert_eq!(
        shown["grant"]["http"]["allow"],
        json!(["127.0.0.1"]),
        "{shown}"
    );
    assert_eq!(shown["grant"]["http"]["timeout_ms"], 5000, "{shown}");
    let (status, answer) = call(&server, Method::POST, &execute, Some(input)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{answer}");
    assert_eq!(answer["result"]["results"][0]["status"], 200, "{answer}");
    assert_eq!(site.hits("/page"), 1);
}

/// The trace entries of the run's first block call.
fn http_calls(record: &Value) -> &Vec<Value> {
    record["trace"][0]["http_calls"]
        .as_array()
        .unwrap_or_else(|| panic!("no http_calls: {record}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_before_sending_are_in_the_trace() {
    let site = Site::start().await;
    // Outside the allow-list.
    let record = fetch(
        &site.url("/page"),
        Some(http_grant(&["example.com"], json!({}))),
        1,
    )
    .await;
    let calls = http_calls(&record);
    assert_eq!(calls.len(), 1, "{record}");
    assert_eq!(calls[0]["url"], site.url("/page"));
    assert_eq!(calls[0]["status"], Value::Null, "{record}");
    let error = calls[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("not among the hosts granted"), "{record}");
    // Rate-limited after the first: one sent, two refused, all three traced.
    let grant = http_grant(&["127.0.0.1"], json!({"per_host_per_minute": 1}));
    let record = fetch(&site.url("/page"), Some(grant), 3).await;
    let calls = http_calls(&record);
    assert_eq!(calls.len(), 3, "{record}");
    assert_eq!(calls[0]["status"], 200, "{record}");
    for refused in &calls[1..] {
        assert_eq!(refused["status"], Value::Null, "{record}");
        let error = refused["error"].as_str().unwrap_or_default();
        assert!(error.contains("http.per_host_per_minute"), "{record}");
    }
    // A redirect to a loopback literal the grant reaches only through its wildcard.
    let port = site.addr.port();
    let target = site.url("/page");
    let url = format!("http://localhost:{port}/redirect?to={target}");
    let record = fetch(&url, Some(http_grant(&["localhost", "*"], json!({}))), 1).await;
    let calls = http_calls(&record);
    assert_eq!(calls.len(), 2, "{record}");
    assert_eq!(calls[0]["status"], 302, "{record}");
    assert_eq!(calls[1]["url"], target, "{record}");
    assert_eq!(calls[1]["status"], Value::Null, "{record}");
    let error = calls[1]["error"].as_str().unwrap_or_default();
    assert!(error.contains("loopback"), "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_secret_query_values_stay_out_of_the_trace() {
    let site = Site::start().await;
    let port = site.addr.port();
    let grant = http_grant(&["127.0.0.1"], json!({"max_response_bytes": 16}));
    let page = format!("http://user:hunter2@127.0.0.1:{port}/page?q=cats&api_key=s3cr3t");
    let huge = format!("http://user:hunter2@127.0.0.1:{port}/huge?token=s3cr3t");
    for (url, shown) in [
        (
            page,
            format!("http://127.0.0.1:{port}/page?q=cats&api_key=***"),
        ),
        (huge, format!("http://127.0.0.1:{port}/huge?token=***")),
    ] {
        let record = fetch(&url, Some(grant.clone()), 1).await;
        let calls = http_calls(&record);
        assert_eq!(calls.len(), 1, "{record}");
        assert_eq!(calls[0]["url"], shown, "{record}");
        // The calls and the error the block got (the seed itself is the block's own data).
        let error = results(&record)[0]["error"].as_str().unwrap_or_default();
        assert!(error.contains("http.max_response_bytes"), "{record}");
        let shown = format!("{} {error}", record["trace"][0]["http_calls"]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
