//! `blockforge block test`: run one block once, print its output, logs and usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use blockforge::grants::GrantSet;
use blockforge::kv::KvNamespace;
use blockforge::runtime::{CallOutput, CallScope};
use blockforge::settings::Settings;
use clap::Args;
use serde_json::{Map, Value, json};

#[derive(Debug, Args)]
pub struct BlockTestArgs {
    /// A block type name (`TextGenerator`) or a path to a `.wasm` component.
    block: String,
    /// The state, a JSON object.
    #[arg(long, default_value = "{}")]
    state: String,
    /// The config, a JSON object.
    #[arg(long, default_value = "{}")]
    config: String,
    /// What each plugin may do, as `blockforge run --grants` reads it (YAML or JSON: plugin
    /// name → grant). Without it, or for a plugin it does not name, the block runs with its
    /// plugin's default grant (PLUGIN_DEFAULT_GRANT for user plugins).
    #[arg(long, value_name = "FILE")]
    grants: Option<PathBuf>,
}

fn parse_object(text: &str, what: &str) -> anyhow::Result<Map<String, Value>> {
    match serde_json::from_str(text).with_context(|| format!("--{what} is not valid JSON"))? {
        Value::Object(map) => Ok(map),
        _ => bail!("--{what} must be a JSON object"),
    }
}

pub async fn block_test(args: BlockTestArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let state = parse_object(&args.state, "state")?;
    let config = parse_object(&args.config, "config")?;
    let registry = settings.start_registry().await?;
    let looks_like_path = args.block.ends_with(".wasm") || args.block.contains('/');
    let block = if looks_like_path {
        let path = Path::new(&args.block);
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        say_when_compiling(path, registry.runtime());
        registry.load_file(path).await?
    } else {
        registry.get(&args.block).with_context(|| {
            format!(
                "unknown block type '{}'; available: {}",
                args.block,
                registry.type_names().join(", ")
            )
        })?
    };
    let errors = block.config_errors(&config);
    if !errors.is_empty() {
        bail!(
            "invalid config for {}:\n  {}",
            block.info.type_name,
            errors.join("\n  ")
        );
    }
    let grants = match &args.grants {
        None => GrantSet::new(Default::default(), registry.runtime().user_grant()),
        Some(path) => super::grants_file::read(path, &registry, Some(&block.plugin))?,
    };
    let trace_id = uuid::Uuid::new_v4().to_string();
    let scope = CallScope {
        trace_id: trace_id.clone(),
        step: 0,
        block_type: block.info.type_name.clone(),
        job_kv: KvNamespace::Job(trace_id.clone()),
        pipeline_kv: KvNamespace::Pipeline("block-test".to_owned()),
        // A block author testing a prompt wants the model's answer, not a kept one.
        cache: blockforge::llm::CacheMode::Off,
        budget: None,
        run_deadline: Some(
            std::time::Instant::now() + registry.runtime().limits().llm_run_deadline,
        ),
        lease: None,
        // What the grants file gives the block's plugin, else its default.
        grant: registry.runtime().effective_grant(&block, &grants),
        http_requests: Default::default(),
    };
    let report = registry
        .runtime()
        .execute(&block, &state, &config, scope)
        .await;
    let mut result = json!({
        "block_type": block.info.type_name,
        "trace_id": trace_id,
        "logs": report.logs,
        "logs_dropped": report.logs_dropped,
        "usage": report.usage,
        "llm_calls": report.llm_calls,
        "http_calls": report.http_calls,
        "execution_time": report.wall_time.as_secs_f64(),
        "host_import_time": report.import_time.as_secs_f64(),
        "cpu_time": report.cpu_time.as_secs_f64(),
    });
    if !report.stdout.is_empty() {
        result["stdout"] = json!(report.stdout);
    }
    if !report.stderr.is_empty() {
        result["stderr"] = json!(report.stderr);
    }
    let code = match report.outcome {
        Ok(CallOutput::Object(output)) => {
            result["output"] = Value::Object(output);
            ExitCode::SUCCESS
        }
        Ok(CallOutput::Seeds(seeds)) => {
            result["seeds"] = json!(seeds);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            result["error"] = json!(failure.message);
            result["failure"] = serde_json::to_value(&failure)?;
            ExitCode::FAILURE
        }
    };
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(code)
}

/// A component not in the compile cache is compiled before it runs: up to a minute for a
/// Python or JavaScript one on a debug build, which without a word looks like a hang.
fn say_when_compiling(path: &Path, runtime: &blockforge::runtime::Runtime) {
    // Unreadable: `load_file` says why.
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    if !runtime.is_compiled(&bytes) {
        eprintln!(
            "compiling {} ({:.1} MB) for this machine, the first time only: a Python or JavaScript block can take a minute",
            path.display(),
            bytes.len() as f64 / 1e6
        );
    }
}
