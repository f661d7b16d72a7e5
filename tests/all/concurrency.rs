//! Runs execute concurrently, bounded by `--concurrency` and by the per-endpoint LLM bound.

use std::time::Duration;

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, seeds};
use serde_json::json;

const PIPELINE: &str =
    "name: c\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'n {{ n }}'}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_concurrency_bound_is_what_the_provider_sees() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let (out, records) = ws
        .run_pipeline(
            PIPELINE,
            &seeds(24, |i| json!({"n": i})),
            &["--concurrency", "4"],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 24);
    assert_eq!(
        fake.max_concurrency(),
        4,
        "runs go concurrently, never more than 4"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_endpoint_bound_caps_requests_below_the_run_concurrency() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    ws.set_env("LLM_MAX_CONCURRENCY", "3");
    let (out, records) = ws
        .run_pipeline(
            PIPELINE,
            &seeds(18, |i| json!({"n": i})),
            &["--concurrency", "16"],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 18);
    assert_eq!(fake.max_concurrency(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_runs_in_flight_than_block_instances_wait_for_one_and_all_complete() {
    // Each call holds its instance through a model request: 64 runs share 2 instances.
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(2),
        ..Default::default()
    })
    .await;
    ws.set_env("BLOCK_MAX_INSTANCES", "2");
    let pipeline = "name: c\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'n {{ n }}'}\n  - type: ValidatorBlock\n    config: {min_length: 1}\n";
    let (out, records) = ws
        .run_pipeline(
            pipeline,
            &seeds(600, |i| json!({"n": i})),
            &["--concurrency", "64"],
        )
        .await;
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r["status"] != "completed")
        .map(|r| r["error"].to_string())
        .take(3)
        .collect();
    assert!(failed.is_empty(), "runs failed: {failed:?}");
    out.assert_success();
    assert_eq!(records.len(), 600);
    assert_eq!(fake.max_concurrency(), 2, "never more calls than instances");
}
