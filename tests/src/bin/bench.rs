//! `make bench`: 10,000 seeds through TextGenerator → ValidatorBlock with concurrency 64,
//! against the fake LLM at 0 ms and at 50 ms latency, several ways:
//! - the CLI (`blockforge run`): records/s, the median and p99 block-call overhead (time
//!   around a block call minus time inside host imports) and the peak RSS of the process;
//! - the REST path (`blockforge serve` on SQLite): create the pipeline, `POST /api/generate`,
//!   and time submit → job completed; the server's peak RSS; and start → `/health` answering
//!   with a warm compile cache;
//! - the LLM gateway: time per model call at 0 ms latency (the gateway's overhead: limits,
//!   request building, the loopback round trip, parsing; median and p99, from the calls in
//!   the records' traces), and calls/s at a per-model concurrency limit below the runs in
//!   flight, against what the limit allows (`limit / latency`);
//! - a provider storm, readers of records during a job (see `bench_storm`, `bench_sqlite`);
//! - each builtin block's time per call on a typical state (see `bench_blocks`);
//! - the same block in Rust, Python and JavaScript: load, call, job (see `bench_languages`);
//! - 1 and 3 `blockforge worker` processes on one PostgreSQL: records/s and the time from a
//!   job's submission to its first model request (see `bench_workers`);
//! - seed files of 10,000 and 1,000,000 seeds through the REST path: the server's peak RSS,
//!   upload included, and records/s (see `bench_seeds`);
//! - a 1 GiB JSONL dataset imported through `/api/datasets` and exported as Parquet: MiB/s and
//!   the server's peak RSS growth during each (see `bench_datasets`).
//!
//! `--only cli,rest,...` runs some of them. Numbers are printed, never asserted. The fake LLM
//! runs inside this process, on loopback.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::proc_threads;
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The blockforge binary (a release build).
    #[arg(long)]
    blockforge: PathBuf,
    /// Seeds per run set.
    #[arg(long, default_value_t = 10_000)]
    seeds: usize,
    /// Runs in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Fake LLM latencies to measure, in milliseconds.
    #[arg(long, value_delimiter = ',', default_value = "0,50")]
    latencies_ms: Vec<u64>,
    /// The per-model concurrency limit of the gateway throughput measurement.
    #[arg(long, default_value_t = 8)]
    gateway_limit: usize,
    /// Fake LLM latency of the gateway throughput measurement, in milliseconds.
    #[arg(long, default_value_t = 50)]
    gateway_latency_ms: u64,
    /// Calls per builtin block in the per-block measurement.
    #[arg(long, default_value_t = 500)]
    block_calls: usize,
    /// The example blocks of each language (`make language-blocks`); default:
    /// `language-blocks` in the target directory of `--blockforge`.
    #[arg(long)]
    language_blocks: Option<PathBuf>,
    /// Seeds of the workers scenario's job.
    #[arg(long, default_value_t = 20_000)]
    worker_seeds: usize,
    /// Runs in flight per worker in the workers scenario.
    #[arg(long, default_value_t = 32)]
    worker_concurrency: usize,
    /// Fake LLM latency of the workers scenario, in milliseconds.
    #[arg(long, default_value_t = 50)]
    worker_latency_ms: u64,
    /// Counts of workers the workers scenario measures (the first is the baseline).
    #[arg(long, value_delimiter = ',', default_value = "1,3")]
    workers: Vec<usize>,
    /// Seeds of each job of the seed-file scenario (`seeds`).
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    seed_files: Vec<usize>,
    /// Size of the datasets scenario's JSONL file, in MiB (a few MiB for a quick run).
    #[arg(long, default_value_t = 1024)]
    dataset_mib: u64,
    /// Rounds of the readers scenario (each: a job alone, then one with readers).
    #[arg(long, default_value_t = 3)]
    reader_rounds: usize,
    /// Run only these scenarios (`cli`, `gateway`, `storm`, `rest`, `readers`, `blocks`,
    /// `languages`, `workers`, `seeds`, `datasets`); all when empty.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

impl Args {
    /// Whether the scenario `name` is to run.
    fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }
}

