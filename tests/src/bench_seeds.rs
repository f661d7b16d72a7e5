//! The bench's seed-file scenario (issue 17): a REST job of 10,000 and of 1,000,000 seeds
//! through a one-block pipeline (TextGenerator) against the fake LLM at 0 ms, on a fresh
//! `blockforge serve` on SQLite each. Prints, for each, the time of `POST /api/generate`
//! (upload, reading the file twice, planning the runs), the server's peak RSS when the POST
//! answered and over the whole job (upload included), and records/s from submit to the job's
//! end. Numbers are printed, never asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::bench_server::{self, peak_rss_mib};
use crate::fake_llm::{FakeLlm, FakeLlmConfig};

/// One job's numbers.
struct SeedJob {
    records: i64,
    failed: i64,
    upload_bytes: usize,
    post_secs: f64,
    job_secs: f64,
    peak_after_post_mib: f64,
    peak_mib: f64,
}

/// Prints the scenario for each count of `seeds`, `concurrency` runs in flight.
pub async fn print_seed_files(
    blockforge: &Path,
    seeds: &[usize],
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<()> {
    println!(
        "Seed files: POST /api/generate of a JSON list, TextGenerator at 0 ms, concurrency {concurrency}, blockforge serve on SQLite"
    );
    println!(
        "{:>10} {:>10} {:>9} {:>7} {:>10} {:>16} {:>13} {:>11}",
        "seeds", "file", "records", "failed", "POST", "peak RSS @POST", "peak RSS", "records/s"
    );
    let mut rates = Vec::new();
    for &count in seeds {
        let m = measure(blockforge, count, concurrency, dir).await?;
        let rate = m.records as f64 / m.job_secs;
        rates.push(rate);
        println!(
            "{:>10} {:>6.1} MiB {:>9} {:>7} {:>8.2} s {:>12.1} MiB {:>9.1} MiB {:>11.0}",
            count,
            m.upload_bytes as f64 / (1024.0 * 1024.0),
            m.records,
            m.failed,
            m.post_secs,
            m.peak_after_post_mib,
            m.peak_mib,
            rate
        );
    }
    if let (Some(first), Some(last)) = (rates.first(), rates.last()) {
        println!(
            "records/s of the largest job: {:.0}% of the smallest's",
            100.0 * last / first
        );
    }
    println!(
        "targets: peak RSS of a 1,000,000-seed job <= 80 MiB; its records/s within 20% of 10,000 seeds'"
    );
    Ok(())
}

/// One job of `seeds` seeds on a fresh server and database.
async fn measure(
    blockforge: &Path,
    seeds: usize,
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<SeedJob> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let database = dir.join(format!("seeds-{seeds}.db"));
    let server =
        bench_server::start(blockforge, &database, &fake.base_url(), concurrency, dir).await?;
    let (pid, base) = (server.pid, server.base.clone());
    let http = reqwest::Client::new();
    let definition = json!({"name": "seeds", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "Write about {{ topic }} number {{ n }}."}}]});
    let created: Value = http
        .post(format!("{base}/api/pipelines"))
        .json(&definition)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    // The file is made here, one seed at a time, as a client would send it.
    let mut file = String::from("[");
    for n in 0..seeds {
        if n > 0 {
            file.push(',');
        }
        file.push_str(
            &json!({"repetitions": 1, "metadata": {"topic": "scale", "n": n}}).to_string(),
        );
    }
    file.push(']');
    let upload_bytes = file.len();
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", created["id"].to_string())
        .text("concurrency", concurrency.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(file).file_name("seeds.json"),
        );
    let submitted = Instant::now();
    let answer: Value = http
        .post(format!("{base}/api/generate"))
        .multipart(form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let post_secs = submitted.elapsed().as_secs_f64();
    let peak_after_post_mib = peak_rss_mib(pid).unwrap_or(f64::NAN);
    let job_id = answer["job_id"].as_i64().context("no job id")?;
    let job = bench_server::wait_job_end(
        &http,
        &base,
        job_id,
        Duration::from_millis(200),
        submitted,
        Duration::from_secs(4 * 3600),
    )
    .await?;
    let job_secs = submitted.elapsed().as_secs_f64();
    let peak_mib = peak_rss_mib(pid).unwrap_or(f64::NAN);
    drop(server);
    if job["status"] != "completed" {
        bail!("the job ended {}: {job}", job["status"]);
    }
    let count = |key: &str| job[key].as_i64().unwrap_or(0);
    Ok(SeedJob {
        records: count("records_generated"),
        failed: count("records_failed"),
        upload_bytes,
        post_secs,
        job_secs,
        peak_after_post_mib,
        peak_mib,
    })
}
