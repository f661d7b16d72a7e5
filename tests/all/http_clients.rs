//! Clients at the connection level, over raw TCP on loopback: stalled half-sent requests are
//! closed at the header read deadline and do not keep the server from answering; a stalled
//! body gets 408; the connection bound holds; requests hyper refuses before the router (a
//! malformed header or request line, too many headers, a head too large) answer with the API's JSON error body.

use std::time::Duration;

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api::{client, create_pipeline, generate, seeds};

/// A generous bound for what must happen "eventually" on a loaded machine.
const EVENTUALLY: Duration = Duration::from_secs(120);

fn sqlite_url(ws: &Workspace) -> String {
    format!("sqlite://{}", ws.path().join("db.sqlite").display())
}

/// `host:port` of `server`.
fn address(server: &Server) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

/// Half-sent requests: a cut request line, unfinished headers, a header cut mid-name.
const PARTIAL: &[&[u8]] = &[
    b"GET /hea",
    b"POST /api/pipelines HTTP/1.1\r\nHost: localhost\r\n",
    b"GET /health HTTP/1.1\r\nHost: localhost\r\nAcc",
];

/// Opens `n` connections to `server`, each sending one of [`PARTIAL`] and stalling.
async fn stall(server: &Server, n: usize) -> Vec<TcpStream> {
    let mut open = Vec::with_capacity(n);
    for i in 0..n {
        let mut stream = TcpStream::connect(address(server)).await.unwrap();
        stream.write_all(PARTIAL[i % PARTIAL.len()]).await.unwrap();
        open.push(stream);
    }
    open
}

/// Waits until the server closes `stream` (end of file or a reset), reading and discarding
/// whatever it sends first; panics if that takes longer than [`EVENTUALLY`].
async fn wait_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(EVENTUALLY, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept a stalled connection open for {EVENTUALLY:?}"
    );
    received
}

/// Sends `request` on a new connection and returns the whole answer (until the server closes).
async fn raw(server: &Server, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address(server)).await.unwrap();
    stream.write_all(request).await.unwrap();
    String::from_utf8_lossy(&wait_closed(&mut stream).await).into_owned()
}

/// The status and JSON body of a raw HTTP/1.1 answer.
fn parse(answer: &str) -> (u16, Value) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {answer:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_half_sent_requests_neither_block_the_server_nor_stay_open() {
    let mut ws = Workspace::new();
    ws.set_env("HEADER_READ_TIMEOUT_SECS", "3");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let mut stalled = stall(&server, 300).await;

    // The server answers beside them: /health, a pipeline and a job.
    let health = client().get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let pipeline = create_pipeline(
        &server,
        json!({"name": "m", "definition": {"blocks": [
            {"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}!"}}}]}}),
    )
    .await;
    let job = generate(&server, pipeline, "seeds.json", seeds(2), 1).await;
    assert_eq!(job.status(), StatusCode::OK, "{:?}", job.text().await);

    // Each stalled connection is closed by the server at its header deadline.
    for stream in &mut stalled {
        wait_closed(stream).await;
    }
    // An idle connection that sent nothing at all is closed too.
    let mut idle = TcpStream::connect(address(&server)).await.unwrap();
    wait_closed(&mut idle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_body_gets_408_and_the_connection_closes() {
    let mut ws = Workspace::new();
    ws.set_env("BODY_READ_TIMEOUT_SECS", "2");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let answer = raw(
        &server,
        b"POST /api/pipelines HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"name\": ",
    )
    .await;
    let (status, body) = parse(&answer);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(body["error"], "request body timed out", "{body}");
    assert_eq!(
        body["detail"]["setting"], "BODY_READ_TIMEOUT_SECS",
        "{body}"
    );

    // Uploads (multipart seed files and plugins) stalled mid-part: 408 too, not a 500.
    for path in ["/api/generate", "/api/plugins"] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000\r\n\r\n\
             --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n[{{"
        );
        let answer = raw(&server, request.as_bytes()).await;
        let (status, body) = parse(&answer);
        assert_eq!(status, 408, "{path}: {answer}");
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_bound_wait_until_one_closes() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_CONNECTIONS", "20")
        .set_env("HEADER_READ_TIMEOUT_SECS", "600");
    let server = ws.serve(&sqlite_url(&ws)).await;
    let mut stalled = stall(&server, 20).await;

    let health = tokio::spawn({
        let url = server.url("/health");
        async move { client().get(url).send().await.map(|r| r.status()) }
    });
    // While the 20 stalled connections hold every place, the 21st is not served (however
    // long the machine takes, it never can be).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !health.is_finished(),
        "a connection past MAX_CONNECTIONS was served"
    );
    // One closes: the waiting client is served.
    stalled.truncate(19);
    let status = tokio::time::timeout(EVENTUALLY, health)
        .await
        .expect("the waiting client was not served after a connection closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_refuses_get_the_json_error_body() {
    let ws = Workspace::new();
    let server = ws.serve(&sqlite_url(&ws)).await;
    let many_headers: String = (0..150).map(|i| format!("X-H{i}: 1\r\n")).collect();
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(70_000)
    );
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            b"GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header: 1\r\n\r\n".to_vec(),
            400,
            "malformed request",
        ),
        (
            b"GET /health HTTQ/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            400,
            "malformed request",
        ),
        (
            format!("GET /health HTTP/1.1\r\nHost: localhost\r\n{many_headers}\r\n").into_bytes(),
            431,
            "request header fields too large",
        ),
        (
            format!(
                "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
                "b".repeat(70_000)
            )
            .into_bytes(),
            431,
            "request header fields too large",
        ),
        // The request line counts in the head's bytes.
        (
            long_uri.into_bytes(),
            431,
            "request header fields too large",
        ),
    ];
    for (request, expected, error) in cases {
        let answer = raw(&server, &request).await;
        let (status, body) = parse(&answer);
        assert_eq!(status, expected, "{answer}");
        assert_eq!(body["error"], error, "{body}");
        assert!(body["detail"].is_object(), "{body}");
    }
    // The limits are named.
    let answer = raw(
        &server,
        format!("GET /health HTTP/1.1\r\nHost: localhost\r\n{many_headers}\r\n").as_bytes(),
    )
    .await;
    let (_, body) = parse(&answer);
    assert_eq!(body["detail"]["max_headers"], blockforge::api::MAX_HEADERS);
    // The server goes on answering.
    let health = client().get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_settings_that_make_no_sense_stop_the_start() {
    for (name, value) in [
        ("MAX_CONNECTIONS", "0"),
        ("MAX_CONNECTIONS", "many"),
        ("HEADER_READ_TIMEOUT_SECS", "0"),
        ("BODY_READ_TIMEOUT_SECS", "-1"),
    ] {
        let mut ws = Workspace::new();
        let database = sqlite_url(&ws);
        ws.set_env(name, value)
            .set_env("PORT", "0")
            .set_env("DATABASE_URL", &database);
        let output = tokio::time::timeout(EVENTUALLY, ws.run(&["serve"]))
            .await
            .unwrap_or_else(|_| panic!("blockforge serve started with {name}={value}"));
        output.assert_failure();
        assert!(
            output.stderr.contains(name),
            "{name}={value}: {}",
            output.stderr
        );
    }
}
