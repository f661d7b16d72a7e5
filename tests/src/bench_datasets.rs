//! The bench's datasets scenario (issue 15): a JSONL file of chat rows of about `--dataset-mib`
//! MiB (1 GiB by default) is written to a temporary folder, uploaded from disk (never held in
//! this process) through `POST /api/datasets/{name}/import` of a fresh `blockforge serve` on
//! SQLite, then exported as Parquet (`GET /api/datasets/{name}/export?format=parquet`, read as
//! it streams). For each step it prints the time, the MB/s and how much the server's peak RSS
//! grew over its RSS before the step (the peak is reset before each step; the target of a
//! streamed import is less than 100 MiB). Numbers are printed, never asserted.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::bench_server::{self, peak_rss_mib, reset_peak_rss, rss_mib};
use crate::fake_llm::{FakeLlm, FakeLlmConfig};

const MIB: f64 = 1024.0 * 1024.0;

/// One step's numbers.
struct Step {
    bytes: u64,
    secs: f64,
    rss_before_mib: f64,
    peak_growth_mib: f64,
}

impl Step {
    fn print(&self, name: &str, rows: i64) {
        println!(
            "{:<16} {:>10.1} MiB {:>10} {:>9.1} s {:>8.1} {:>9.0} {:>11.1} MiB {:>15.1} MiB",
            name,
            self.bytes as f64 / MIB,
            rows,
            self.secs,
            self.bytes as f64 / MIB / self.secs,
            rows as f64 / self.secs,
            self.rss_before_mib,
            self.peak_growth_mib
        );
    }
}

/// Prints the scenario for a file of about `mib` MiB.
pub async fn print_datasets(blockforge: &Path, mib: u64, dir: &Path) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let file = dir.join(format!("dataset-{mib}.jsonl"));
    let made = Instant::now();
    let (bytes, rows) = write_jsonl(&file, mib * 1024 * 1024)?;
    println!(
        "Datasets: a {:.1} MiB JSONL file of {rows} chat rows (written in {:.1} s) imported through POST /api/datasets/{{name}}/import, then exported as Parquet; blockforge serve on SQLite",
        bytes as f64 / MIB,
        made.elapsed().as_secs_f64()
    );
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let database = dir.join(format!("datasets-{mib}.db"));
    let server = bench_server::start(blockforge, &database, &fake.base_url(), 4, dir).await?;
    let http = reqwest::Client::new();
    let (pid, base) = (server.pid, server.base.clone());
    let peaks_reset = reset_peak_rss(pid);
    let (http, base, file) = (&http, &base, &file);
    println!(
        "{:<16} {:>14} {:>10} {:>11} {:>8} {:>9} {:>15} {:>19}",
        "step", "bytes", "rows", "time", "MiB/s", "rows/s", "RSS before", "peak RSS growth"
    );

    let (import, version) = measured(pid, || async move {
        let body = reqwest::Body::from(tokio::fs::File::open(&file).await?);
        let response = http
            .post(format!(
                "{base}/api/datasets/bench/import?format=jsonl&file_name=bench.jsonl"
            ))
            .header("content-type", "application/octet-stream")
            .header("content-length", bytes.to_string())
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let version: Value = response.json().await?;
        if !status.is_success() {
            bail!("the import answered {status}: {version}");
        }
        Ok((bytes, version))
    })
    .await?;
    let imported = version["row_count"].as_i64().unwrap_or(-1);
    if imported != rows as i64 {
        bail!("the import made {imported} rows of {rows}: {version}");
    }
    import.print("import JSONL", imported);

    let (export, ()) = measured(pid, || async move {
        let mut response = http
            .get(format!("{base}/api/datasets/bench/export?format=parquet"))
            .send()
            .await?
            .error_for_status()?;
        let mut read = 0u64;
        while let Some(chunk) = response.chunk().await? {
            read += chunk.len() as u64;
        }
        Ok((read, ()))
    })
    .await?;
    export.print("export Parquet", imported);
    drop(server);
    if !peaks_reset {
        println!(
            "(the kernel refused to reset the server's peak RSS: growth is over the peak since start-up, so it may read low)"
        );
    }
    println!("target: peak RSS growth of the import < 100 MiB (streamed)");
    Ok(())
}

/// Runs `step` (which answers the bytes it moved) on the server `pid`, with its peak RSS reset
/// before: the time and the peak's growth over the RSS before.
async fn measured<T, F, Fut>(pid: u32, step: F) -> anyhow::Result<(Step, T)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(u64, T)>>,
{
    let reset = reset_peak_rss(pid);
    let before = rss_mib(pid).context("cannot read the server's RSS")?;
    // Without a reset, the peak so far is the baseline the growth is measured from.
    let baseline = if reset {
        before
    } else {
        peak_rss_mib(pid).unwrap_or(before)
    };
    let started = Instant::now();
    let (bytes, answer) = step().await?;
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib(pid).context("cannot read the server's peak RSS")?;
    Ok((
        Step {
            bytes,
            secs,
            rss_before_mib: before,
            peak_growth_mib: (peak - baseline).max(0.0),
        },
        answer,
    ))
}

/// Writes chat rows of about 1 KiB each to `path` until it holds at least `target` bytes;
/// answers its size and row count.
fn write_jsonl(path: &Path, target: u64) -> anyhow::Result<(u64, u64)> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let (mut bytes, mut rows) = (0u64, 0u64);
    while bytes < target {
        let n = rows as usize;
        let row = json!({
            "id": rows,
            "messages": [
                {"role": "user", "content": words(20 + n % 20, rows)},
                {"role": "assistant", "content": words(80 + n % 80, !rows)},
            ],
            "lang": if n.is_multiple_of(3) { "fr" } else { "en" },
            "score": (n % 100) as f64 / 100.0,
        });
        let line = format!("{row}\n");
        out.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
        rows += 1;
    }
    out.flush()?;
    Ok((bytes, rows))
}

/// `count` words of two to four syllables drawn with a xorshift generator seeded by `seed`:
/// text as varied as real rows, so the Parquet export is not one dictionary of a few strings.
fn words(count: usize, seed: u64) -> String {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "da", "fe", "gi", "ho", "ju", "ma", "po",
        "re", "si", "ta", "un", "ve", "wa", "xi", "yo", "ze", "an", "el", "is", "or", "ul", "ba",
        "co", "du",
    ];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::new();
    for i in 0..count {
        if i > 0 {
            text.push(' ');
        }
        let draw = next();
        for s in 0..2 + (draw % 3) as usize {
            text.push_str(SYLLABLES[((draw >> (8 + 5 * s)) % 32) as usize]);
        }
    }
    text
}
