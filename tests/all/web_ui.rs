//! The web UI: served by the `blockforge` binary at `/` (the build of `web/`, which `make test`
//! makes first), and driven end to end in a real headless Chromium (playwright-core) against
//! the real server: `tests/e2e/ui.mjs` with the fake LLM, `tests/e2e/datasets.mjs` the Datasets
//! page.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::fixtures;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::{client, get_json};

fn sqlite_url(ws: &Workspace) -> String {
    format!("sqlite://{}", ws.path().join("db.sqlite").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_is_served_at_the_root_beside_the_api() {
    let mut ws = Workspace::new();
    // The UI itself needs no key (it asks for one); the API does.
    ws.set_env("API_KEY", "secret");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let get = |path: &str| client().get(server.url(path)).send();

    let index = get("/").await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    let content_type = index.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = index.text().await.unwrap();
    assert!(html.contains("<div id=\"root\">"), "{html}");

    // The UI routes in the browser: its paths get index.html too.
    for path in ["/pipelines", "/pipelines/7", "/review", "/settings"] {
        let page = get(path).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_eq!(page.text().await.unwrap(), html, "{path}");
    }

    // Every script and stylesheet index.html names is served with its type.
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/assets/"))
        .collect();
    assert!(!assets.is_empty(), "index.html names no assets: {html}");
    for asset in assets {
        let response = get(asset).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        let expected = if asset.ends_with(".js") {
            "text/javascript"
        } else if asset.ends_with(".css") {
            "text/css"
        } else {
            ""
        };
        assert!(
            content_type.starts_with(expected),
            "{asset}: {content_type}"
        );
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable"),
            "{asset}"
        );
    }

    // Nothing outside the UI's folder is served: raw `..` paths (sent as they are, on a bare
    // connection, since HTTP clients resolve them) never reach the checkout's Cargo.toml,
    // two folders up from web/dist.
    for path in [
        "/../../Cargo.toml",
        "/assets/../../../Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
    ] {
        let answer = raw_get(&server.base_url, path).await;
        assert!(
            !answer.contains("[workspace]"),
            "{path} leaked a file: {answer}"
        );
    }

    // A missing asset is a 404, not index.html; an unknown API path stays a JSON 404 (after
    // the key check).
    assert_eq!(
        get("/assets/missing-0000.js").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let unauthorized = get("/api/nope").await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let missing = client()
        .get(server.url("/api/nope"))
        .bearer_auth("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert!(
        body["error"].is_string() && body.get("detail").is_some(),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_is_told_when_the_ui_is_not_built() {
    let mut ws = Workspace::new();
    let empty = ws.path().join("no-ui");
    std::fs::create_dir_all(&empty).unwrap();
    ws.set_env("WEB_DIR", empty.to_str().unwrap());
    let server = ws.serve(&sqlite_url(&ws)).await;
    let page = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = page.text().await.unwrap();
    assert!(html.contains("make run"), "{html}");
    // The API beside it still answers in JSON.
    let missing = client()
        .get(server.url("/api/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.json::<Value>().await.unwrap()["error"].is_string());
}

/// The answer to `GET <path>` sent byte for byte on a new connection to `base_url`.
async fn raw_get(base_url: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Debian's Chromium (`make test` installs it when missing), or `$CHROMIUM`.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Runs the browser scenario `script` of tests/e2e against `server` with `env` besides
/// BASE_URL, ARTIFACTS_DIR (`tests/e2e/artifacts/<name>`) and CHROMIUM; fails with its output
/// unless it passes.
async fn run_browser_scenario(script: &str, server: &Server, env: &[(&str, &OsStr)]) {
    let e2e = blockforge_tests::harness::checkout()
        .join("tests")
        .join("e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "tests/e2e has no node_modules: run `make test` (it runs npm ci there)"
    );
    assert!(
        chromium().is_file(),
        "no Chromium at {}: `make test` installs Debian's chromium",
        chromium().display()
    );
    let artifacts = e2e.join("artifacts").join(script.trim_end_matches(".mjs"));
    std::fs::create_dir_all(&artifacts).unwrap();
    let run = tokio::process::Command::new("node")
        .arg(script)
        .current_dir(&e2e)
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .env("CHROMIUM", chromium())
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the browser test did not finish in 5 minutes")
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test {script} failed (screenshots in {}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        artifacts.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_end_to_end_in_chromium() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(5),
        ..FakeLlmConfig::default()
    })
    .await;
    let server = ws.serve(&sqlite_url(&ws)).await;
    let plugins = ws.plugins_dir();
    run_browser_scenario(
        "ui.mjs",
        &server,
        &[
            ("PLUGINS_DIR", plugins.as_os_str()),
            ("PLUGIN_WASM", OsStr::new(fixtures::STAMP_V1)),
        ],
    )
    .await;
    // What the browser did is in the store: a job finished, and one record carries the edit.
    let records: Value = get_json(&server, "/api/records?status=edited").await;
    assert_eq!(records.as_array().map(Vec::len), Some(1), "{records}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasets_page_end_to_end_in_chromium() {
    let ws = Workspace::new();
    let server = ws.serve(&sqlite_url(&ws)).await;
    run_browser_scenario("datasets.mjs", &server, &[]).await;
    // What the browser made is in the store: the upload, its operations' datasets, the
    // Parquet round trip and the job's records.
    let datasets: Value = get_json(&server, "/api/datasets").await;
    let mut names: Vec<&str> = datasets
        .as_array()
        .map(|all| all.iter().filter_map(|d| d["name"].as_str()).collect())
        .unwrap_or_default();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "chats",
            "chats.all",
            "chats.roundtrip",
            "chats.sample",
            "chats.test",
            "chats.train",
            "chats.validation",
            "legal-scenarios",
        ],
        "{datasets}"
    );
    let chats: Value = get_json(&server, "/api/datasets/chats").await;
    let operations: Vec<&str> = chats["versions"]
        .as_array()
        .map(|versions| {
            versions
                .iter()
                .map(|v| {
                    v["lineage"]["operation"]
                        .as_str()
                        .or(v["lineage"]["source"].as_str())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(operations, ["upload", "edit", "convert"], "{chats}");
}
