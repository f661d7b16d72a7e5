//! `blockforge run`: a pipeline over a seed file, one JSON line per run.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use blockforge::engine::quality::QualityCounts;
use blockforge::engine::record::{RunRecord, RunStatus};
use blockforge::engine::run::{RunContext, StepGrants};
use blockforge::engine::run_set::{RunSetObserver, RunSetOptions, run_all};
use blockforge::engine::seedless::seedless_seeds;
use blockforge::engine::{Cost, Pipeline, read_seed_file, validate::validate};
use blockforge::grants::GrantSet;
use blockforge::kv::MemoryKv;
use blockforge::llm::CacheMode;
use blockforge::runtime::process_cpu_time;
use blockforge::settings::Settings;
use blockforge::store::Store;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline definition (.yaml, .yml or .json; DataGenFlow's format).
    #[arg(long, value_name = "FILE")]
    pipeline: PathBuf,
    /// Seed file (.json: a list of {repetitions, metadata} or one such object; .jsonl, .csv,
    /// .md; .txt: one URL per line). Not needed when the pipeline's first block is a seeder such as ScenarioSampler,
    /// which makes the runs from its config.
    #[arg(long, value_name = "FILE")]
    seeds: Option<PathBuf>,
    /// Where to write the records, one JSON line per run (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long, conflicts_with = "append")]
    overwrite: bool,
    /// Append to the output file if it exists.
    #[arg(long)]
    append: bool,
    /// Runs in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// What the LLM response cache may do: auto (read and write requests at temperature 0,
    /// the default), on (every temperature), read-only, off.
    #[arg(long, default_value = "auto", value_name = "MODE")]
    cache: CacheMode,
    /// Keep cached answers in this database (a SQLite file, created if missing, or
    /// postgres://...; a server's DATABASE_URL shares its cache) so later invocations reuse
    /// them. Without it the cache lives in memory for this invocation.
    #[arg(long, value_name = "FILE_OR_URL")]
    cache_db: Option<String>,
    /// What each plugin may do (YAML or JSON: plugin name → grant, as `PUT
    /// /api/plugins/{name}/grants` takes it). Plugins it does not name get their default
    /// grant (PLUGIN_DEFAULT_GRANT for user plugins).
    #[arg(long, value_name = "FILE")]
    grants: Option<PathBuf>,
}

struct Writer {
    out: Box<dyn Write + Send>,
    bar: ProgressBar,
    error: Option<std::io::Error>,
    /// The quality report of the records written, printed with the summary.
    quality: QualityCounts,
}

impl RunSetObserver for Writer {
    fn planned(&mut self, delta: i64) {
        let length = self.bar.length().unwrap_or(0);
        self.bar.set_length(length.saturating_add_signed(delta));
    }

    fn expanded(&mut self, executed: &[blockforge::engine::record::TraceEntry]) {
        self.quality.add_steps(executed);
    }

    fn record(&mut self, record: RunRecord) {
        if record.status == RunStatus::Failed
            && let Some(error) = &record.error
        {
            self.bar
                .println(format!("run {} failed: {error}", record.trace_id));
        }
        self.bar.inc(1);
        self.quality.add_record(&record);
        if self.error.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut self.out, &record)
            .map_err(std::io::Error::other)
            .and_then(|()| self.out.write_all(b"\n"))
            // A finished run is on disk before the next one is reported.
            .and_then(|()| self.out.flush());
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}

fn open_output(args: &RunArgs) -> anyhow::Result<Box<dyn Write + Send>> {
    let Some(path) = &args.out else {
        return Ok(Box::new(BufWriter::new(std::io::stdout())));
    };
    let exists_with_data = std::fs::metadata(path)
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if exists_with_data && !args.overwrite && !args.append {
        bail!(
            "{} already holds data; pass --overwrite to replace it or --append to add to it",
            path.display()
        );
    }
    let file: File = OpenOptions::new()
        .create(true)
        .write(true)
        .append(args.append)
        .truncate(!args.append)
        .open(path)
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    Ok(Box::new(BufWriter::new(file)))
}

