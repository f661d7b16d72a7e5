//! What a foreign web page can do to a blockforge on the user's machine (no `API_KEY`):
//! nothing. Cross-origin writes are refused (403), a foreign `Host` (DNS rebinding) is refused
//! (421), and every answer carries the security headers; the UI's own requests, configured
//! origins and host names, and clients that are not browsers keep working.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use reqwest::header::{HOST, ORIGIN};
use serde_json::{Value, json};

use crate::api::{client, get_json};

fn sqlite_url(ws: &Workspace) -> String {
    format!("sqlite://{}", ws.path().join("db.sqlite").display())
}

/// A minimal pipeline body.
fn pipeline() -> Value {
    json!({"name": "p", "definition": {"blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"out": "x"}}}]}})
}

/// `method path` with `headers` (and a JSON body for writes).
async fn send(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client().request(method.clone(), server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if method == reqwest::Method::POST || method == reqwest::Method::PUT {
        request = request.json(&pipeline());
    }
    request.send().await.unwrap()
}

async fn pipeline_count(server: &Server) -> usize {
    get_json(server, "/api/pipelines")
        .await
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_writes_are_refused_and_same_origin_ones_pass() {
    let mut ws = Workspace::new();
    ws.set_env("ALLOWED_ORIGINS", "https://ui.example.com");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let own = server.base_url.clone();
    use reqwest::Method;

    // A foreign page's form post, fetch or delete: refused, naming what was refused.
    for (method, path, headers) in [
        (
            Method::POST,
            "/api/pipelines",
            vec![
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
        (Method::POST, "/api/pipelines", vec![("origin", "null")]),
        (
            Method::POST,
            "/api/pipelines",
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            Method::POST,
            "/api/generate",
            vec![("origin", "https://evil.example")],
        ),
        (
            Method::POST,
            "/api/plugins",
            vec![("origin", "https://evil.example")],
        ),
        (
            Method::PUT,
            "/api/pipelines/1",
            vec![("origin", "https://evil.example")],
        ),
        (
            Method::DELETE,
            "/api/records",
            vec![("origin", "https://evil.example")],
        ),
        (
            Method::PATCH,
            "/api/records/1",
            vec![("origin", "https://evil.example")],
        ),
        // Another port of the same host is another origin.
        (
            Method::POST,
            "/api/pipelines",
            vec![
                ("origin", "http://127.0.0.1:1"),
                ("sec-fetch-site", "same-site"),
            ],
        ),
    ] {
        let response = send(&server, method.clone(), path, &headers).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{method} {path} {headers:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "cross-origin request refused", "{body}");
        assert_eq!(body["detail"]["method"], method.as_str(), "{body}");
        assert_eq!(body["detail"]["path"], path, "{body}");
        assert_eq!(body["detail"]["setting"], "ALLOWED_ORIGINS", "{body}");
        if let Some((_, origin)) = headers.iter().find(|(name, _)| *name == "origin") {
            assert_eq!(body["detail"]["origin"], *origin, "{body}");
        }
    }
    assert_eq!(
        pipeline_count(&server).await,
        0,
        "a refused write was carried out"
    );

    // The UI's own requests, a configured origin, and clients that are not browsers.
    for headers in [
        vec![("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
        vec![("origin", own.as_str())],
        vec![("sec-fetch-site", "same-origin")],
        vec![
            ("origin", "https://ui.example.com"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![],
    ] {
        let response = send(&server, Method::POST, "/api/pipelines", &headers).await;
        assert_eq!(response.status(), StatusCode::OK, "{headers:?}");
    }
    assert_eq!(pipeline_count(&server).await, 5);

    // Reads are not writes: a foreign page gets no CORS permission to read them anyway.
    let read = send(
        &server,
        Method::GET,
        "/api/pipelines",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(read.status(), StatusCode::OK);
    assert!(read.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_servers_own_host_names_are_answered() {
    let mut ws = Workspace::new();
    ws.set_env("ALLOWED_HOSTS", "forge.example.com");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let port = server.base_url.rsplit(':').next().unwrap().to_owned();
    let with_host = |path: &str, host: String| client().get(server.url(path)).header(HOST, host);

    // A DNS-rebinding page reaches the server under its own name: refused, UI and API alike.
    for path in ["/health", "/api/pipelines", "/", "/openapi.json"] {
        let response = with_host(path, format!("rebind.evil.example:{port}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "host name not allowed", "{body}");
        assert_eq!(
            body["detail"]["host"],
            format!("rebind.evil.example:{port}")
        );
        assert_eq!(body["detail"]["setting"], "ALLOWED_HOSTS", "{body}");
    }
    // A write under a foreign name is refused too, even from "its own" origin.
    let write = client()
        .post(server.url("/api/pipelines"))
        .header(HOST, format!("rebind.evil.example:{port}"))
        .header(ORIGIN, format!("http://rebind.evil.example:{port}"))
        .json(&pipeline())
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::MISDIRECTED_REQUEST);

    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "localhost".to_owned(),
        format!("forge.example.com:{port}"),
        "FORGE.example.com".to_owned(),
    ] {
        let response = with_host("/health", host.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let ws = Workspace::new();
    let server = ws.serve(&sqlite_url(&ws)).await;
    let index = client().get(server.url("/")).send().await.unwrap();
    let html = index.text().await.unwrap();
    let asset = html
        .split(['"', '\''])
        .find(|part| part.starts_with("/assets/"))
        .map(str::to_owned);
    let mut paths = vec![
        "/".to_owned(),
        "/pipelines".to_owned(),
        "/health".to_owned(),
        "/api/pipelines".to_owned(),
        "/api/nothing-here".to_owned(),
        "/openapi.json".to_owned(),
    ];
    paths.extend(asset);
    for path in &paths {
        let response = client().get(server.url(path)).send().await.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp:?}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp:?}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
    // Refusals carry them too.
    let refused = client()
        .post(server.url("/api/pipelines"))
        .header(ORIGIN, "https://evil.example")
        .json(&pipeline())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.headers()["x-frame-options"], "DENY");
}
