//! `blockforge worker`: runs the jobs of a shared database without serving HTTP. Several
//! workers (and servers) can share one PostgreSQL: they claim disjoint runs with
//! `FOR UPDATE SKIP LOCKED`, and a worker that dies leaves leases that expire, so the others
//! take its runs over.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use blockforge::engine::job_manager::JobManager;
use blockforge::engine::job_runner::RunnerConfig;
use blockforge::registry::watcher::PluginWatcher;
use blockforge::settings::Settings;
use blockforge::store::Store;

use super::{AbortOnDrop, shutdown_signal};

/// How often the database is checked for jobs to run.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

pub async fn worker(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_url))?;
    // Blocks' model calls follow the model registry (seeded from LLM_* when empty).
    let models = settings.start_models(&store).await?;
    let _models_reloader =
        AbortOnDrop(models.spawn_reloader(store.clone(), settings.models_reload));
    // Blocks' kv data lives in the database: kept across restarts, shared by workers.
    let registry = settings
        .start_registry_on(std::sync::Arc::new(store.kv()), models.clone())
        .await?;
    let _watcher = PluginWatcher::start(registry.clone(), settings.plugins_dir.clone())?;
    let owner = format!(
        "worker-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let config = RunnerConfig {
        lease: settings.job_lease,
        ..RunnerConfig::new(owner.clone())
    };
    let jobs = JobManager::new(store.clone(), registry, config);
    let follower = AbortOnDrop(jobs.follow_running_jobs(POLL_INTERVAL));
    eprintln!("blockforge worker {owner} ready");
    shutdown_signal().await;
    drop(follower);
    let released = jobs.shutdown().await?;
    store.close().await;
    eprintln!("blockforge worker stopped ({released} runs handed back)");
    Ok(ExitCode::SUCCESS)
}
