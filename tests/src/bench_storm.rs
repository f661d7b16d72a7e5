//! The storm scenario of `make bench` (issue 18): a job against a provider in a rate-limit
//! storm — 30% 429 with `Retry-After: 1`, 10% 500, 5% non-JSON answers, 5% hanging requests
//! (abandoned at a 5 s per-attempt timeout) — through `blockforge run` with the per-model
//! limit at the runs in flight. Prints records completed and failed, the wall time, the
//! slowest run's own time (a floor no scheduling beats: the job cannot end before its
//! slowest run's chain of retries), and the attempts the job counted against the requests
//! the provider saw. Numbers are printed, never asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, FakeLlmConfig, Storm};

/// What the storm job gave.
#[derive(Debug, Clone, Copy)]
pub struct StormResult {
    /// Records completed.
    pub completed: usize,
    /// Records failed.
    pub failed: usize,
    /// The job's wall time (the process's, start-up included), seconds.
    pub wall_secs: f64,
    /// The slowest record's execution time, seconds.
    pub slowest_run_secs: f64,
    /// HTTP attempts counted in the records' traces.
    pub attempts: u64,
    /// Requests the fake provider received.
    pub provider_requests: u32,
}

/// The storm of issue 18 (hanging requests hang `hang`).
pub fn storm(hang: Duration) -> Storm {
    Storm {
        rate_limited: 30,
        retry_after: Duration::from_secs(1),
        server_error: 10,
        invalid_json: 5,
        hanging: 5,
        hang,
    }
}

/// Runs `seeds` seeds of one TextGenerator through `blockforge` with `concurrency` runs in
/// flight (and as the model's limit) against the storm, in `dir`.
pub async fn run_storm(
    blockforge: &Path,
    seeds: usize,
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<StormResult> {
    let attempt_timeout = Duration::from_secs(5);
    let fake = FakeLlm::start(FakeLlmConfig {
        storm: Some(storm(attempt_timeout * 4)),
        ..FakeLlmConfig::default()
    })
    .await;
    let pipeline = dir.join("storm.yaml");
    std::fs::write(
        &pipeline,
        "name: storm\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'storm {{ n }}'}\n",
    )?;
    let seeds_path = dir.join("storm-seeds.json");
    let seed_list: Vec<Value> = (0..seeds)
        .map(|n| json!({"repetitions": 1, "metadata": {"n": n}}))
        .collect();
    std::fs::write(&seeds_path, serde_json::to_string(&seed_list)?)?;
    let out = dir.join("storm-records.jsonl");
    let _ = std::fs::remove_file(&out);
    let started = Instant::now();
    let output = tokio::process::Command::new(blockforge)
        .args(["run", "--pipeline"])
        .arg(&pipeline)
        .arg("--seeds")
        .arg(&seeds_path)
        .arg("--out")
        .arg(&out)
        .args(["--concurrency", &concurrency.to_string()])
        .env("LLM_ENDPOINT", fake.base_url())
        .env("LLM_MODEL", "fake-model")
        .env("LLM_MAX_CONCURRENCY", concurrency.to_string())
        .env("LLM_TIMEOUT_SECS", attempt_timeout.as_secs().to_string())
        .env("PLUGINS_DIR", dir.join("no-plugins"))
        .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"))
        .output()
        .await
        .context("cannot start blockforge")?;
    let wall_secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    if text.is_empty() && !output.status.success() {
        bail!("blockforge failed: {stderr}");
    }
    let mut result = StormResult {
        completed: 0,
        failed: 0,
        wall_secs,
        slowest_run_secs: 0.0,
        attempts: 0,
        provider_requests: fake.chat_requests(),
    };
    for line in text.lines() {
        let record: Value = serde_json::from_str(line)?;
        if record["status"] == "completed" {
            result.completed += 1;
        } else {
            result.failed += 1;
        }
        result.slowest_run_secs = result
            .slowest_run_secs
            .max(record["execution_time"].as_f64().unwrap_or(0.0));
        for entry in record["trace"].as_array().into_iter().flatten() {
            for call in entry["llm_calls"].as_array().into_iter().flatten() {
                result.attempts += call["attempts"].as_u64().unwrap_or(0);
            }
        }
    }
    Ok(result)
}

/// Runs the storm job and prints its numbers.
pub async fn print_storm(
    blockforge: &Path,
    seeds: usize,
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<()> {
    println!(
        "Rate-limit storm: {seeds} seeds, {concurrency} runs in flight and per-model limit; provider answers 30% 429 (Retry-After 1 s), 10% 500, 5% non-JSON, 5% hanging (5 s per-attempt timeout)"
    );
    let r = run_storm(blockforge, seeds, concurrency, dir).await?;
    println!(
        "  completed {}/{}, failed {}; wall time {:.1} s; slowest run {:.1} s (wall / slowest {:.2}×); attempts counted {} of {} requests the provider saw",
        r.completed,
        seeds,
        r.failed,
        r.wall_secs,
        r.slowest_run_secs,
        r.wall_secs / r.slowest_run_secs.max(1e-9),
        r.attempts,
        r.provider_requests
    );
    println!("  targets: {seeds}/{seeds} completed, wall time within 2× of the slowest run");
    Ok(())
}
