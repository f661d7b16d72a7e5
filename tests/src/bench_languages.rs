//! The bench's language scenario: the same small block (Shout, `examples/blocks/*`) written in
//! Rust, Python and JavaScript. For each: the first load (compiling the component, as a fresh
//! compile cache does), the load with a warm compile cache, the time of one call one at a time
//! (p50 and p99: a fresh instance, the call and its host imports), and records/s of a
//! 10,000-seed job of that block. Loads are measured as `blockforge blocks` with the plugin
//! minus the same command without it. Numbers are printed, never asserted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::bench_blocks::percentile;

/// The examples: (language, component file stem, block type).
const EXAMPLES: [(&str, &str, &str); 3] = [
    ("Rust", "rust_shout", "RustShout"),
    ("Python", "py_shout", "PyShout"),
    ("JavaScript", "js_shout", "JsShout"),
];

/// `language-blocks` beside the profile folder of `blockforge` (`make language-blocks`).
pub fn default_dir(blockforge: &Path) -> PathBuf {
    blockforge
        .ancestors()
        .nth(2)
        .map(|target| target.join("language-blocks"))
        .unwrap_or_else(|| PathBuf::from("language-blocks"))
}

/// `blockforge <args>` with `plugins` and `cache`; its wall time. Fails when it fails.
async fn timed(
    blockforge: &Path,
    args: &[&str],
    plugins: &Path,
    cache: &Path,
) -> anyhow::Result<(Duration, std::process::Output)> {
    let started = Instant::now();
    let output = tokio::process::Command::new(blockforge)
        .args(args)
        .env("PLUGINS_DIR", plugins)
        .env("BLOCKFORGE_CACHE_DIR", cache)
        .env("LLM_ENDPOINT", "http://127.0.0.1:9/v1")
        .output()
        .await
        .context("cannot start blockforge")?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "blockforge {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((elapsed, output))
}

/// Runs `seeds` seeds through a one-block pipeline of `block_type`; returns the run's wall
/// time and each call's time in µs (sorted).
async fn run_job(
    blockforge: &Path,
    block_type: &str,
    seeds: usize,
    concurrency: usize,
    plugins: &Path,
    cache: &Path,
    dir: &Path,
) -> anyhow::Result<(Duration, Vec<f64>)> {
    let pipeline = dir.join("language.json");
    std::fs::write(
        &pipeline,
        json!({"name": block_type, "blocks": [{"type": block_type, "config": {"prefix": "{{ n }}: "}}]})
            .to_string(),
    )?;
    let seed_list: Vec<Value> = (0..seeds)
        .map(|n| json!({"repetitions": 1, "metadata": {"n": n, "text": "the model writes a short answer"}}))
        .collect();
    let seeds_path = dir.join("language-seeds.json");
    std::fs::write(&seeds_path, serde_json::to_string(&seed_list)?)?;
    let out = dir.join("language-records.jsonl");
    let _ = std::fs::remove_file(&out);
    let concurrency = concurrency.to_string();
    let args = [
        "run",
        "--concurrency",
        &concurrency,
        "--pipeline",
        &pipeline.display().to_string(),
        "--seeds",
        &seeds_path.display().to_string(),
        "--out",
        &out.display().to_string(),
    ];
    let (elapsed, _) = timed(blockforge, &args, plugins, cache).await?;
    let mut times = Vec::with_capacity(seeds);
    for line in std::fs::read_to_string(&out)?.lines() {
        let record: Value = serde_json::from_str(line)?;
        if record["status"] != "completed" {
            bail!(
                "a run of {block_type} did not complete: {}",
                record["error"]
            );
        }
        for entry in record["trace"].as_array().into_iter().flatten() {
            times.push(entry["execution_time"].as_f64().unwrap_or(0.0) * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((elapsed, times))
}

/// Prints one row per language: first load, warm load, per-call p50/p99, records/s.
pub async fn print_languages(
    blockforge: &Path,
    blocks: &Path,
    calls: usize,
    seeds: usize,
    dir: &Path,
) -> anyhow::Result<()> {
    println!(
        "The same block in three languages (examples/blocks, from {}): load, call, job",
        blocks.display()
    );
    println!(
        "{:>11} {:>9} {:>12} {:>12} {:>11} {:>11} {:>13}",
        "language", "size", "first load", "warm load", "call p50", "call p99", "records/s"
    );
    for (language, stem, block_type) in EXAMPLES {
        let wasm = blocks.join(format!("{stem}.wasm"));
        if !wasm.is_file() {
            bail!(
                "{} is missing: run `make language-blocks` first",
                wasm.display()
            );
        }
        let case = dir.join(stem);
        let (empty, plugins, cache) =
            (case.join("empty"), case.join("plugins"), case.join("cache"));
        for folder in [&empty, &plugins, &cache] {
            std::fs::create_dir_all(folder)?;
        }
        // The builtins compiled once, so the loads below differ only by the plugin.
        timed(blockforge, &["blocks"], &empty, &cache).await?;
        let (baseline, _) = timed(blockforge, &["blocks"], &empty, &cache).await?;
        std::fs::copy(&wasm, plugins.join(format!("{stem}.wasm")))?;
        let (cold, _) = timed(blockforge, &["blocks"], &plugins, &cache).await?;
        let (warm, _) = timed(blockforge, &["blocks"], &plugins, &cache).await?;
        let (_, per_call) =
            run_job(blockforge, block_type, calls, 1, &plugins, &cache, &case).await?;
        let (job, _) = run_job(blockforge, block_type, seeds, 16, &plugins, &cache, &case).await?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>11} {:>6.1} MB {:>9.0} ms {:>9.0} ms {:>8.0} µs {:>8.0} µs {:>13.0}",
            language,
            std::fs::metadata(&wasm)?.len() as f64 / 1e6,
            ms(cold.saturating_sub(baseline)),
            ms(warm.saturating_sub(baseline)),
            percentile(&per_call, 0.5),
            percentile(&per_call, 0.99),
            seeds as f64 / job.as_secs_f64()
        );
    }
    println!(
        "(targets for Python and JavaScript: call p50 <= 2000 µs, warm load <= 200 ms; a job's records/s includes the process start and writing the records)"
    );
    Ok(())
}