pub async fn run(args: RunArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let pipeline = Pipeline::from_file(&args.pipeline)?;
    let seeds = match &args.seeds {
        Some(path) => read_seed_file(path)?,
        None => Vec::new(),
    };
    let origin = match &args.seeds {
        Some(path) => path.display().to_string(),
        None => "the seeder's runs".to_owned(),
    };
    let runs = blockforge::engine::total_runs(&seeds);
    let limit = settings.limits.max_runs_per_job;
    if runs > limit {
        bail!(
            "{origin} plans {runs} runs, above the limit of {limit} runs per job; set MAX_RUNS_PER_JOB to allow more"
        );
    }
    // Each seed's state, through the pipeline's blocks and times its repetitions, as the
    // server checks a seed file.
    blockforge::engine::work_limits::check_job_states(
        seeds.iter().map(|seed| {
            (
                blockforge::engine::work_limits::state_bytes(&seed.metadata),
                u64::from(seed.repetitions),
            )
        }),
        pipeline.blocks.len(),
        &settings.limits,
    )
    .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    let registry = match &args.cache_db {
        None => settings.start_registry().await?,
        Some(url) => {
            let store = Store::connect(url)
                .await
                .with_context(|| format!("cannot open the cache database {url}"))?;
            let gateway = settings.gateway(settings.model_router()?, Arc::new(store));
            settings
                .start_registry_on(
                    Arc::new(MemoryKv::new(settings.kv_quota)),
                    gateway,
                    blockforge::runtime::GuestThreads::Caller,
                )
                .await?
        }
    };
    let valid = validate(&pipeline, &registry)
        .with_context(|| format!("in {}", args.pipeline.display()))?;
    // Without --seeds, a seeder first block makes the runs from one empty seed.
    let seeds = match &args.seeds {
        Some(_) => seeds,
        None => seedless_seeds(&valid).map_err(|e| {
            anyhow::anyhow!("{}: {e}; pass one with --seeds", args.pipeline.display())
        })?,
    };
    let grants = match &args.grants {
        None => GrantSet::new(Default::default(), registry.runtime().user_grant()),
        Some(path) => super::grants_file::read(path, &registry, None)?,
    };
    let grants = StepGrants::new(registry.runtime(), &valid, &grants);
    let out = open_output(&args)?;

    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} runs ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut writer = Writer {
        out,
        bar: bar.clone(),
        error: None,
        quality: QualityCounts::default(),
    };
    let job_id = uuid::Uuid::new_v4().to_string();
    let budget = blockforge::engine::JobBudget::new(
        &valid.pipeline.constraints,
        blockforge::engine::Usage::default(),
    )
    .map(Arc::new);
    let ctx = Arc::new(RunContext {
        runtime: registry.runtime().clone(),
        pipeline_id: pipeline.name.clone(),
        pipeline: valid,
        job_id,
        current_step: Default::default(),
        cache: args.cache,
        budget,
        grants,
    });
    let options = RunSetOptions {
        concurrency: args.concurrency as usize,
    };
    let cpu_before = process_cpu_time();
    let summary = run_all(ctx, seeds, &options, &mut writer).await;
    let cpu_used = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    bar.finish_and_clear();
    if let Some(e) = writer.error {
        bail!("writing records failed: {e}");
    }
    writer.out.flush().context("writing records failed")?;

    let secs = summary.elapsed.as_secs_f64();
    let finished = summary.completed + summary.failed;
    eprintln!(
        "{} runs: {} completed, {} failed in {:.2}s ({:.1} runs/s); tokens: {} in, {} out, {} cached; {} cache hits; cost: {}",
        finished,
        summary.completed,
        summary.failed,
        secs,
        finished as f64 / secs.max(1e-9),
        summary.usage.input_tokens,
        summary.usage.output_tokens,
        summary.usage.cached_tokens,
        summary.usage.cache_hits,
        dollars(&summary.usage.cost)
    );
    print_quality(&writer.quality);
    if let Some(peak) = peak_rss_kib() {
        eprintln!("peak RSS: {:.1} MiB", peak as f64 / 1024.0);
    }
    if let Some(cpu) = cpu_used {
        eprintln!(
            "CPU during the runs: {:.3} s ({:.1} µs per run)",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / (finished.max(1) as f64)
        );
    }
    if let Some(hit) = &summary.stopped {
        eprintln!("stopped: {hit}");
    }
    if summary.completed == 0 {
        eprintln!("error: no run completed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The records' quality report on stderr (as `GET /api/jobs/{id}` gives it for a job): the
/// pass rate, and what each check flagged, fixed or removed. Nothing without checks.
fn print_quality(quality: &QualityCounts) {
    let report = quality.report();
    if let Some(rate) = report.pass_rate {
        eprintln!(
            "quality: {} of {} checked records passed ({:.1}%); {} failed otherwise",
            report.passed,
            report.checked,
            rate * 100.0,
            report.failed
        );
    }
    for block in &report.blocks {
        let c = &block.counts;
        eprintln!(
            "  step {} {}: {} checked, {} flagged, {} fixed, {} removed",
            block.step, block.block_type, c.checked, c.flagged, c.fixed, c.removed
        );
    }
    for score in &report.scores {
        if let Some(mean) = score.mean {
            eprintln!(
                "  step {} {} {} (0–{}): mean {mean:.2} over {} scores",
                score.step, score.block_type, score.name, score.max, score.count
            );
        }
    }
}

/// A cost for people: `$0.001234`, or what is known when a call had no price.
fn dollars(cost: &Cost) -> String {
    match cost.usd() {
        Some(usd) => format!("${usd:.6}"),
        None => format!(
            "unknown (${:.6} priced, {} calls to models without a price)",
            cost.priced_usd(),
            cost.unpriced_calls
        ),
    }
}

/// The process's peak resident set size in KiB (`VmHWM`), where /proc tells it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
