//! `blockforge worker`: runs the jobs of a shared database without serving HTTP. Several
//! workers (and servers) can share one PostgreSQL: they claim disjoint runs with
//! `FOR UPDATE SKIP LOCKED`, and a worker that dies leaves leases that expire, so the others
//! take its runs over. A job is started as soon as it is announced (`LISTEN`), and the
//! database is looked at every `JOB_POLL_SECS` besides.

use std::process::ExitCode;

use blockforge::jobs::manager::JobManager;
use blockforge::settings::Settings;

use super::{AbortOnDrop, Services, shutdown_signal};

pub async fn worker(settings: &Settings) -> anyhow::Result<ExitCode> {
    let services = Services::start(settings, "worker-").await?;
    let store = services.store.clone();
    let owner = services.runner.owner.clone();
    let config = services.runner.clone();
    let registry = services.registry.clone();
    let jobs = JobManager::new(store.clone(), registry, config);
    let follower = AbortOnDrop(jobs.follow_running_jobs(settings.job_poll));
    eprintln!("blockforge worker {owner} ready");
    shutdown_signal().await;
    drop(follower);
    let released = jobs.shutdown().await?;
    store.close().await;
    eprintln!("blockforge worker stopped ({released} runs handed back)");
    Ok(ExitCode::SUCCESS)
}
