//! The bench's SQLite scenario: a job through `blockforge serve` on a SQLite file, alone and
//! with concurrent readers of `GET /api/records?limit=100` (the review page used while a job
//! runs). Prints the job's records/s both ways and the latency of the reads made during the
//! job (p50, p99). Numbers are printed, never asserted.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, FakeLlmConfig};
use crate::proc_threads;

/// Readers of the loaded measurement.
pub const READERS: usize = 20;

/// One job's numbers.
struct JobRun {
    records: i64,
    failed: i64,
    /// The job's own time, created → completed, in seconds.
    secs: f64,
    /// Every read answered during the job, in ms, sorted.
    read_ms: Vec<f64>,
    /// Reads not answered 200.
    read_errors: usize,
    /// CPU the server's threads used during the job.
    server_cpu: Vec<(String, f64, Vec<f64>)>,
    /// CPU the bench's own threads used during the job: the readers' (`bench-readers`) and
    /// the fake LLM's with the job's polling (the rest).
    bench_cpu: Vec<(String, f64, Vec<f64>)>,
    /// Record pages asked for and queries that answered them (`/api/metrics`).
    pages: (u64, u64),
}

/// Prints the scenario: `seeds` seeds at `concurrency` runs in flight, against a fake LLM that
/// answers at once, without readers and with [`READERS`] of them, `rounds` times in turn
/// (alone, with readers, alone, ...). A job alone runs for a second or two, and on a shared
/// virtual machine its rate varies by a quarter from one run to the next; the median of the
/// rounds' ratios is the figure to quote.
pub async fn print_readers_during_a_job(
    blockforge: &Path,
    seeds: usize,
    concurrency: usize,
    rounds: usize,
    dir: &Path,
) -> anyhow::Result<()> {
    println!();
    println!(
        "SQLite under readers: blockforge serve, a {seeds}-seed job (concurrency {concurrency}, 0 ms LLM), \
         alone and with {READERS} clients reading GET /api/records?limit=100, {rounds} rounds in turn"
    );
    println!(
        "{:>6} {:>10} {:>9} {:>7} {:>12} {:>9} {:>11} {:>11} {:>12}",
        "round",
        "readers",
        "records",
        "failed",
        "records/s",
        "reads",
        "read p50",
        "read p99",
        "read errors"
    );
    let rate = |run: &JobRun| run.records as f64 / run.secs.max(1e-9);
    let rounds = rounds.max(1);
    let (mut ratios, mut all_reads, mut last_round) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        // A database of its own for each job: none starts with another's records.
        let alone_db = dir.join(format!("alone-{round}.db"));
        let alone = measure(blockforge, seeds, concurrency, 0, &alone_db).await?;
        let read_db = dir.join(format!("read-{round}.db"));
        let read = measure(blockforge, seeds, concurrency, READERS, &read_db).await?;
        for (readers, run) in [(0, &alone), (READERS, &read)] {
            println!(
                "{:>6} {:>10} {:>9} {:>7} {:>12.0} {:>9} {:>8.1} ms {:>8.1} ms {:>12}",
                round,
                readers,
                run.records,
                run.failed,
                rate(run),
                run.read_ms.len(),
                percentile(&run.read_ms, 0.5),
                percentile(&run.read_ms, 0.99),
                run.read_errors
            );
        }
        ratios.push(100.0 * rate(&read) / rate(&alone).max(1e-9));
        all_reads.extend_from_slice(&read.read_ms);
        if round == rounds {
            last_round = vec![(0, alone), (READERS, read)];
        }
    }
    ratios.sort_by(f64::total_cmp);
    all_reads.sort_by(f64::total_cmp);
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.0}%")).collect();
    println!(
        "with readers the job ran at {:.0}% (median of {}) of its speed alone; reads during the jobs: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&ratios, 0.5),
        shown.join(", "),
        percentile(&all_reads, 0.5),
        percentile(&all_reads, 0.99)
    );
    println!("targets: within 20% (>= 80%), read p99 <= 50 ms");
    for (readers, run) in &last_round {
        println!(
            "CPU during the last round's job with {readers} readers ({} record pages asked for, {} queries):",
            run.pages.0, run.pages.1
        );
        for (whose, used) in [("server", &run.server_cpu), ("bench", &run.bench_cpu)] {
            let total: f64 = used.iter().map(|(_, secs, _)| secs).sum();
            println!("  {whose}: {total:.2} s");
            for line in proc_threads::describe(used) {
                println!("    {line}");
            }
        }
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One job on a fresh server and database, with `readers` clients reading pages of records
/// until it has ended.
async fn measure(
    blockforge: &Path,
    seeds: usize,
    concurrency: usize,
    readers: usize,
    database: &Path,
) -> anyhow::Result<JobRun> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let dir = database.parent().context("no folder")?;
    let server =
        crate::bench_server::start(blockforge, database, &fake.base_url(), concurrency, dir)
            .await?;
    let (http, base, server_pid) = (reqwest::Client::new(), server.base.clone(), server.pid);
    // The readers stand for browsers elsewhere: they run on threads of their own, not on the
    // runtime of the fake provider the job calls, so a busy reader never delays an answer
    // of the provider in this process's task queue (the OS still shares the cores).
    let reader_threads = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-readers")
        .enable_all()
        .build()?;
    let job_id = start_job(&http, &base, seeds, concurrency).await?;
    let (server_before, bench_before) = (
        proc_threads::by_thread(server_pid),
        proc_threads::by_thread(std::process::id()),
    );
    let ended = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..readers)
        .map(|_| {
            let (base, ended) = (base.clone(), ended.clone());
            reader_threads.spawn(async move {
                let http = reqwest::Client::new();
                let (mut times, mut errors) = (Vec::new(), 0);
                while !ended.load(Ordering::SeqCst) {
                    let sent = Instant::now();
                    match http
                        .get(format!("{base}/api/records?limit=100"))
                        .send()
                        .await
                    {
                        Ok(response) if response.status().is_success() => {
                            // The whole body, as a browser would read it.
                            if response.bytes().await.is_err() {
                                errors += 1;
                            }
                        }
                        _ => errors += 1,
                    }
                    times.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                (times, errors)
            })
        })
        .collect();
    let job = job_ended(&http, &base, job_id, Duration::from_millis(250)).await?;
    let (server_after, bench_after) = (
        proc_threads::by_thread(server_pid),
        proc_threads::by_thread(std::process::id()),
    );
    ended.store(true, Ordering::SeqCst);
    let (mut read_ms, mut read_errors) = (Vec::new(), 0);
    for task in tasks {
        let (times, errors) = task.await?;
        read_ms.extend(times);
        read_errors += errors;
    }
    reader_threads.shutdown_background();
    read_ms.sort_by(f64::total_cmp);
    let metrics: Value = http
        .get(format!("{base}/api/metrics"))
        .send()
        .await?
        .json()
        .await?;
    let count = |key: &str| metrics["record_pages"][key].as_u64().unwrap_or(0);
    drop(server);
    if job["status"] != "completed" {
        bail!("the job ended {}: {job}", job["status"]);
    }
    let ms = |key: &str| job[key].as_i64().unwrap_or(0);
    Ok(JobRun {
        records: ms("records_generated"),
        failed: ms("records_failed"),
        secs: (ms("completed_at") - ms("created_at")) as f64 / 1000.0,
        read_ms,
        read_errors,
        server_cpu: proc_threads::used_between(&server_before, &server_after),
        bench_cpu: proc_threads::used_between(&bench_before, &bench_after),
        pages: (count("requests"), count("queries")),
    })
}

