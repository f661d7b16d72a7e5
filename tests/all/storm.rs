//! A provider in a rate-limit storm (issue 18): the job slows down instead of failing. Time
//! queued for the provider (a slot, a rate limit, a `Retry-After` pause) is left out of the
//! block's wall clock within the run's provider deadline; 429s are retried until that
//! deadline; a hanging attempt is abandoned at its timeout and retried; a non-JSON answer is
//! retried; and the job's `llm_calls` counts every attempt the provider saw.

use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig, Storm};
use blockforge_tests::harness::{Server, Workspace};
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate};
use crate::providers::sqlite_server;

fn pipeline() -> Value {
    json!({"name": "storm", "blocks": [{"type": "TextGenerator", "config": {
        "user_prompt": "seed {{ n }}"}}]})
}

/// Waits until the job has finished (a safety net far above what it needs, not a timing).
async fn finished(server: &Server, job: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let job = get(server, &format!("/api/jobs/{job}")).await;
        let done = matches!(
            job["status"].as_str(),
            Some("completed" | "failed" | "cancelled")
        );
        if done || Instant::now() > deadline {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A JSON answer of the server at `path`.
async fn get(server: &Server, path: &str) -> Value {
    reqwest::get(server.url(path))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every record of the server, in full.
async fn records(server: &Server) -> Vec<Value> {
    let page = get(server, "/api/records?limit=500").await;
    let mut records = Vec::new();
    for listed in page.as_array().into_iter().flatten() {
        records.push(get(server, &format!("/api/records/{}", listed["id"])).await);
    }
    records
}

/// The errors of the failed records, for failure messages.
async fn failures(server: &Server) -> Vec<String> {
    records(server)
        .await
        .iter()
        .filter_map(|r| r["error"].as_str().map(str::to_owned))
        .collect()
}

async fn run_job(server: &Server, seeds: usize, concurrency: u32) -> Value {
    let pipeline = create_pipeline(server, pipeline()).await;
    let response = generate(
        server,
        pipeline,
        "seeds.json",
        crate::api::seeds(seeds),
        concurrency,
    )
    .await;
    let job = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    finished(server, job).await
}

/// The storm of the issue: 30% 429 with `Retry-After`, 10% 500, 5% non-JSON, 5% hanging.
fn storm() -> FakeLlmConfig {
    FakeLlmConfig {
        storm: Some(Storm {
            rate_limited: 30,
            retry_after: Duration::from_millis(200),
            server_error: 10,
            invalid_json: 5,
            hanging: 5,
            hang: Duration::from_secs(30),
        }),
        ..FakeLlmConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_every_run_completes_and_every_attempt_is_counted() {
    let (fake, mut ws) = Workspace::with_fake_llm(storm()).await;
    // Each attempt may take 1 s (a hanging one is abandoned then); a block call 4 s. The
    // rate limit (15 requests a second for ~150 attempts) queues runs far longer than 4 s:
    // that time is the provider's, not the block's.
    ws.set_env("LLM_TIMEOUT_SECS", "1");
    ws.set_env("BLOCK_TIMEOUT_SECS", "4");
    ws.set_env("LLM_RPM", "900");
    ws.set_env("LLM_MAX_CONCURRENCY", "16");
    ws.set_env("LLM_MAX_RETRIES", "8");
    let server = sqlite_server(&ws).await;
    let job = run_job(&server, 100, 32).await;
    assert_eq!(
        (
            &job["status"],
            &job["records_generated"],
            &job["records_failed"]
        ),
        (&json!("completed"), &json!(100), &json!(0)),
        "{job}\n{:#?}",
        failures(&server).await
    );
    let calls = &job["llm_calls"];
    assert_eq!(calls["requests"], 100, "{job}");
    assert_eq!(calls["failed"], 0, "{job}");
    assert_eq!(
        calls["attempts"],
        json!(fake.chat_requests()),
        "every attempt the provider saw: {job}"
    );
    assert_eq!(calls["retries"], json!(fake.chat_requests() - 100), "{job}");
    assert!(calls["wait_ms"].as_u64().unwrap() > 0, "{job}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_429s_are_retried_until_the_runs_deadline_not_the_block_wall_clock() {
    // Every request is rate limited: the run waits (not counted against its 1 s wall clock)
    // until its 3.5 s provider deadline, and every attempt sent is counted.
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        fail_first: u32::MAX,
        fail_status: 429,
        retry_after: Some(1),
        ..FakeLlmConfig::default()
    })
    .await;
    ws.set_env("BLOCK_TIMEOUT_SECS", "1");
    ws.set_env("LLM_RUN_DEADLINE_SECS", "3.5");
    ws.set_env("LLM_MAX_RETRIES", "1");
    let server = sqlite_server(&ws).await;
    let job = run_job(&server, 1, 1).await;
    assert_eq!(job["records_failed"], 1, "{job}");
    let records = records(&server).await;
    let record = &records[0];
    let error = record.to_string();
    assert!(
        error.contains("LLM_RUN_DEADLINE_SECS") && error.contains("429"),
        "gave up at the run's deadline, not the wall clock: {record}"
    );
    assert!(
        fake.chat_requests() > 2,
        "more than 1 + LLM_MAX_RETRIES attempts: {}",
        fake.chat_requests()
    );
    assert_eq!(
        job["llm_calls"]["attempts"],
        json!(fake.chat_requests()),
        "{job}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_a_503_with_retry_after_is_retried_past_max_retries() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        fail_first: 4,
        fail_status: 503,
        retry_after: Some(0),
        ..FakeLlmConfig::default()
    })
    .await;
    ws.set_env("LLM_MAX_RETRIES", "1");
    let server = sqlite_server(&ws).await;
    let job = run_job(&server, 1, 1).await;
    assert_eq!(job["records_generated"], 1, "{job}");
    assert_eq!(
        fake.chat_requests(),
        5,
        "four 503s said \"later\", then the answer"
    );
    assert_eq!(job["llm_calls"]["attempts"], 5, "{job}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_an_attempt_cut_off_by_the_wall_clock_is_still_counted() {
    let fake = FakeLlm::start(FakeLlmConfig {
        latency: Duration::from_secs(20),
        ..FakeLlmConfig::default()
    })
    .await;
    let mut ws = Workspace::new();
    ws.with_llm(&fake);
    ws.set_env("BLOCK_TIMEOUT_SECS", "1");
    let server = sqlite_server(&ws).await;
    let job = run_job(&server, 2, 2).await;
    assert_eq!(job["records_failed"], 2, "{job}");
    let calls = &job["llm_calls"];
    assert_eq!(
        (&calls["requests"], &calls["attempts"], &calls["failed"]),
        (&json!(2), &json!(fake.chat_requests()), &json!(2)),
        "{job}"
    );
}
