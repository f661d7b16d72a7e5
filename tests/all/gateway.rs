//! The gateway's fault handling and limits over the real binary against the fake provider:
//! 5xx, timeouts and truncated bodies retried with backoff and counted, other 4xx failed at
//! once, `Retry-After` honoured, non-JSON bodies failed as invalid responses after the retries,
//! a model's concurrency limit shared by jobs, 429s lowering the adaptive limit and successes
//! restoring it, requests-per-minute, and `GET /api/metrics`.

use std::time::Duration;

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig, Fault};
use blockforge_tests::harness::{Server, Workspace, seeds};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate, wait_for};
use crate::providers::{call, register, sqlite_server};

const PIPELINE: &str =
    "name: g\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'n {{ n }}'}\n";

/// Runs `PIPELINE` on `n` seeds with the CLI and returns the records.
async fn run(ws: &Workspace, n: usize) -> Vec<Value> {
    let (_, records) = ws
        .run_pipeline(
            PIPELINE,
            &seeds(n, |i| json!({"n": i})),
            &["--concurrency", "32"],
        )
        .await;
    assert_eq!(records.len(), n);
    records
}

fn the_call(record: &Value) -> Value {
    let calls = record["trace"][0]["llm_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{record}");
    calls[0].clone()
}

async fn workspace_on(config: FakeLlmConfig, retries: &str) -> (FakeLlm, Workspace) {
    let (fake, mut ws) = Workspace::with_fake_llm(config).await;
    ws.set_env("LLM_MAX_RETRIES", retries);
    (fake, ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_5xx_is_retried_with_backoff_and_the_trace_counts_the_attempts() {
    let (fake, ws) = workspace_on(FakeLlmConfig::failing(2, 500), "2").await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(fake.chat_requests(), 3);
    let call = the_call(record);
    assert_eq!(call["attempts"], 3);
    assert_eq!(call["status"], "ok");
    assert_eq!(call["model"], "fake-model");
    // Backoff with jitter: 125-250 ms, then 250-500 ms.
    assert!(call["wait_ms"].as_u64().unwrap() >= 375, "{call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_gives_up_after_max_retries_with_the_last_error() {
    let (fake, ws) = workspace_on(FakeLlmConfig::failing(100, 503), "1").await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "failed");
    assert_eq!(fake.chat_requests(), 2, "the first attempt and one retry");
    let call = the_call(record);
    assert_eq!(
        (&call["attempts"], &call["status"]),
        (&json!(2), &json!("failed"))
    );
    assert!(call["error"].as_str().unwrap().contains("503"), "{call}");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("injected failure")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_other_4xx_fail_at_once_with_the_providers_message() {
    let (fake, ws) = workspace_on(FakeLlmConfig::failing(100, 422), "3").await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "failed");
    assert_eq!(fake.chat_requests(), 1, "no retry");
    let call = the_call(record);
    assert_eq!(call["attempts"], 1);
    assert!(
        call["error"].as_str().unwrap().contains("injected failure"),
        "{call}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_a_request_past_the_timeout_is_retried() {
    let (fake, mut ws) = workspace_on(
        FakeLlmConfig {
            fail_first: 1,
            fault: Fault::Stall(Duration::from_secs(3)),
            ..Default::default()
        },
        "1",
    )
    .await;
    ws.set_env("LLM_TIMEOUT_SECS", "0.4");
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(fake.chat_requests(), 2);
    assert_eq!(the_call(record)["attempts"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_a_truncated_body_is_retried_and_a_non_json_body_fails_as_invalid_after_max_retries()
 {
    let (fake, ws) = workspace_on(
        FakeLlmConfig {
            fail_first: 1,
            fault: Fault::Truncated,
            ..Default::default()
        },
        "2",
    )
    .await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(
        (fake.chat_requests(), &the_call(record)["attempts"]),
        (2, &json!(2))
    );

    let (fake, ws) = workspace_on(
        FakeLlmConfig {
            fail_first: 100,
            fault: Fault::NotJson,
            ..Default::default()
        },
        "3",
    )
    .await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "failed");
    assert_eq!(fake.chat_requests(), 4, "the first attempt and 3 retries");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("not JSON") && error.contains("502 Bad Gateway"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_429_waits_as_long_as_retry_after_says() {
    let (fake, ws) = workspace_on(
        FakeLlmConfig {
            fail_first: 2,
            fail_status: 429,
            retry_after: Some(1),
            ..Default::default()
        },
        "2",
    )
    .await;
    let record = &run(&ws, 1).await[0];
    assert_eq!(record["status"], "completed");
    assert_eq!(fake.chat_requests(), 3);
    let call = the_call(record);
    assert_eq!(call["attempts"], 3);
    assert!(call["wait_ms"].as_u64().unwrap() >= 2000, "{call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_requests_per_minute_are_spread_out() {
    let (fake, mut ws) = workspace_on(FakeLlmConfig::default(), "0").await;
    // 600 a minute: 10 a second, and at most a second's worth at once.
    ws.set_env("LLM_RPM", "600");
    let records = run(&ws, 25).await;
    assert_eq!(fake.chat_requests(), 25);
    let waits: Vec<u64> = records
        .iter()
        .map(|r| the_call(r)["wait_ms"].as_u64().unwrap())
        .collect();
    let longest = waits.iter().max().copied().unwrap_or(0);
    assert!(
        longest >= 900,
        "the 25th request waits for the refill: {waits:?}"
    );
    let unwaited = waits.iter().filter(|w| **w < 50).count();
    assert!(
        unwaited <= 11,
        "only a second's worth goes at once: {waits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_tokens_per_minute_are_charged_with_the_real_usage() {
    let (fake, mut ws) = workspace_on(FakeLlmConfig::default(), "0").await;
    // 600 tokens a minute: 10 a second. A call is estimated at 1 token before it is sent
    // (`n 3` is 3 bytes) and charged its real usage after: 2 in + 3 out (`Echo: n 3`).
    ws.set_env("LLM_TPM", "600");
    let (out, records) = ws
        .run_pipeline(
            PIPELINE,
            &seeds(8, |i| json!({"n": i})),
            &["--concurrency", "1"],
        )
        .await;
    out.assert_success();
    assert_eq!(fake.chat_requests(), 8);
    let waits: Vec<u64> = records
        .iter()
        .map(|r| the_call(r)["wait_ms"].as_u64().unwrap())
        .collect();
    // Charged 1 token each, 8 calls would fit in the bucket; charged 5, the later ones wait
    // about half a second each.
    let waited = waits.iter().filter(|w| **w >= 300).count();
    assert!(waited >= 4, "{waits:?}");
}

/// The metrics of model `name` of `kind`.
async fn metrics_of(server: &Server, kind: &str, name: &str) -> Value {
    let (_, metrics) = call(server, Method::GET, "/api/metrics", None).await;
    metrics["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == kind && m["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no metrics for {kind}/{name}: {metrics}"))
}

async fn run_job(server: &Server, pipeline: i64, n: usize, concurrency: u32) -> i64 {
    generate(
        server,
        pipeline,
        "seeds.json",
        crate::api::seeds(n),
        concurrency,
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["job_id"]
        .as_i64()
        .unwrap()
}

fn model_pipeline(model: &str) -> Value {
    json!({"name": "m", "blocks": [{"type": "TextGenerator", "config": {
        "model": model, "user_prompt": "n {{ n }}"}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_a_models_limit_is_shared_by_jobs_and_the_metrics_count_everything() {
    let fake = FakeLlm::start(FakeLlmConfig {
        latency: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let refusing = FakeLlm::start(FakeLlmConfig::failing(100, 400)).await;
    let mut ws = Workspace::new();
    ws.with_llm(&fake);
    let server = sqlite_server(&ws).await;
    register(
        &server,
        "/api/llm-models",
        json!({"name": "shared",
        "endpoint": fake.base_url(), "model_name": "x", "max_concurrency": 2}),
    )
    .await;
    let pipeline = create_pipeline(&server, model_pipeline("shared")).await;
    let (a, b) = (
        run_job(&server, pipeline, 6, 8).await,
        run_job(&server, pipeline, 6, 8).await,
    );
    for job in [a, b] {
        let job = wait_for(&server, job, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
    }
    assert_eq!(fake.max_concurrency(), 2, "two jobs, one limit");
    let metrics = metrics_of(&server, "llm", "shared").await;
    assert_eq!(metrics["provider"], "openai");
    for (field, expected) in [
        ("requests", 12),
        ("attempts", 12),
        ("retries", 0),
        ("rate_limited", 0),
        ("max_concurrency", 2),
        ("concurrency_limit", 2),
        ("max_in_flight", 2),
        ("in_flight", 0),
    ] {
        assert_eq!(metrics[field], expected, "{field}: {metrics}");
    }
    assert!(
        metrics["wait_ms_total"].as_u64().unwrap() > 0,
        "runs queued for the two slots"
    );
    assert_eq!(metrics["failures"]["bad_request"], 0);

    // A failure is counted by kind.
    register(
        &server,
        "/api/llm-models",
        json!({"name": "refused",
        "endpoint": refusing.base_url(), "model_name": "x"}),
    )
    .await;
    let id = create_pipeline(&server, model_pipeline("refused")).await;
    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/api/pipelines/{id}/execute"),
        Some(json!({"n": 1})),
    )
    .await;
    assert!(status.is_client_error());
    let metrics = metrics_of(&server, "llm", "refused").await;
    assert_eq!(
        (&metrics["requests"], &metrics["failures"]["bad_request"]),
        (&json!(1), &json!(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_429s_lower_the_concurrency_limit_and_successes_restore_it() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(20),
        fail_first: 12,
        fail_status: 429,
        retry_after: Some(0),
        ..Default::default()
    })
    .await;
    ws.set_env("LLM_MAX_RETRIES", "20");
    let server = sqlite_server(&ws).await;
    register(
        &server,
        "/api/llm-models",
        json!({"name": "m",
        "endpoint": fake.base_url(), "model_name": "x", "max_concurrency": 8}),
    )
    .await;
    let pipeline = create_pipeline(&server, model_pipeline("m")).await;
    let job = run_job(&server, pipeline, 80, 16).await;
    let job = wait_for(&server, job, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    let metrics = metrics_of(&server, "llm", "m").await;
    assert_eq!(metrics["rate_limited"], 12, "{metrics}");
    assert_eq!(metrics["retries"], 12, "{metrics}");
    assert_eq!(metrics["attempts"], 92, "{metrics}");
    assert!(
        metrics["limit_decreases"].as_u64().unwrap() >= 1,
        "{metrics}"
    );
    assert!(
        metrics["limit_increases"].as_u64().unwrap() >= 1,
        "{metrics}"
    );
    assert_eq!(metrics["concurrency_limit"], 8, "recovered: {metrics}");
    assert!(fake.max_concurrency() <= 8);
    // Fewer 429s than requests in flight at the first one: a burst cuts once per window.
    assert!(
        metrics["limit_decreases"].as_u64().unwrap() < 12,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_a_jobs_requests_retries_and_failures_are_counted_on_the_job() {
    let mut ws = Workspace::new();
    ws.set_env("LLM_MAX_RETRIES", "2");
    let (urls, stores, schema) = crate::api::databases(&ws).await;
    for url in urls {
        // The first three requests fail: the first run's three attempts, then all goes well.
        let fake = FakeLlm::start(FakeLlmConfig::failing(3, 500)).await;
        ws.with_llm(&fake);
        let server = ws.serve(&url).await;
        let pipeline = create_pipeline(&server, model_pipeline("")).await;
        // One run at a time, so which run meets the failures is fixed.
        let job = run_job(&server, pipeline, 4, 1).await;
        let job = wait_for(&server, job, |j| j["status"] == "completed").await;
        assert_eq!(
            (&job["records_generated"], &job["records_failed"]),
            (&json!(3), &json!(1)),
            "{job}"
        );
        let stats = &job["llm_calls"];
        for (field, expected) in [
            ("requests", 4),
            ("attempts", 6),
            ("retries", 2),
            ("failed", 1),
        ] {
            assert_eq!(stats[field], expected, "{field}: {job}");
        }
        assert!(stats["wait_ms"].as_u64().unwrap() > 0, "backoff: {job}");
        drop(server);
    }
    crate::store::cleanup(stores, &schema).await;
}
