//! Starts a runner task per running job, resumes running jobs at start, restarts a runner that
//! failed (a lost connection, a locked database) while its job still runs, and at shutdown
//! stops the tasks cleanly — the runs in flight finish and every finished run is stored — and
//! hands their leases back, so the next start resumes at once without running a finished run
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::dead_leases::expire_dead_local_leases;
use super::runner::{RunnerConfig, StopSignal, run_job_until};
use crate::registry::Registry;
use crate::store::{Backend, Store, StoreError};

/// The runner tasks of this process.
pub struct JobManager {
    store: Store,
    registry: Arc<Registry>,
    config: RunnerConfig,
    tasks: Mutex<HashMap<i64, JoinHandle<()>>>,
    /// `false` for a server that leaves every job to `blockforge worker` processes.
    runs_jobs: bool,
    /// Raised by [`JobManager::stop`]; every runner watches it.
    stop_switch: tokio::sync::watch::Sender<bool>,
    stop: StopSignal,
    /// Where runners run: threads of their own, so the API's requests (20 clients reading
    /// record pages) never queue the runner's loop and record writer behind them; `None`
    /// when they could not be started (runners then share the caller's runtime).
    threads: Option<tokio::runtime::Runtime>,
}

/// The runners' own runtime (see [`JobManager`]'s `threads`). Their block calls run on it
/// too, not on the block threads: it serves no API request a block could hold up.
fn runner_threads() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .thread_name("blockforge-jobs")
        .on_thread_start(crate::runtime::run_block_calls_in_place)
        .enable_all()
        .build()
        .inspect_err(|e| tracing::warn!(error = %e, "job runners share the API's threads"))
        .ok()
}

impl Drop for JobManager {
    fn drop(&mut self) {
        // Dropping a runtime from inside another waits for its threads, which an async
        // context may not do: let them end in the background.
        if let Some(threads) = self.threads.take() {
            threads.shutdown_background();
        }
    }
}

/// Longest wait before a failed runner tries again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl JobManager {
    /// A manager running jobs of `store` with the blocks of `registry`.
    pub fn new(store: Store, registry: Arc<Registry>, config: RunnerConfig) -> Arc<Self> {
        Self::build(store, registry, config, true)
    }

    /// A manager that runs nothing: the API stores jobs and `blockforge worker` processes
    /// sharing the database run them.
    pub fn api_only(store: Store, registry: Arc<Registry>, config: RunnerConfig) -> Arc<Self> {
        Self::build(store, registry, config, false)
    }

    /// A manager; runner threads are started only when it runs jobs.
    fn build(
        store: Store,
        registry: Arc<Registry>,
        config: RunnerConfig,
        runs_jobs: bool,
    ) -> Arc<Self> {
        let (stop_switch, stop) = StopSignal::new();
        Arc::new(JobManager {
            store,
            registry,
            config,
            tasks: Mutex::new(HashMap::new()),
            runs_jobs,
            stop_switch,
            stop,
            threads: if runs_jobs { runner_threads() } else { None },
        })
    }

    /// Starts running `job_id` unless a task of this process already does.
    pub fn start(self: &Arc<Self>, job_id: i64) {
        if !self.runs_jobs || self.stop.raised() {
            return;
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|_, task| !task.is_finished());
        if tasks.contains_key(&job_id) {
            return;
        }
        let manager = self.clone();
        let runner = async move {
            let mut backoff = Duration::from_millis(500);
            loop {
                let stop = manager.stop.clone();
                match run_job_until(
                    &manager.store,
                    &manager.registry,
                    job_id,
                    &manager.config,
                    stop,
                )
                .await
                {
                    Ok(status) => {
                        tracing::info!(job_id, ?status, "job runner ended");
                        return;
                    }
                    Err(e) if manager.stop.raised() => {
                        tracing::warn!(job_id, error = %e, "job runner failed while stopping");
                        return;
                    }
                    Err(e) => {
                        tracing::error!(job_id, error = %e, ?backoff, "job runner failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        };
        let task = match &self.threads {
            Some(threads) => threads.spawn(runner),
            None => tokio::spawn(runner),
        };
        tasks.insert(job_id, task);
    }

    /// Starts a runner for each running job this process does not run yet — jobs submitted
    /// to another server sharing the database, and jobs whose runner here has ended while runs
    /// remain (taken back from a worker that died) — at once when a job is announced (see
    /// [`crate::store::job_wakeups`]) and every `interval` besides, for announcements missed.
    /// Runs until aborted.
    pub fn follow_running_jobs(self: &Arc<Self>, interval: Duration) -> JoinHandle<()> {
        let manager = self.clone();
        let mut wakeups = self.store.job_wakeups();
        tokio::spawn(async move {
            loop {
                if let Err(e) = manager.resume_all().await {
                    tracing::warn!(error = %e, "cannot list the running jobs; trying again");
                }
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = wakeups.next() => {}
                }
            }
        })
    }

    /// Starts every job still marked running (after a crash or restart). Returns their ids.
    /// On SQLite the leases of processes that are gone are released first (see
    /// [`super::dead_leases`]).
    pub async fn resume_all(self: &Arc<Self>) -> Result<Vec<i64>, StoreError> {
        if !self.runs_jobs {
            return Ok(Vec::new());
        }
        if self.store.backend() == Backend::Sqlite {
            // Runs a crashed process held go to the runners at once, not when the lease ends.
            expire_dead_local_leases(&self.store).await?;
        }
        let running = self.store.running_jobs().await?;
        for job_id in &running {
            self.start(*job_id);
        }
        Ok(running)
    }

    /// Asks every runner to stop cleanly: they claim no more runs and let the runs in flight
    /// finish (for at most the runner's `stop_grace`). [`JobManager::shutdown`] waits for them.
    pub fn stop(&self) {
        self.stop_switch.send_replace(true);
    }

    /// Stops every runner task cleanly (see [`JobManager::stop`]), waits until each has stored
    /// the runs that finished, and hands the leased runs left back as pending: the next start
    /// resumes at once and runs none of the finished runs again. A runner that has not ended
    /// [`SHUTDOWN_SPARE`] after its grace (a database that stopped answering) is aborted.
    pub async fn shutdown(&self) -> Result<u64, StoreError> {
        self.stop();
        let tasks: Vec<JoinHandle<()>> = {
            let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            tasks.drain().map(|(_, task)| task).collect()
        };
        let deadline = tokio::time::Instant::now() + self.config.stop_grace + SHUTDOWN_SPARE;
        for mut task in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
        self.store.release_leases(&self.config.owner).await
    }
}

/// Time a stopping runner has, after the runs in flight are done or given up, to store the
/// finished ones.
const SHUTDOWN_SPARE: Duration = Duration::from_secs(20);
