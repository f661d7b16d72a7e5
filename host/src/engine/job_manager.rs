//! Starts a runner task per running job, resumes running jobs at start, and stops the tasks at
//! shutdown (their jobs stay `running` and resume at the next start).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
}

impl JobManager {
    /// A manager running jobs of `store` with the blocks of `registry`.
    pub fn new(store: Store, registry: Arc<Registry>, config: RunnerConfig) -> Arc<Self> {
        Arc::new(JobManager {
            store,
            registry,
            config,
            tasks: Mutex::new(HashMap::new()),
        })
    }

    /// Starts running `job_id` unless a task of this process already does.
    pub fn start(self: &Arc<Self>, job_id: i64) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|_, task| !task.is_finished());
        if tasks.contains_key(&job_id) {
            return;
        }
        let manager = self.clone();
        let task = tokio::spawn(async move {
            match run_job(&manager.store, &manager.registry, job_id, &manager.config).await {
                Ok(status) => tracing::info!(job_id, ?status, "job ended"),
                Err(e) => {
                    tracing::error!(job_id, error = %e, "job runner failed; the job resumes at the next start")
                }
            }
        });
        tasks.insert(job_id, task);
    }

    /// Starts every job still marked running (after a crash or restart). Returns their ids.
    pub async fn resume_all(self: &Arc<Self>) -> Result<Vec<i64>, StoreError> {
        let running = self.store.running_jobs().await?;
        for job_id in &running {
            self.start(*job_id);
        }
        Ok(running)
    }

    /// Stops every runner task; runs in flight stay leased and are claimed again later.
    pub fn shutdown(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for (_, task) in tasks.drain() {
            task.abort();
        }
    }
}
