//! Constraints stop a run set when a budget is reached.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, seeds};
use serde_json::json;

fn pipeline(constraints: &str) -> String {
    format!(
        "name: c\nblocks:\n  - type: TextGenerator\n    config: {{user_prompt: 'one two three four'}}\nconstraints: {constraints}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_budget_stops_the_run_set_once_reached() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Each run: 4 input + 6 output words ("Echo: one two three four" is 5; tokens 4 + 5 = 9).
    let (out, records) = ws
        .run_pipeline(
            &pipeline("{max_total_tokens: 30}"),
            &seeds(20, |_| json!({})),
            &["--concurrency", "1"],
        )
        .await;
    out.assert_success();
    assert_eq!(
        records.len(),
        4,
        "9, 18, 27 are below 30; the fourth run reaches 36 and stops the set"
    );
    assert!(
        out.stderr.contains("stopped: max_total_tokens reached"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_token_budget_and_minus_one_as_unlimited() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (_, records) = ws
        .run_pipeline(
            &pipeline("{max_total_output_tokens: 10, max_total_tokens: -1}"),
            &seeds(10, |_| json!({})),
            &["--concurrency", "1"],
        )
        .await;
    assert_eq!(records.len(), 2, "5 then 10 output tokens");
    let (out, records) = ws
        .run_pipeline(
            &pipeline("{max_total_tokens: -1}"),
            &seeds(6, |_| json!({})),
            &[],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_time_budget_stops_runs_in_flight() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: std::time::Duration::from_secs(30),
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    let (out, records) = ws
        .run_pipeline(
            &pipeline("{max_total_execution_time: 1}"),
            &seeds(40, |_| json!({})),
            &["--concurrency", "2"],
        )
        .await;
    assert!(
        started.elapsed().as_secs() < 10,
        "runs in flight are aborted, not awaited"
    );
    assert!(records.is_empty(), "no run can finish within the budget");
    assert!(
        out.stderr
            .contains("stopped: max_total_execution_time reached"),
        "{}",
        out.stderr
    );
    out.assert_failure();
    assert!(out.stderr.contains("no run completed"), "{}", out.stderr);
    assert_eq!(
        fake.chat_requests(),
        2,
        "two runs were in flight, no more started"
    );
}
