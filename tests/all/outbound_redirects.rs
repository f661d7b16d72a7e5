//! Outgoing HTTP's redirect and transport rules over the real binary and real HTTP on
//! loopback (two sites: two origins): a redirect to another origin carries no credentials or
//! custom headers and never a request body (307/308), the same origin keeps both; a
//! compressed body reaches the block as sent; allow-list entries match whatever their case.

use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

use crate::loopback_site::{Reply, Site};

/// Runs `Fetcher` once on `url` with `config` (its request's method, headers, body) under a
/// grant of `allow`: the result of its request.
async fn fetch(url: &str, allow: &[&str], config: Value) -> Value {
    fetch_record(url, allow, config).await["accumulated_state"]["results"][0].clone()
}

/// Like [`fetch`], the whole record.
async fn fetch_record(url: &str, allow: &[&str], config: Value) -> Value {
    let ws = Workspace::new();
    std::fs::copy(fixtures::FETCHER, ws.plugins_dir().join("fetcher.wasm")).unwrap();
    let grant = json!({"capabilities": ["http", "log"], "models": [], "http": {"allow": allow}});
    ws.write("grants.json", &json!({ "fetcher": grant }).to_string());
    let pipeline = json!({"name": "r", "blocks": [{"type": "Fetcher", "config": config}]});
    let seeds = json!([{"metadata": {"url": url}}]);
    let (out, records) = ws
        .run_pipeline(&pipeline.to_string(), &seeds, &["--grants", "grants.json"])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 1, "{}", out.stderr);
    records[0].clone()
}

const SECRET_HEADERS: [(&str, &str); 4] = [
    ("Authorization", "Bearer s3cr3t"),
    ("Cookie", "session=s3cr3t"),
    ("X-Api-Key", "s3cr3t"),
    ("Accept", "text/plain"),
];

fn secret_headers() -> Value {
    SECRET_HEADERS
        .iter()
        .map(|(n, v)| ((*n).to_owned(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_origin_drops_credentials_and_custom_headers() {
    let (a, b) = (Site::start().await, Site::start().await);
    b.route("/landing", vec![Reply::ok("text/plain", "landed")]);
    a.route("/landing", vec![Reply::ok("text/plain", "landed")]);
    a.route("/away", vec![Reply::redirect(302, &b.url("/landing"))]);
    a.route("/near", vec![Reply::redirect(302, "/landing")]);
    let config = json!({"headers": secret_headers()});
    let result = fetch(&a.url("/away"), &["127.0.0.1"], config.clone()).await;
    assert_eq!(result["status"], 200, "{result}");
    let first = &a.seen("/away")[0].headers;
    assert_eq!(
        first.get("authorization").map(String::as_str),
        Some("Bearer s3cr3t")
    );
    assert_eq!(first.get("x-api-key").map(String::as_str), Some("s3cr3t"));
    let landed = &b.seen("/landing")[0].headers;
    for gone in ["authorization", "cookie", "x-api-key"] {
        assert!(
            !landed.contains_key(gone),
            "{gone} reached the other origin: {landed:?}"
        );
    }
    assert_eq!(landed.get("accept").map(String::as_str), Some("text/plain"));
    // The same origin keeps them.
    let result = fetch(&a.url("/near"), &["127.0.0.1"], config).await;
    assert_eq!(result["status"], 200, "{result}");
    let kept = &a.seen("/landing")[0].headers;
    for (name, value) in SECRET_HEADERS {
        let name = name.to_lowercase();
        assert_eq!(kept.get(&name).map(String::as_str), Some(value), "{kept:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_is_never_resent_to_another_origin() {
    let (a, b) = (Site::start().await, Site::start().await);
    b.route("/sink", vec![Reply::ok("text/plain", "got it")]);
    a.route("/sink", vec![Reply::ok("text/plain", "got it")]);
    for status in [307, 308] {
        a.route("/away", vec![Reply::redirect(status, &b.url("/sink"))]);
        let config = json!({"method": "post", "body": "{\"key\": \"s3cr3t\"}"});
        let record = fetch_record(&a.url("/away"), &["127.0.0.1"], config).await;
        let result = &record["accumulated_state"]["results"][0];
        assert_eq!(result["error_code"], "denied", "{result}");
        // The refused hop is in the trace, with where it led and why.
        let calls = &record["trace"][0]["http_calls"];
        assert_eq!(calls[0]["status"], status, "{calls}");
        assert_eq!(calls[1]["url"], b.url("/sink"), "{calls}");
        assert_eq!(calls[1]["error"], result["error"], "{calls}");
        let message = result["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("request body") && message.contains(&status.to_string()),
            "{message}"
        );
        assert_eq!(b.hits("/sink"), 0, "the body reached the other origin");
    }
    // To the same origin a 307 resends the method and the body, as browsers do.
    a.route("/near", vec![Reply::redirect(307, "/sink")]);
    let config = json!({"method": "put", "body": "same site"});
    let result = fetch(&a.url("/near"), &["127.0.0.1"], config).await;
    assert_eq!(result["status"], 200, "{result}");
    let sink = a.seen("/sink");
    assert_eq!(
        (sink[0].method.as_str(), sink[0].body.as_slice()),
        ("PUT", &b"same site"[..])
    );
}

/// "hello", gzip-compressed.
const HELLO_GZIP: [u8; 25] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07,
    0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_reaches_the_block_as_sent() {
    let site = Site::start().await;
    site.route(
        "/packed",
        vec![Reply::ok("text/plain", HELLO_GZIP.to_vec()).header("content-encoding", "gzip")],
    );
    let result = fetch(&site.url("/packed"), &["127.0.0.1"], json!({})).await;
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["bytes"], HELLO_GZIP.len(), "{result}");
    assert_eq!(result["headers"]["content-encoding"], "gzip", "{result}");
    // Nor does the host ask for a compressed answer on the block's behalf.
    let asked = &site.seen("/packed")[0].headers;
    assert!(!asked.contains_key("accept-encoding"), "{asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_entries_match_in_any_case() {
    let site = Site::start().await;
    site.route("/page", vec![Reply::html("<p>hi</p>")]);
    let port = site
        .url("")
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let url = format!("http://localhost:{port}/page");
    let result = fetch(&url, &["LocalHost"], json!({})).await;
    assert_eq!(result["status"], 200, "{result}");
    let pattern = format!("HTTP://LOCALHOST:{port}/**");
    let result = fetch(&url, &[pattern.as_str()], json!({})).await;
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(site.hits("/page"), 2);
}
