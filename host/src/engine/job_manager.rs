//! Starts a runner task per running job, resumes running jobs at start, restarts a runner that
//! failed (a lost connection, a locked database) while its job still runs, and at shutdown
//! stops the tasks and hands their leases back, so the next start resumes at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::job_runner::{RunnerConfig, run_job};
use crate::registry::Registry;
use crate::store::{Store, StoreError};

/// The runner tasks of this process.
pub struct JobManager {
    store: Store,
    registry: Arc<Registry>,
    config: RunnerConfig,
    tasks: Mutex<HashMap<i64, JoinHandle<()>>>,
    /// `false` for a server that leaves every job to `blockforge worker` processes.
    runs_jobs: bool,
}

/// Longest wait before a failed runner tries again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl JobManager {
    /// A manager running jobs of `store` with the blocks of `registry`.
    pub fn new(store: Store, registry: Arc<Registry>, config: RunnerConfig) -> Arc<Self> {
        Arc::new(JobManager {
            store,
            registry,
            config,
            tasks: Mutex::new(HashMap::new()),
            runs_jobs: true,
        })
    }

    /// A manager that runs nothing: the API stores jobs and `blockforge worker` processes
    /// sharing the database run them.
    pub fn api_only(store: Store, registry: Arc<Registry>, config: RunnerConfig) -> Arc<Self> {
        Arc::new(JobManager {
            store,
            registry,
            config,
            tasks: Mutex::new(HashMap::new()),
            runs_jobs: false,
        })
    }

    /// Starts running `job_id` unless a task of this process already does.
    pub fn start(self: &Arc<Self>, job_id: i64) {
        if !self.runs_jobs {
            return;
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|_, task| !task.is_finished());
        if tasks.contains_key(&job_id) {
            return;
        }
        let manager = self.clone();
        let task = tokio::spawn(async move {
            let mut backoff = Duration::from_millis(500);
            loop {
                match run_job(&manager.store, &manager.registry, job_id, &manager.config).await {
                    Ok(status) => {
                        tracing::info!(job_id, ?status, "job ended");
                        return;
                    }
                    Err(e) => {
                        tracing::error!(job_id, error = %e, ?backoff, "job runner failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        });
        tasks.insert(job_id, task);
    }

    /// Every `interval`, starts a runner for each running job this process does not run yet:
    /// jobs submitted to another server sharing the database, and jobs whose runner here has
    /// ended while runs remain (taken back from a worker that died). Runs until aborted.
    pub fn follow_running_jobs(self: &Arc<Self>, interval: Duration) -> JoinHandle<()> {
        let manager = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = manager.resume_all().await {
                    tracing::warn!(error = %e, "cannot list the running jobs; trying again");
                }
                tokio::time::sleep(interval).await;
            }
        })
    }

    /// Starts every job still marked running (after a crash or restart). Returns their ids.
    pub async fn resume_all(self: &Arc<Self>) -> Result<Vec<i64>, StoreError> {
        if !self.runs_jobs {
            return Ok(Vec::new());
        }
        let running = self.store.running_jobs().await?;
        for job_id in &running {
            self.start(*job_id);
        }
        Ok(running)
    }

    /// Stops every runner task and hands their leased runs back as pending; finished runs not
    /// yet written are run again by the next start (never recorded twice).
    pub async fn shutdown(&self) -> Result<u64, StoreError> {
        let tasks: Vec<JoinHandle<()>> = {
            let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            tasks.drain().map(|(_, task)| task).collect()
        };
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        self.store.release_leases(&self.config.owner).await
    }
}
