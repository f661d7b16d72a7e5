//! The bench's workers scenario (issue 17): one job run by 1 and by 3 `blockforge worker`
//! processes sharing one PostgreSQL (127.0.0.1:5432, database `test`, a fresh schema each),
//! submitted to an API-only server (`RUN_JOBS=false`), against the fake LLM at a fixed
//! latency. Prints records/s (job created → completed), the time from the job's submission to
//! the first model request (the first claim plus a block call's start), and what the workers
//! waited for: samples of `pg_stat_activity` during the job (connections active, waiting for a
//! lock), the CPU the workers and their PostgreSQL backends used, and the statements the
//! tables saw per record (`pg_stat_user_tables`). Numbers are printed, never asserted.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::Row;
use tokio::io::AsyncBufReadExt;

use crate::bench_sqlite::{create_pipeline, job_ended, submit_job};
use crate::fake_llm::{FakeLlm, FakeLlmConfig};
use crate::proc_threads;

/// The PostgreSQL the bench runs on.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// What to run: `seeds` one-call runs per job at `concurrency` runs in flight per worker,
/// against a fake LLM answering after `latency`, once per count of workers in `workers`.
pub struct WorkersScenario {
    /// Seeds of the job.
    pub seeds: usize,
    /// The job's concurrency (runs in flight in each worker).
    pub concurrency: usize,
    /// The fake LLM's latency.
    pub latency: Duration,
    /// Counts of workers to measure, the first the baseline.
    pub workers: Vec<usize>,
}

/// One measured job.
struct WorkersRun {
    records: i64,
    failed: i64,
    /// Job created → completed, seconds.
    secs: f64,
    /// `POST /api/generate` sent → answered, ms (the job is stored when it answers).
    submit_ms: f64,
    /// The answer → the first model request, ms.
    first_request_ms: f64,
    /// Samples of the workers' connections: (active, waiting for a lock), summed; and samples.
    activity: (u64, u64, u64),
    /// CPU seconds of the worker processes and of their PostgreSQL backends during the job.
    cpu: (f64, f64),
    /// Per table: index scans, sequential scans, rows inserted, rows updated.
    tables: BTreeMap<String, [i64; 4]>,
}

/// Prints the scenario (see the module).
pub async fn print_workers(
    blockforge: &Path,
    scenario: &WorkersScenario,
    dir: &Path,
) -> anyhow::Result<()> {
    println!(
        "Workers on PostgreSQL: a {}-seed job (TextGenerator -> ValidatorBlock, concurrency {} per worker, \
         {} ms LLM) through an API-only server; load before: {}",
        scenario.seeds,
        scenario.concurrency,
        scenario.latency.as_millis(),
        load_average()
    );
    println!(
        "{:>8} {:>8} {:>7} {:>10} {:>7} {:>10} {:>14} {:>13} {:>15}",
        "workers",
        "records",
        "failed",
        "records/s",
        "x base",
        "submit",
        "first request",
        "lock waits",
        "CPU wk/pg"
    );
    let mut base_rate = None;
    let mut runs = Vec::new();
    for &workers in &scenario.workers {
        let run = measure(blockforge, scenario, workers, dir).await?;
        let rate = run.records as f64 / run.secs.max(1e-9);
        let base = *base_rate.get_or_insert(rate);
        let (active, waiting, samples) = run.activity;
        println!(
            "{:>8} {:>8} {:>7} {:>10.0} {:>6.2}x {:>7.0} ms {:>11.0} ms {:>5}/{:<7} {:>6.1}/{:.1} s",
            workers,
            run.records,
            run.failed,
            rate,
            rate / base.max(1e-9),
            run.submit_ms,
            run.first_request_ms,
            waiting,
            active,
            run.cpu.0,
            run.cpu.1,
        );
        runs.push((workers, run, samples));
    }
    println!(
        "targets: 3 workers >= 2.7x one; first request < 100 ms after the job is stored. \
         lock waits: connection samples waiting for a lock / active, every 20 ms during the job"
    );
    for (workers, run, samples) in &runs {
        let per_record = |n: i64| n as f64 / run.records.max(1) as f64;
        let tables: Vec<String> = run
            .tables
            .iter()
            .map(|(name, [idx, seq, ins, upd])| {
                format!(
                    "{name} {:.2} idx/{:.2} seq/{:.2} ins/{:.2} upd",
                    per_record(*idx),
                    per_record(*seq),
                    per_record(*ins),
                    per_record(*upd)
                )
            })
            .collect();
        println!(
            "  {workers} worker(s), per record: {} ({samples} activity samples)",
            tables.join("; ")
        );
    }
    Ok(())
}

