//! Operations through the real server: `GET /metrics` parsed with a Prometheus text-format
//! parser after a small job, rate limits per API key and per client address, named API keys
//! (read-only, deleted), and a run's trace id on its DEBUG log lines.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, generate_job, get_json, wait_for};

fn sqlite(ws: &Workspace) -> String {
    format!("sqlite://{}", ws.path().join("db.sqlite").display())
}

/// `GET /metrics` (with `key` when given), parsed.
async fn scrape(server: &Server, key: Option<&str>) -> prometheus_parse::Scrape {
    let mut request = client().get(server.url("/metrics"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let media = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(media.starts_with("application/openmetrics-text"), "{media}");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    prometheus_parse::Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
        .expect("the metrics parse")
}

/// The sum of the samples of `metric` whose labels include `labels` (0 when none).
fn value(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    use prometheus_parse::Value as V;
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            V::Counter(v) | V::Gauge(v) | V::Untyped(v) => *v,
            V::Histogram(_) | V::Summary(_) => panic!("{metric} is not a single value"),
        })
        .sum()
}

/// Whether `metric` has a sample with `labels`.
fn has(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> bool {
    scrape
        .samples
        .iter()
        .any(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

/// Runs a one-block TextGenerator pipeline (`About {{ topic }}`) over `seeds` as a job of
/// concurrency 1 on `server`, waits for it to complete, and returns its records.
async fn topic_job(server: &Server, seeds: Value) -> Vec<Value> {
    let pipeline = create_pipeline(
        server,
        json!({"name": "topics", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "About {{ topic }}"}}]}),
    )
    .await;
    let job_id = generate_job(server, pipeline, "seeds.json", seeds.to_string(), 1).await;
    let job = wait_for(server, job_id, |job| job["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    let records = get_json(server, &format!("/api/records?job_id={job_id}")).await;
    records.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_a_small_job_count_what_it_did() {
    // The provider's first answer is a 429: one retry.
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        retry_after: Some(0),
        ..FakeLlmConfig::failing(1, 429)
    })
    .await;
    let server = ws.serve(&sqlite(&ws)).await;
    // Three runs complete; the fourth has no topic, so its prompt fails before any model call.
    let seeds = json!([
        {"repetitions": 1, "metadata": {"topic": "wasm"}},
        {"repetitions": 1, "metadata": {"topic": "rust"}},
        {"repetitions": 1, "metadata": {"topic": "axum"}},
        {"repetitions": 1, "metadata": {}}
    ]);
    let records = topic_job(&server, seeds).await;
    assert_eq!(records.len(), 4);
    let tokens = |kind: &str| -> f64 {
        records
            .iter()
            .map(|r| r["usage"][kind].as_f64().unwrap_or(0.0))
            .sum()
    };
    // Three misses on a route template: counted under the template, not the path.
    for id in [9001, 9002, 9003] {
        let missing = client()
            .get(server.url(&format!("/api/pipelines/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    let m = scrape(&server, None).await;
    let route = [("method", "GET"), ("route", "/api/pipelines/:id")];
    assert_eq!(
        value(
            &m,
            "blockforge_http_requests_total",
            &[route[0], route[1], ("status", "404")]
        ),
        3.0
    );
    assert!(!has(
        &m,
        "blockforge_http_requests_total",
        &[("route", "/api/pipelines/9001")]
    ));
    assert_eq!(
        value(&m, "blockforge_http_request_duration_seconds_count", &route),
        3.0
    );
    assert!(
        value(
            &m,
            "blockforge_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/generate"),
                ("status", "200")
            ]
        ) == 1.0
    );
    assert_eq!(
        value(&m, "blockforge_jobs", &[("status", "completed")]),
        1.0
    );
    // The records say which runs failed; the counters must say the same.
    let failed = records.iter().filter(|r| !r["error"].is_null()).count() as f64;
    assert!(failed >= 1.0, "{records:#?}");
    let finished = |status| value(&m, "blockforge_runs_finished_total", &[("status", status)]);
    assert_eq!(finished("completed"), 4.0 - failed, "{records:#?}");
    assert_eq!(finished("failed"), failed, "{records:#?}");
    assert_eq!(value(&m, "blockforge_records_written_total", &[]), 4.0);
    let block = [("block_type", "TextGenerator")];
    assert_eq!(value(&m, "blockforge_block_calls_total", &block), 4.0);
    assert_eq!(value(&m, "blockforge_block_failures_total", &block), failed);
    assert!(
        has(
            &m,
            "blockforge_block_failures_total",
            &[block[0], ("kind", "block_error")]
        ),
        "{:?}",
        m.samples
    );
    assert_eq!(
        value(&m, "blockforge_block_call_duration_seconds_count", &block),
        4.0
    );
    let llm = [("kind", "llm")];
    // One call per run with a topic; the 429 is counted whether or not it was tried again.
    let requests = value(&m, "blockforge_llm_requests_total", &llm);
    assert_eq!(requests, 3.0);
    assert_eq!(value(&m, "blockforge_llm_rate_limited_total", &llm), 1.0);
    assert_eq!(
        value(&m, "blockforge_llm_attempts_total", &llm),
        requests + value(&m, "blockforge_llm_retries_total", &llm)
    );
    let model = ("model", "fake-model");
    let input = tokens("input_tokens");
    assert!(input > 0.0);
    assert_eq!(
        value(
            &m,
            "blockforge_llm_tokens_total",
            &[model, ("kind", "input")]
        ),
        input
    );
    assert_eq!(
        value(
            &m,
            "blockforge_llm_tokens_total",
            &[model, ("kind", "output")]
        ),
        tokens("output_tokens")
    );
    assert!(has(&m, "blockforge_llm_cost_usd_total", &[model]));
    assert!(
        value(
            &m,
            "blockforge_db_pool_max_connections",
            &[("pool", "writer")]
        ) >= 1.0
    );
    assert!(has(
        &m,
        "blockforge_db_pool_connections",
        &[("pool", "readers"), ("state", "idle")]
    ));
}

/// `POST /api/settings/api-keys` with `auth`: the key made.
async fn make_key(server: &Server, auth: &str, name: &str, access: &str) -> Value {
    let response = client()
        .post(server.url("/api/settings/api-keys"))
        .bearer_auth(auth)
        .json(&json!({"name": name, "access": access}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn get_with(server: &Server, key: &str, path: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// The status of `GET /api/pipelines` without a key.
async fn anonymous(server: &Server) -> StatusCode {
    let response = client().get(server.url("/api/pipelines")).send().await;
    response.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_a_keys_limit_gets_429_while_other_keys_pass() {
    let mut ws = Workspace::new();
    ws.set_env("API_KEY", "root-key");
    // Three requests per hour per key: a burst of three, then one every 20 minutes.
    ws.set_env("RATE_LIMIT_PER_KEY", "3/h");
    let server = ws.serve(&sqlite(&ws)).await;
    let writer = make_key(&server, "root-key", "writer", "read-write").await;
    let reader = make_key(&server, "root-key", "reader", "read-only").await;
    let (writer_key, reader_key) = (
        writer["key"].as_str().unwrap().to_owned(),
        reader["key"].as_str().unwrap().to_owned(),
    );
    assert!(writer_key.starts_with(writer["prefix"].as_str().unwrap()));
    // Listed without the keys.
    let listed: Value = get_with(&server, &writer_key, "/api/settings/api-keys")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("key").is_none())
    );
    assert_eq!(listed[1]["access"], "read-only");
    for _ in 0..2 {
        let ok = get_with(&server, &writer_key, "/api/pipelines").await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let over = get_with(&server, &writer_key, "/api/pipelines").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1200).contains(&retry_after), "{retry_after}");
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["detail"]["limit"], "per_key", "{body}");
    assert_eq!(body["detail"]["setting"], "RATE_LIMIT_PER_KEY", "{body}");
    assert!(body["error"].as_str().unwrap().contains("writer"), "{body}");
    // Another key has its own budget.
    let other = get_with(&server, &reader_key, "/api/pipelines").await;
    assert_eq!(other.status(), StatusCode::OK);
    // A read-only key cannot change anything.
    let refused = client()
        .post(server.url("/api/pipelines"))
        .bearer_auth(&reader_key)
        .json(&json!({"name": "x", "blocks": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["detail"]["access"], "read-only", "{body}");
    // A deleted key is refused; no key at all too.
    let id = reader["id"].as_i64().unwrap();
    let deleted = client()
        .delete(server.url(&format!("/api/settings/api-keys/{id}")))
        .bearer_auth("root-key")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let gone = get_with(&server, &reader_key, "/api/pipelines").await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous(&server).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_keys_close_an_open_server_and_addresses_have_their_own_limit() {
    let mut ws = Workspace::new();
    ws.set_env("RATE_LIMIT_PER_ADDRESS", "4/h");
    let server = ws.serve(&sqlite(&ws)).await;
    // Open (no API_KEY, no named key): the first key is made without one.
    let key = make_key(&server, "anything", "ops", "read-write").await;
    let key = key["key"].as_str().unwrap().to_owned();
    assert_eq!(anonymous(&server).await, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        assert_eq!(
            get_with(&server, &key, "/api/pipelines").await.status(),
            StatusCode::OK
        );
    }
    // The fifth request from this address, whatever its key.
    let over = get_with(&server, &key, "/metrics").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.headers().contains_key("retry-after"));
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["detail"]["limit"], "per_address", "{body}");
    // /health is not limited.
    let health = client().get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_debug_lines_carry_its_trace_id() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Only the modules whose lines are checked: the server's stderr tail is 200 lines.
    ws.set_env(
        "RUST_LOG",
        "warn,blockforge::runtime=debug,blockforge::llm=debug,blockforge::block=debug",
    );
    let server = ws.serve(&sqlite(&ws)).await;
    let seeds = json!([
        {"repetitions": 1, "metadata": {"topic": "wasm"}},
        {"repetitions": 1, "metadata": {"topic": "rust"}}
    ]);
    let trace_ids: Vec<String> = topic_job(&server, seeds)
        .await
        .iter()
        .map(|r| r["trace_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(trace_ids.len(), 2);
    let lines = server.stderr_lines();
    let about_runs: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("sending LLM request") || l.contains("block call finished"))
        .collect();
    // Each run: one block call and one model request.
    assert_eq!(about_runs.len(), 4, "{lines:#?}");
    for trace_id in &trace_ids {
        let tagged = format!("trace_id={trace_id}");
        let of_run: Vec<&&String> = about_runs.iter().filter(|l| l.contains(&tagged)).collect();
        assert!(
            of_run.iter().any(|l| l.contains("sending LLM request")),
            "{trace_id}: {about_runs:#?}"
        );
        assert!(
            of_run.iter().any(|l| l.contains("block call finished")),
            "{trace_id}: {about_runs:#?}"
        );
    }
}