/// Job `job_id` once it is no longer running, asked for every `every` (an error after an
/// hour).
pub async fn job_ended(
    http: &reqwest::Client,
    base: &str,
    job_id: i64,
    every: Duration,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let job: Value = http
            .get(format!("{base}/api/jobs/{job_id}"))
            .send()
            .await?
            .json()
            .await?;
        if job["status"] != "running" {
            return Ok(job);
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("the job did not finish within an hour: {job}");
        }
        tokio::time::sleep(every).await;
    }
}

/// Saves the bench pipeline and starts a job of `seeds` seeds; answers its id.
async fn start_job(
    http: &reqwest::Client,
    base: &str,
    seeds: usize,
    concurrency: usize,
) -> anyhow::Result<i64> {
    let pipeline_id = create_pipeline(http, base).await?;
    submit_job(http, base, pipeline_id, seeds, concurrency).await
}

/// Saves the bench pipeline (TextGenerator → ValidatorBlock) on the server at `base`;
/// answers its id.
pub async fn create_pipeline(http: &reqwest::Client, base: &str) -> anyhow::Result<i64> {
    let definition = json!({"name": "readers", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "Write about {{ topic }} number {{ n }}."}},
        {"type": "ValidatorBlock", "config": {"min_length": 5, "max_length": 5000}}]});
    let created: Value = http
        .post(format!("{base}/api/pipelines"))
        .json(&definition)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    created["id"].as_i64().context("no pipeline id")
}

/// Starts a job of pipeline `pipeline_id` over `seeds` one-repetition seeds at
/// `concurrency` (`POST /api/generate`); answers its id.
pub async fn submit_job(
    http: &reqwest::Client,
    base: &str,
    pipeline_id: i64,
    seeds: usize,
    concurrency: usize,
) -> anyhow::Result<i64> {
    let seeds: Vec<Value> = (0..seeds)
        .map(|n| json!({"repetitions": 1, "metadata": {"topic": "reviews", "n": n}}))
        .collect();
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline_id.to_string())
        .text("concurrency", concurrency.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(serde_json::to_string(&seeds)?).file_name("seeds.json"),
        );
    let answer: Value = http
        .post(format!("{base}/api/generate"))
        .multipart(form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["job_id"].as_i64().context("no job id")
}
