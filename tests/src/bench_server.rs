//! `blockforge serve` on a SQLite file for the bench's REST scenarios: started against an LLM
//! endpoint (the fake, in this process) and waited for until `/health` answers; and the
//! memory of a process as `/proc` tells it (resident set now, its peak, resetting the peak).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A server the bench started; killed when dropped.
pub struct BenchServer {
    /// The process.
    pub child: tokio::process::Child,
    /// Its pid (for `/proc`).
    pub pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

/// Starts a server on the SQLite file `database` calling the model at `llm_url` at most
/// `llm_limit` requests at once, with an empty plugins folder and the compile cache in `dir`.
pub async fn start(
    blockforge: &Path,
    database: &Path,
    llm_url: &str,
    llm_limit: usize,
    dir: &Path,
) -> anyhow::Result<BenchServer> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = tokio::process::Command::new(blockforge)
        .arg("serve")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("LLM_ENDPOINT", llm_url)
        .env("LLM_MODEL", "fake-model")
        .env("LLM_MAX_CONCURRENCY", llm_limit.to_string())
        .env("PLUGINS_DIR", dir.join("no-plugins"))
        .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"))
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start blockforge serve")?;
    let pid = child.id().context("blockforge serve has no pid")?;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while !http
        .get(format!("{base}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("blockforge serve did not answer /health within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(BenchServer { child, pid, base })
}

/// Polls job `job_id` every `every` until it is no longer running; gives up `limit` after
/// `since`. Answers the job as it ended.
pub async fn wait_job_end(
    http: &reqwest::Client,
    base: &str,
    job_id: i64,
    every: Duration,
    since: Instant,
    limit: Duration,
) -> anyhow::Result<serde_json::Value> {
    loop {
        let job: serde_json::Value = http
            .get(format!("{base}/api/jobs/{job_id}"))
            .send()
            .await?
            .json()
            .await?;
        if job["status"] != "running" {
            return Ok(job);
        }
        if since.elapsed() > limit {
            bail!("the job did not finish within {} s: {job}", limit.as_secs());
        }
        tokio::time::sleep(every).await;
    }
}

/// A line `<key> <kib> kB` of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: u32, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The process's peak RSS so far (`VmHWM`: since it started or since [`reset_peak_rss`]), in
/// MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmHWM:")
}

/// The process's RSS now (`VmRSS`), in MiB.
pub fn rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmRSS:")
}

/// Resets the process's peak RSS to its RSS now (writes `5` to `/proc/<pid>/clear_refs`, which
/// a process may do for its own children), so [`peak_rss_mib`] then gives the peak of what
/// follows. False when the kernel refused.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}
