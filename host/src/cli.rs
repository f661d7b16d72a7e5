//! Command-line parsing and dispatch.

mod block_test;
mod blocks;
mod dataset;
mod grants_file;
mod new_block;
mod run;
mod serve;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run LLM data-generation pipelines whose every block is a sandboxed WebAssembly component.
///
/// The LLM endpoint comes from LLM_ENDPOINT, LLM_API_KEY and LLM_MODEL (see README).
#[derive(Debug, Parser)]
#[command(name = "blockforge", version)]
pub struct Cli {
    /// Log more (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Folder of user `.wasm` blocks (default: $PLUGINS_DIR or ./plugins).
    #[arg(long, global = true, value_name = "DIR")]
    pub plugins_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline over a seed file and write one JSON line per run.
    Run(run::RunArgs),
    /// Start the HTTP server (REST API, background jobs) on HOST:PORT with DATABASE_URL.
    Serve,
    /// Run jobs from DATABASE_URL without serving HTTP; several workers can share one PostgreSQL.
    Worker,
    /// List every block with its description, inputs, outputs and config schema.
    Blocks(blocks::BlocksArgs),
    /// Write a buildable block project in Rust, Python or JavaScript.
    NewBlock(new_block::NewBlockArgs),
    /// Import, list, show, export, convert, merge, sample and split datasets (on DATABASE_URL).
    Dataset(dataset::DatasetArgs),
    /// Print the HTTP API's OpenAPI description (what `GET /openapi.json` answers); `make
    /// openapi` writes it to web/src/api/openapi.json, from which the web UI's types are made.
    Openapi,
    /// Work with one block.
    Block {
        #[command(subcommand)]
        command: BlockCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BlockCommand {
    /// Run one block once and print its output, log lines and usage.
    Test(block_test::BlockTestArgs),
}

/// Logs go to stderr; `RUST_LOG` overrides the level chosen with `-v`.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,blockforge=debug",
        _ => "debug,blockforge=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// Runs the chosen command.
pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // Writing a project reads no settings: it works before anything is configured.
    if let Command::NewBlock(args) = cli.command {
        return new_block::new_block(args);
    }
    // Nor does printing the API's description.
    if matches!(cli.command, Command::Openapi) {
        return print_openapi();
    }
    let mut settings = blockforge::settings::Settings::from_env()?;
    if let Some(dir) = cli.plugins_dir {
        settings.plugins_dir = dir;
    }
    match cli.command {
        Command::Run(args) => run::run(args, &settings).await,
        Command::Serve => serve::serve(&settings).await,
        Command::Worker => worker::worker(&settings).await,
        Command::Blocks(args) => blocks::blocks(args, &settings).await,
        Command::NewBlock(args) => new_block::new_block(args),
        Command::Openapi => print_openapi(),
        Command::Dataset(args) => dataset::dataset(args, &settings).await,
        Command::Block {
            command: BlockCommand::Test(args),
        } => block_test::block_test(args, &settings).await,
    }
}

/// `blockforge openapi`: the description `GET /openapi.json` answers, pretty-printed.
fn print_openapi() -> anyhow::Result<ExitCode> {
    let mut text = serde_json::to_string_pretty(&blockforge::api::openapi())?;
    text.push('\n');
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to stdout. A reader that went away (`blockforge blocks | head`) is not an
/// error: what it did not read was not wanted.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// A background task that is aborted when this guard is dropped.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What `blockforge serve` and `blockforge worker` both run on: the database, the model
/// registry (reread in the background), the blocks (their kv in the database, the plugins
/// folder watched) and this process's runner settings. Dropping it stops the background tasks.
pub struct Services {
    /// The database.
    pub store: blockforge::store::Store,
    /// Where blocks' model calls go.
    pub models: std::sync::Arc<blockforge::llm::routing::ModelRouter>,
    /// The blocks.
    pub registry: std::sync::Arc<blockforge::registry::Registry>,
    /// Runner settings with this process's lease owner.
    pub runner: blockforge::jobs::runner::RunnerConfig,
    _models_reloader: AbortOnDrop,
    _watcher: blockforge::registry::watcher::PluginWatcher,
}

impl Services {
    /// Opens the database and starts the services; leases are owned by `<owner_prefix><pid>.<pid namespace>-<uuid>`.
    pub async fn start(
        settings: &blockforge::settings::Settings,
        owner_prefix: &str,
    ) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let store = blockforge::store::Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("cannot open the database {}", settings.database_url))?;
        // Blocks' model calls follow the model registry (seeded from LLM_* when empty).
        let models = settings.start_models(&store).await?;
        let models_reloader =
            AbortOnDrop(models.spawn_reloader(store.clone(), settings.models_reload));
        // Blocks' kv data lives in the database: kept across restarts, shared by workers.
        // Answers are priced, and kept in the database: a rerun of a pipeline pays only for
        // the calls it has not made before; the cache survives restarts and is shared.
        let gateway = settings.gateway(models.clone(), std::sync::Arc::new(store.clone()));
        // Block calls get threads of their own, so no block can hold the API's.
        let guest_threads = blockforge::runtime::GuestThreads::Dedicated(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        );
        let registry = settings
            .start_registry_on(
                std::sync::Arc::new(store.kv(settings.kv_quota)),
                gateway,
                guest_threads,
            )
            .await?;
        // Stored grants that now raise limits the older clamping held at the defaults.
        let grants = store
            .grant_set(registry.runtime().user_grant())
            .await
            .context("cannot read the stored grants")?;
        blockforge::grants::raised::warn_about_raised_limits(
            &grants,
            registry.runtime().limit_bounds(),
        );
        // Blocks dropped into, replaced in or removed from the plugins folder apply at once.
        let watcher = blockforge::registry::watcher::PluginWatcher::start(
            registry.clone(),
            settings.plugins_dir.clone(),
        )?;
        let owner = blockforge::jobs::dead_leases::owner_name(owner_prefix);
        let runner = blockforge::jobs::runner::RunnerConfig {
            lease: settings.job_lease,
            ..blockforge::jobs::runner::RunnerConfig::new(owner)
        };
        Ok(Services {
            store,
            models,
            registry,
            runner,
            _models_reloader: models_reloader,
            _watcher: watcher,
        })
    }
}