/// The machine's load averages (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs statement `sql` on the bench's PostgreSQL database.
async fn admin(pool: &sqlx::AnyPool, sql: String) -> anyhow::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    Ok(())
}

/// One job on a fresh schema, an API-only server and `workers` workers.
async fn measure(
    blockforge: &Path,
    scenario: &WorkersScenario,
    workers: usize,
    dir: &Path,
) -> anyhow::Result<WorkersRun> {
    sqlx::any::install_default_drivers();
    let admin_pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(POSTGRES)
        .await
        .context("PostgreSQL on 127.0.0.1:5432")?;
    let schema = format!("bfbench_{}", uuid::Uuid::new_v4().simple());
    admin(&admin_pool, format!("CREATE SCHEMA {schema}")).await?;
    let measured = measure_in(blockforge, scenario, workers, dir, &admin_pool, &schema).await;
    admin(&admin_pool, format!("DROP SCHEMA {schema} CASCADE")).await?;
    admin_pool.close().await;
    measured
}

/// [`measure`] in schema `schema` (created; dropped by the caller).
async fn measure_in(
    blockforge: &Path,
    scenario: &WorkersScenario,
    workers: usize,
    dir: &Path,
    admin_pool: &sqlx::AnyPool,
    schema: &str,
) -> anyhow::Result<WorkersRun> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeLlm::start(FakeLlmConfig {
        latency: scenario.latency,
        ..FakeLlmConfig::default()
    })
    .await;
    // The application name tells this job's connections apart in pg_stat_activity.
    let url = format!("{POSTGRES}?options=-c%20search_path%3D{schema}&application_name={schema}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let env = |command: &mut tokio::process::Command| {
        command
            .env("DATABASE_URL", &url)
            .env("RUN_JOBS", "false")
            .env("PORT", port.to_string())
            .env("LLM_ENDPOINT", fake.base_url())
            .env("LLM_MODEL", "fake-model")
            .env("LLM_MAX_CONCURRENCY", scenario.concurrency.to_string())
            .env("PLUGINS_DIR", dir.join("no-plugins"))
            .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"));
    };
    let server = start(blockforge, "serve", "blockforge listening on ", &env).await?;
    let mut started = Vec::new();
    for _ in 0..workers {
        started.push(start(blockforge, "worker", "blockforge worker ", &env).await?);
    }
    let pids: Vec<u32> = started.iter().filter_map(|w| w.id()).collect();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let pipeline_id = create_pipeline(&http, &base).await?;
    let cpu_before = (
        processes_cpu(&pids),
        backends_cpu(admin_pool, schema).await?,
    );
    let ended = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_activity(
        admin_pool.clone(),
        schema.to_owned(),
        ended.clone(),
    ));
    let sent = Instant::now();
    let job_id = submit_job(
        &http,
        &base,
        pipeline_id,
        scenario.seeds,
        scenario.concurrency,
    )
    .await?;
    let stored = Instant::now();
    while fake.chat_requests() == 0 {
        if stored.elapsed() > Duration::from_secs(600) {
            bail!("no model request within 10 minutes of the job's submission");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first_request_ms = stored.elapsed().as_secs_f64() * 1000.0;
    let job = job_ended(&http, &base, job_id, Duration::from_millis(100)).await?;
    ended.store(true, Ordering::SeqCst);
    let cpu_after = (
        processes_cpu(&pids),
        backends_cpu(admin_pool, schema).await?,
    );
    let activity = sampler.await??;
    // Backends report their table statistics when they exit.
    drop(started);
    drop(server);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let tables = table_stats(admin_pool, schema).await?;
    if job["status"] != "completed" {
        bail!("the job ended {}: {job}", job["status"]);
    }
    let ms = |key: &str| job[key].as_i64().unwrap_or(0);
    Ok(WorkersRun {
        records: ms("records_generated"),
        failed: ms("records_failed"),
        secs: (ms("completed_at") - ms("created_at")) as f64 / 1000.0,
        submit_ms: (stored - sent).as_secs_f64() * 1000.0,
        first_request_ms,
        activity,
        cpu: (cpu_after.0 - cpu_before.0, cpu_after.1 - cpu_before.1),
        tables,
    })
}

/// Starts `blockforge <subcommand>` with `env` and waits for its stderr line starting with
/// `ready`; stderr is drained from then on.
async fn start(
    blockforge: &Path,
    subcommand: &str,
    ready: &str,
    env: &dyn Fn(&mut tokio::process::Command),
) -> anyhow::Result<tokio::process::Child> {
    let mut command = tokio::process::Command::new(blockforge);
    command
        .arg(subcommand)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    env(&mut command);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start blockforge {subcommand}"))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .with_context(|| format!("blockforge {subcommand} did not start in 2 minutes"))??
            .with_context(|| format!("blockforge {subcommand} exited at start"))?;
        if line.starts_with(ready) {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(child)
}

/// CPU seconds the processes `pids` have used.
fn processes_cpu(pids: &[u32]) -> f64 {
    pids.iter()
        .flat_map(|pid| proc_threads::by_thread(*pid).into_values())
        .map(|thread| thread.secs)
        .sum()
}

/// CPU seconds the PostgreSQL backends serving `schema`'s connections have used (PostgreSQL
/// runs on this machine).
async fn backends_cpu(pool: &sqlx::AnyPool, schema: &str) -> anyhow::Result<f64> {
    let rows = sqlx::query("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
        .bind(schema.to_owned())
        .fetch_all(pool)
        .await?;
    let mut pids = Vec::new();
    for row in rows {
        pids.push(u32::try_from(row.try_get::<i32, _>("pid")?)?);
    }
    Ok(processes_cpu(&pids))
}

/// Every 20 ms until `ended`: how many of `schema`'s connections are active and how many of
/// those wait for a lock; answers the sums and the number of samples.
async fn sample_activity(
    pool: sqlx::AnyPool,
    schema: String,
    ended: Arc<AtomicBool>,
) -> anyhow::Result<(u64, u64, u64)> {
    let (mut active, mut waiting, mut samples) = (0, 0, 0);
    while !ended.load(Ordering::SeqCst) {
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE state = 'active') AS active, \
             COUNT(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') AS waiting \
             FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(schema.clone())
        .fetch_one(&pool)
        .await?;
        active += row.try_get::<i64, _>("active")? as u64;
        waiting += row.try_get::<i64, _>("waiting")? as u64;
        samples += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((active, waiting, samples))
}

/// Index scans, sequential scans, rows inserted and updated of the job's tables in `schema`.
async fn table_stats(
    pool: &sqlx::AnyPool,
    schema: &str,
) -> anyhow::Result<BTreeMap<String, [i64; 4]>> {
    let rows = sqlx::query(
        "SELECT relname::text AS name, COALESCE(idx_scan, 0) AS idx, seq_scan AS seq, \
         n_tup_ins AS ins, n_tup_upd AS upd FROM pg_stat_user_tables \
         WHERE schemaname = $1 AND relname IN ('runs', 'records', 'jobs')",
    )
    .bind(schema.to_owned())
    .fetch_all(pool)
    .await?;
    let mut tables = BTreeMap::new();
    for row in rows {
        tables.insert(
            row.try_get::<String, _>("name")?,
            [
                row.try_get("idx")?,
                row.try_get("seq")?,
                row.try_get("ins")?,
                row.try_get("upd")?,
            ],
        );
    }
    Ok(tables)
}