const PIPELINE: &str = r#"
name: bench
blocks:
  - type: TextGenerator
    config:
      system_prompt: You write one short sentence.
      user_prompt: "Write about {{ topic }} number {{ n }}."
  - type: ValidatorBlock
    config: {min_length: 5, max_length: 5000, forbidden_words: ["forbidden"]}
"#;

struct Measurement {
    records: usize,
    failed: usize,
    run_secs: f64,
    process_secs: f64,
    overhead_us: Vec<f64>,
    /// Duration of every model call, sorted (ms).
    llm_call_ms: Vec<f64>,
    peak_rss_mib: f64,
    /// The CPU the CLI says it used during its runs (seconds), all threads.
    cpu_secs: Option<f64>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the pipeline over `args.seeds` seeds with the fake LLM at `latency`, `llm_limit`
/// requests at once to the model.
async fn measure(
    args: &Args,
    latency: Duration,
    llm_limit: usize,
    dir: &std::path::Path,
) -> anyhow::Result<Measurement> {
    let fake = FakeLlm::start(FakeLlmConfig {
        latency,
        ..FakeLlmConfig::default()
    })
    .await;
    let pipeline = dir.join("pipeline.yaml");
    std::fs::write(&pipeline, PIPELINE)?;
    let seeds: Vec<Value> = (0..args.seeds)
        .map(|n| json!({"repetitions": 1, "metadata": {"topic": "benchmarks", "n": n}}))
        .collect();
    let seeds_path = dir.join("seeds.json");
    std::fs::write(&seeds_path, serde_json::to_string(&seeds)?)?;
    let out = dir.join("records.jsonl");
    let _ = std::fs::remove_file(&out);

    let started = Instant::now();
    let mut child = tokio::process::Command::new(&args.blockforge)
        .args(["run", "--pipeline"])
        .arg(&pipeline)
        .arg("--seeds")
        .arg(&seeds_path)
        .arg("--out")
        .arg(&out)
        .args(["--concurrency", &args.concurrency.to_string()])
        .env("LLM_ENDPOINT", fake.base_url())
        .env("LLM_MODEL", "fake-model")
        .env("LLM_MAX_CONCURRENCY", llm_limit.to_string())
        .env("PLUGINS_DIR", dir.join("no-plugins"))
        .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot start blockforge")?;
    let pid = child.id().context("no pid")?;
    let mut peak_kib = 0;
    let stderr = child.stderr.take().context("no stderr")?;
    let collect = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut text = String::new();
        let mut stderr = stderr;
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        match tokio::time::timeout(Duration::from_millis(20), child.wait()).await {
            Ok(status) => break status?,
            Err(_) => continue,
        }
    };
    let process_secs = started.elapsed().as_secs_f64();
    let stderr = collect.await.unwrap_or_default();
    if !status.success() {
        bail!("blockforge failed: {stderr}");
    }
    // The CLI prints "N runs: ... in X.XXs" and its own peak RSS.
    let run_secs = stderr
        .split(" in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|secs| secs.parse::<f64>().ok())
        .unwrap_or(process_secs);
    if let Some(mib) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak RSS: "))
        .and_then(|l| l.trim_end_matches(" MiB").parse::<f64>().ok())
    {
        peak_kib = peak_kib.max((mib * 1024.0) as u64);
    }
    let cpu_secs = stderr
        .lines()
        .find_map(|l| l.strip_prefix("CPU during the runs: "))
        .and_then(|l| l.split(" s").next())
        .and_then(|secs| secs.parse::<f64>().ok());
    let text = std::fs::read_to_string(&out)?;
    let mut overhead_us = Vec::with_capacity(args.seeds * 2);
    let mut llm_call_ms = Vec::with_capacity(args.seeds);
    let mut records = 0;
    let mut failed = 0;
    for line in text.lines() {
        let record: Value = serde_json::from_str(line)?;
        records += 1;
        if record["status"] != "completed" {
            failed += 1;
        }
        for entry in record["trace"].as_array().into_iter().flatten() {
            let total = entry["execution_time"].as_f64().unwrap_or(0.0);
            let imports = entry["import_time"].as_f64().unwrap_or(0.0);
            overhead_us.push((total - imports).max(0.0) * 1e6);
            for call in entry["llm_calls"].as_array().into_iter().flatten() {
                llm_call_ms.push(call["duration_ms"].as_f64().unwrap_or(0.0));
            }
        }
    }
    overhead_us.sort_by(|a, b| a.total_cmp(b));
    llm_call_ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Measurement {
        records,
        failed,
        run_secs,
        process_secs,
        overhead_us,
        llm_call_ms,
        peak_rss_mib: peak_kib as f64 / 1024.0,
        cpu_secs,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    // Warm the compile cache so neither measurement pays for compilation.
    let warm = Args {
        seeds: 10,
        latencies_ms: vec![0],
        ..Args::parse()
    };
    measure(&warm, Duration::ZERO, warm.concurrency, dir.path()).await?;
    // CPU per record of the CLI at each latency, for the REST path's comparison.
    let mut cli_cpu = Vec::new();
    if args.runs("cli") {
        cli_cpu = print_cli(&args, dir.path()).await?;
        println!();
    }
    if args.runs("gateway") {
        print_gateway(&args, dir.path()).await?;
        println!();
    }
    if args.runs("storm") {
        blockforge_tests::bench_storm::print_storm(
            &args.blockforge,
            args.seeds.min(500),
            args.concurrency,
            dir.path(),
        )
        .await?;
        println!();
    }
    if args.runs("rest") {
        print_rest(&args, &cli_cpu, dir.path()).await?;
    }
    if args.runs("readers") {
        blockforge_tests::bench_sqlite::print_readers_during_a_job(
            &args.blockforge,
            args.seeds,
            args.concurrency,
            args.reader_rounds,
            dir.path(),
        )
        .await?;
    }
    if args.runs("blocks") {
        println!();
        blockforge_tests::bench_blocks::print_block_calls(
            &args.blockforge,
            args.block_calls,
            dir.path(),
        )
        .await?;
    }
    if args.runs("languages") {
        println!();
        let blocks = args
            .language_blocks
            .clone()
            .unwrap_or_else(|| blockforge_tests::bench_languages::default_dir(&args.blockforge));
        blockforge_tests::bench_languages::print_languages(
            &args.blockforge,
            &blocks,
            args.block_calls,
            args.seeds,
            dir.path(),
        )
        .await?;
    }
    if args.runs("workers") {
        println!();
        blockforge_tests::bench_workers::print_workers(
            &args.blockforge,
            &blockforge_tests::bench_workers::WorkersScenario {
                seeds: args.worker_seeds,
                concurrency: args.worker_concurrency,
                latency: Duration::from_millis(args.worker_latency_ms),
                workers: args.workers.clone(),
            },
            dir.path(),
        )
        .await?;
    }
    if args.runs("seeds") {
        println!();
        blockforge_tests::bench_seeds::print_seed_files(
            &args.blockforge,
            &args.seed_files,
            args.concurrency,
            dir.path(),
        )
        .await?;
    }
    if args.runs("datasets") {
        println!();
        blockforge_tests::bench_datasets::print_datasets(
            &args.blockforge,
            args.dataset_mib,
            dir.path(),
        )
        .await?;
    }
    Ok(())
}

/// The CLI's numbers at each latency: records/s, block-call overhead, peak RSS, CPU per
/// record. Returns the CPU per record (µs) measured at each latency.
async fn print_cli(args: &Args, dir: &std::path::Path) -> anyhow::Result<Vec<(u64, f64)>> {
    println!(
        "blockforge bench: {} seeds, TextGenerator -> ValidatorBlock, --concurrency {}, {} cores",
        args.seeds,
        args.concurrency,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "{:>10} {:>9} {:>7} {:>12} {:>14} {:>16} {:>15} {:>13} {:>13}",
        "latency",
        "records",
        "failed",
        "records/s",
        "target",
        "overhead p50",
        "overhead p99",
        "peak RSS",
        "CPU/record"
    );
    let mut cpu_per_record = Vec::new();
    for &latency_ms in &args.latencies_ms {
        let m = measure(
            args,
            Duration::from_millis(latency_ms),
            args.concurrency,
            dir,
        )
        .await?;
        let rate = m.records as f64 / m.run_secs;
        let target = target(latency_ms, args.concurrency);
        let cpu_us = m.cpu_secs.map(|secs| secs * 1e6 / m.records.max(1) as f64);
        if let Some(cpu_us) = cpu_us {
            cpu_per_record.push((latency_ms, cpu_us));
        }
        println!(
            "{:>8}ms {:>9} {:>7} {:>12.0} {:>14} {:>13.1} µs {:>12.1} µs {:>9.1} MiB {:>10.1} µs",
            latency_ms,
            m.records,
            m.failed,
            rate,
            target,
            percentile(&m.overhead_us, 0.5),
            percentile(&m.overhead_us, 0.99),
            m.peak_rss_mib,
            cpu_us.unwrap_or(f64::NAN)
        );
        println!(
            "{:>10} (process wall time {:.2}s including start-up; {} block calls measured)",
            "",
            m.process_secs,
            m.overhead_us.len()
        );
    }
    println!(
        "targets: peak RSS <= 60 MiB. CPU/record: the process's CPU during the runs, all threads. Overhead: a call's time \
         outside its imports; with many runs in flight it includes waiting for a thread after an import answers \
         (the one-call-at-a-time figure of a Rust block is ValidatorBlock's in the per-block table; target <= 20 µs)"
    );
    Ok(cpu_per_record)
}

/// The REST path's numbers at each latency: records/s, the server's peak RSS, start-up, and
/// its CPU per record against the CLI's (`cli_cpu`: µs per record by latency, where the CLI
/// scenario ran).
async fn print_rest(
    args: &Args,
    cli_cpu: &[(u64, f64)],
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    println!(
        "REST path: blockforge serve (SQLite), POST /api/generate {} seeds, job concurrency {}",
        args.seeds, args.concurrency
    );
    println!(
        "{:>10} {:>9} {:>7} {:>12} {:>14} {:>15} {:>14} {:>13} {:>8}",
        "latency",
        "records",
        "failed",
        "records/s",
        "target",
        "server peak RSS",
        "start→health",
        "CPU/record",
        "vs CLI"
    );
    for &latency_ms in &args.latencies_ms {
        let m = measure_rest(args, Duration::from_millis(latency_ms), dir).await?;
        let cpu_us = m.cpu_secs * 1e6 / m.records.max(1) as f64;
        let versus_cli = cli_cpu
            .iter()
            .find(|(latency, _)| *latency == latency_ms)
            .map_or_else(
                || "-".to_owned(),
                |(_, cli_us)| format!("{:.2}×", cpu_us / cli_us.max(1e-9)),
            );
        println!(
            "{:>8}ms {:>9} {:>7} {:>12.0} {:>14} {:>11.1} MiB {:>11.0} ms {:>10.1} µs {:>8}",
            latency_ms,
            m.records,
            m.failed,
            m.records as f64 / m.job_secs,
            target(latency_ms, args.concurrency),
            m.peak_rss_mib,
            m.start_to_health_ms,
            cpu_us,
            versus_cli,
        );
    }
    println!(
        "targets: peak RSS <= 60 MiB, start < 1000 ms, CPU/record <= 1.2× the CLI's (the server's CPU from the upload to the job's end, polling answered included)"
    );
    Ok(())
}

/// The gateway's numbers: time per call at 0 ms, one run at a time (so the time is the
/// gateway's and not a queue's), and calls/s at the per-model limit.
async fn print_gateway(args: &Args, dir: &std::path::Path) -> anyhow::Result<()> {
    println!("LLM gateway (blockforge run, TextGenerator's model calls)");
    let one_at_a_time = Args {
        concurrency: 1,
        seeds: args.seeds.min(1000),
        ..Args::parse()
    };
    let m = measure(&one_at_a_time, Duration::ZERO, 1, dir).await?;
    println!(
        "  per call at 0 ms latency, one at a time: median {:.0} µs, p99 {:.0} µs ({} calls; limits, request, loopback round trip to the fake, parsing)",
        percentile(&m.llm_call_ms, 0.5) * 1000.0,
        percentile(&m.llm_call_ms, 0.99) * 1000.0,
        m.llm_call_ms.len()
    );
    let latency = Duration::from_millis(args.gateway_latency_ms);
    let m = measure(args, latency, args.gateway_limit, dir).await?;
    let calls = m.llm_call_ms.len() as f64;
    let allowed = args.gateway_limit as f64 / latency.as_secs_f64().max(1e-9);
    println!(
        "  at a limit of {} requests ({} runs in flight, {} ms latency): {:.0} calls/s of {:.0} allowed ({:.0}%), {} failed runs",
        args.gateway_limit,
        args.concurrency,
        args.gateway_latency_ms,
        calls / m.run_secs,
        allowed,
        100.0 * calls / m.run_secs / allowed,
        m.failed
    );
    Ok(())
}

/// The records/s target at `latency_ms`: 2,000 at 0 ms, else 90% of what the concurrency allows.
fn target(latency_ms: u64, concurrency: usize) -> String {
    if latency_ms == 0 {
        ">= 2000".to_owned()
    } else {
        format!(
            ">= {:.0}",
            0.9 * concurrency as f64 / (latency_ms as f64 / 1000.0)
        )
    }
}

struct RestMeasurement {
    records: i64,
    failed: i64,
    job_secs: f64,
    peak_rss_mib: f64,
    start_to_health_ms: f64,
    /// The server's CPU from the upload to the job's end, in seconds.
    cpu_secs: f64,
}

/// One job over the REST API of a fresh `blockforge serve` on a SQLite file.
async fn measure_rest(
    args: &Args,
    latency: Duration,
    dir: &std::path::Path,
) -> anyhow::Result<RestMeasurement> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeLlm::start(FakeLlmConfig {
        latency,
        ..FakeLlmConfig::default()
    })
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let database = dir.join(format!("rest-{}.db", latency.as_millis()));
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&args.blockforge)
        .arg("serve")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("LLM_ENDPOINT", fake.base_url())
        .env("LLM_MODEL", "fake-model")
        .env("LLM_MAX_CONCURRENCY", args.concurrency.to_string())
        .env("PLUGINS_DIR", dir.join("no-plugins"))
        .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"))
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start blockforge serve")?;
    let pid = child.id().context("no pid")?;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    loop {
        if let Ok(response) = http.get(format!("{base}/health")).send().await
            && response.status().is_success()
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("blockforge serve did not answer /health within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let start_to_health_ms = started.elapsed().as_secs_f64() * 1000.0;

    // The same pipeline as PIPELINE, as the API takes it.
    let definition = json!({"name": "bench", "blocks": [
        {"type": "TextGenerator", "config": {
            "system_prompt": "You write one short sentence.",
            "user_prompt": "Write about {{ topic }} number {{ n }}."}},
        {"type": "ValidatorBlock", "config": {
            "min_length": 5, "max_length": 5000, "forbidden_words": ["forbidden"]}}]});
    let created: Value = http
        .post(format!("{base}/api/pipelines"))
        .json(&definition)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let pipeline_id = created["id"].as_i64().context("no pipeline id")?;
    let seeds: Vec<Value> = (0..args.seeds)
        .map(|n| json!({"repetitions": 1, "metadata": {"topic": "benchmarks", "n": n}}))
        .collect();
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline_id.to_string())
        .text("concurrency", args.concurrency.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(serde_json::to_string(&seeds)?).file_name("seeds.json"),
        );
    let submitted = Instant::now();
    let cpu_before = proc_threads::process_cpu_secs(pid).context("no CPU time in /proc")?;
    let answer: Value = http
        .post(format!("{base}/api/generate"))
        .multipart(form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let job_id = answer["job_id"].as_i64().context("no job id")?;
    let mut peak_kib = 0;
    let job = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        let job: Value = http
            .get(format!("{base}/api/jobs/{job_id}"))
            .send()
            .await?
            .json()
            .await?;
        if job["status"] != "running" {
            break job;
        }
        if submitted.elapsed() > Duration::from_secs(600) {
            bail!("the job did not finish within 10 minutes: {job}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let job_secs = submitted.elapsed().as_secs_f64();
    let cpu_secs =
        proc_threads::process_cpu_secs(pid).context("no CPU time in /proc")? - cpu_before;
    if let Some(kib) = vm_hwm_kib(pid) {
        peak_kib = peak_kib.max(kib);
    }
    if job["status"] != "completed" {
        bail!("the job ended {}: {job}", job["status"]);
    }
    let _ = child.kill().await;
    Ok(RestMeasurement {
        records: job["records_generated"].as_i64().unwrap_or(0),
        failed: job["records_failed"].as_i64().unwrap_or(0),
        job_secs,
        peak_rss_mib: peak_kib as f64 / 1024.0,
        start_to_health_ms,
        cpu_secs,
    })
}
