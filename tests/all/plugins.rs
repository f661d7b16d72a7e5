//! The plugins folder while the server runs: blocks dropped in, replaced and removed without a
//! restart; broken files listed with their error while every other block keeps working;
//! uploads validated before they are written. On SQLite and PostgreSQL.

use std::path::Path;
use std::time::{Duration, Instant};

use blockforge_tests::fixtures::{
    BROKEN_DESCRIBE, DEDUP, SPLITTER, STAMP_V1, STAMP_V2, WRONG_VERSION,
};
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, get_json};
use crate::store::cleanup;

/// How long a change to the folder may take to show (the target is 2 s; the margin keeps a
/// loaded CI machine from failing the test, and the time taken is printed).
const PICKUP_DEADLINE: Duration = Duration::from_secs(10);

/// The `Stamp` block as `/api/blocks` lists it, if listed.
async fn stamp_block(server: &Server) -> Option<Value> {
    get_json(server, "/api/blocks")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "Stamp")
        .cloned()
}

/// Polls until `check` holds on the `Stamp` block entry; returns how long it took.
async fn until_stamp(server: &Server, what: &str, check: impl Fn(Option<&Value>) -> bool) {
    let started = Instant::now();
    loop {
        if check(stamp_block(server).await.as_ref()) {
            eprintln!("{what}: seen after {:?}", started.elapsed());
            return;
        }
        assert!(
            started.elapsed() < PICKUP_DEADLINE,
            "{what}: not seen within {PICKUP_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn execute(server: &Server, pipeline_id: i64) -> (StatusCode, Value) {
    let response = client()
        .post(server.url(&format!("/api/pipelines/{pipeline_id}/execute")))
        .json(&json!({"topic": "x"}))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn description(block: Option<&Value>) -> String {
    block
        .and_then(|b| b["description"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_dropped_replaced_and_removed_while_serving() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in &urls {
        let server = ws.serve(url).await;
        assert!(stamp_block(&server).await.is_none());
        let plugin = ws.plugins_dir().join("stamp.wasm");

        // Dropped in with a plain (non-atomic) copy, as a user would.
        std::fs::copy(STAMP_V1, &plugin).unwrap();
        until_stamp(&server, "dropped", |b| b.is_some()).await;
        let pipeline = create_pipeline(
            &server,
            json!({"name": "stamped", "blocks": [{"type": "Stamp", "config": {}}]}),
        )
        .await;
        let (status, result) = execute(&server, pipeline).await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["result"]["stamp"], 1, "{result}");
        let plugins = get_json(&server, "/api/plugins").await;
        assert_eq!(plugins[0]["file"], "stamp.wasm", "{plugins}");
        assert_eq!(plugins[0]["status"], "loaded", "{plugins}");
        assert_eq!(plugins[0]["type"], "Stamp", "{plugins}");
        let first_hash = plugins[0]["content_hash"].clone();

        // Replaced: new runs use the new version.
        std::fs::copy(STAMP_V2, &plugin).unwrap();
        until_stamp(&server, "replaced", |b| description(b).contains("stamp 2")).await;
        let (status, result) = execute(&server, pipeline).await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["result"]["stamp"], 2, "{result}");
        let plugins = get_json(&server, "/api/plugins").await;
        assert_ne!(plugins[0]["content_hash"], first_hash, "{plugins}");

        // Removed: the block is gone and a pipeline using it says so.
        std::fs::remove_file(&plugin).unwrap();
        until_stamp(&server, "removed", |b| b.is_none()).await;
        let (status, result) = execute(&server, pipeline).await;
        assert!(status.is_client_error(), "{status} {result}");
        assert!(result["error"].is_string(), "{result}");
        assert!(result.to_string().contains("Stamp"), "{result}");
        assert_eq!(get_json(&server, "/api/plugins").await, json!([]));
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

/// The `/api/plugins` entry of `file`.
fn entry<'a>(plugins: &'a Value, file: &str) -> &'a Value {
    plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == file)
        .unwrap_or_else(|| panic!("{file} not listed: {plugins}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_plugins_are_listed_with_their_error_and_the_rest_works() {
    let ws = Workspace::new();
    let dir = ws.plugins_dir();
    std::fs::write(dir.join("garbage.wasm"), b"this is not wasm").unwrap();
    std::fs::copy(STAMP_V1, dir.join("stamp.wasm")).unwrap();
    std::fs::copy(STAMP_V2, dir.join("stamp_again.wasm")).unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[0]).await;
    // Two more broken files while it runs.
    std::fs::copy(WRONG_VERSION, dir.join("future.wasm")).unwrap();
    std::fs::copy(BROKEN_DESCRIBE, dir.join("mute.wasm")).unwrap();
    let started = Instant::now();
    let plugins = loop {
        let plugins = get_json(&server, "/api/plugins").await;
        let files = plugins.as_array().unwrap();
        let settled = files.len() == 5 && files.iter().all(|file| file["status"] != "loading");
        if settled || started.elapsed() > PICKUP_DEADLINE {
            break plugins;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let failed = |file: &str, needle: &str| {
        let e = entry(&plugins, file);
        assert_eq!(e["status"], "failed", "{e}");
        let error = e["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{file}: {error:?} lacks {needle:?}");
    };
    failed("garbage.wasm", "not a WebAssembly");
    failed("future.wasm", "9.0.0");
    failed("mute.wasm", "cannot describe itself");
    failed("stamp_again.wasm", "already provided by");
    assert_eq!(entry(&plugins, "stamp.wasm")["status"], "loaded");

    // Every other block still works, builtins and the good plugin.
    let blocks = get_json(&server, "/api/blocks").await;
    let types: Vec<&str> = blocks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["type"].as_str())
        .collect();
    assert!(
        types.contains(&"Stamp") && types.contains(&"TextGenerator"),
        "{types:?}"
    );
    let pipeline = create_pipeline(
        &server,
        json!({"name": "ok", "blocks": [{"type": "Stamp", "config": {}},
            {"type": "FieldMapper", "config": {"mappings": {"copy": "{{ stamp }}"}}}]}),
    )
    .await;
    let (status, result) = execute(&server, pipeline).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["result"]["stamp"], 1, "{result}");
    server.kill9().await;
    cleanup(stores, &schema).await;
}

/// Uploads `bytes` as `file_name` through `POST /api/plugins`; returns the status and body.
pub(crate) async fn upload(
    server: &Server,
    file_name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    upload_form(server, file_name, bytes, None).await
}

/// `POST /api/plugins` with `bytes` as `file` named `file_name` and, when given, `replace`.
pub(crate) async fn upload_form(
    server: &Server,
    file_name: &str,
    bytes: Vec<u8>,
    replace: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
    );
    if let Some(replace) = replace {
        form = form.text("replace", replace.to_owned());
    }
    let response = client()
        .post(server.url("/api/plugins"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The file names in `dir`, sorted.
pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_validated_before_they_are_written() {
    let ws = Workspace::new();
    let dir = ws.plugins_dir();
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[1]).await;

    let (status, body) = upload(&server, "stamp.wasm", std::fs::read(STAMP_V1).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["plugin"]["status"], "loaded", "{body}");
    assert_eq!(body["block"]["type"], "Stamp", "{body}");
    // Listed at once, without waiting for the watcher.
    assert!(stamp_block(&server).await.is_some());
    assert_eq!(files_in(&dir), ["stamp.wasm"]);

    // Refused, and nothing written: not a component, another world version, a broken
    // describe(), an unsafe name, no file, too large.
    for (name, bytes, expected, needle) in [
        (
            "junk.wasm",
            b"\0asm junk".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not",
        ),
        (
            "future.wasm",
            std::fs::read(WRONG_VERSION).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "9.0.0",
        ),
        (
            "mute.wasm",
            std::fs::read(BROKEN_DESCRIBE).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "describe",
        ),
        (
            "../escape.wasm",
            std::fs::read(STAMP_V1).unwrap(),
            StatusCode::BAD_REQUEST,
            "file name",
        ),
        (
            "stamp.txt",
            std::fs::read(STAMP_V1).unwrap(),
            StatusCode::BAD_REQUEST,
            ".wasm",
        ),
    ] {
        let (status, body) = upload(&server, name, bytes).await;
        assert_eq!(status, expected, "{name}: {body}");
        assert!(body["error"].is_string(), "{name}: {body}");
        assert!(
            body.to_string().contains(needle),
            "{name}: {body} lacks {needle:?}"
        );
    }
    // Over the limit: 413, or the connection closed while the client was still sending.
    let huge = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![0u8; 100 * 1024 * 1024]).file_name("huge.wasm"),
    );
    if let Ok(response) = client()
        .post(server.url("/api/plugins"))
        .multipart(huge)
        .send()
        .await
    {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("too large"),
            "{body}"
        );
    }
    let no_file = client()
        .post(server.url("/api/plugins"))
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_file.status(), StatusCode::BAD_REQUEST);
    assert_eq!(files_in(&dir), ["stamp.wasm"]);

    // A new version of the same block under another name is refused, naming the file that
    // provides the type; with replace=true it replaces that file.
    let (status, body) = upload(&server, "stamp-2.wasm", std::fs::read(STAMP_V2).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["detail"]["provided_by"], "stamp.wasm", "{body}");
    assert_eq!(files_in(&dir), ["stamp.wasm"]);
    let (status, body) = upload_form(
        &server,
        "stamp-2.wasm",
        std::fs::read(STAMP_V2).unwrap(),
        Some("true"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(files_in(&dir), ["stamp.wasm"]);
    assert!(description(stamp_block(&server).await.as_ref()).contains("stamp 2"));
    server.kill9().await;
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_never_writes_over_another_plugins_file() {
    let ws = Workspace::new();
    let dir = ws.plugins_dir();
    // `a.wasm` provides Stamp; `LineSplitter.wasm` provides ExactDedup (a file named after
    // another type).
    std::fs::copy(STAMP_V1, dir.join("a.wasm")).unwrap();
    std::fs::copy(DEDUP, dir.join("LineSplitter.wasm")).unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[0]).await;
    // An upload of LineSplitter named `a.wasm`: both names hold other plugins' blocks.
    let (status, body) = upload(&server, "a.wasm", std::fs::read(SPLITTER).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let file = body["plugin"]["file"].as_str().unwrap().to_owned();
    assert!(file.starts_with("LineSplitter-"), "{body}");
    let types: Vec<String> = get_json(&server, "/api/blocks")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["type"].as_str().map(str::to_owned))
        .collect();
    for wanted in ["Stamp", "ExactDedup", "LineSplitter"] {
        assert!(types.iter().any(|t| t == wanted), "{wanted}: {types:?}");
    }
    assert_eq!(
        files_in(&dir),
        [file, "LineSplitter.wasm".to_owned(), "a.wasm".to_owned()]
    );
    server.kill9().await;
    cleanup(stores, &schema).await;
}
