//! Wake-ups for the processes that run jobs: a job made running is announced, so the servers
//! and workers sharing the database start it at once instead of at their next look for
//! running jobs (a poll, kept for announcements that are missed).
//!
//! - Within one process (SQLite's case: one server owns the file) the announcement is an
//!   in-process signal, raised once the transaction that made the job running has committed.
//! - On PostgreSQL it is also a `NOTIFY` on [`CHANNEL`], sent from that transaction, so it is
//!   delivered at its commit — never before the job can be seen — to every process listening
//!   on the database. Its payload is the schema the job lives in: processes on other schemas
//!   of the same database (the tests run one schema each) ignore it. A listener's connection
//!   that is lost and made again raises the signal too, since an announcement may have been
//!   missed meanwhile.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::{Backend, Store, StoreError};

/// The PostgreSQL notification channel jobs are announced on.
pub const CHANNEL: &str = "blockforge_jobs";

/// Longest wait before a listener that lost its connection tries again.
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// This process's signal: a counter raised at each announcement (a `watch`, so one raised
/// while nobody waits is seen by the next wait, never lost).
#[derive(Clone)]
pub(crate) struct JobSignal(Arc<watch::Sender<u64>>);

impl Default for JobSignal {
    fn default() -> Self {
        JobSignal(Arc::new(watch::channel(0).0))
    }
}

impl JobSignal {
    /// Raises the signal.
    fn raise(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Announcements of running jobs, for one process that runs them (see the module). Stops
/// listening when dropped.
pub struct JobWakeups {
    signal: watch::Receiver<u64>,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for JobWakeups {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
        }
    }
}

impl JobWakeups {
    /// Waits until a job is announced after the previous call returned (or, for the first
    /// call, after these wake-ups were made). Cancel-safe.
    pub async fn next(&mut self) {
        if self.signal.changed().await.is_err() {
            // The store is gone: nothing will be announced again.
            std::future::pending::<()>().await;
        }
    }
}

impl Store {
    /// Announces, from the transaction `tx` that makes a job running, that it is: on
    /// PostgreSQL a `NOTIFY` delivered at its commit. Call [`Store::announced`] once it has
    /// committed.
    pub(crate) async fn announce_running_job(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, current_schema()::text)")
                .bind(CHANNEL)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Raises this process's signal after a transaction that announced a running job committed.
    pub(crate) fn announced(&self) {
        self.job_signal.raise();
    }

    /// Announcements of running jobs from now on: this process's own and, on PostgreSQL,
    /// every process's (a listener task runs as long as the answer lives).
    pub fn job_wakeups(&self) -> JobWakeups {
        let signal = self.job_signal.0.subscribe();
        let listener = self.postgres_url.clone().map(|url| {
            let store = self.clone();
            tokio::spawn(async move { listen(store, url).await })
        });
        JobWakeups { signal, listener }
    }
}

/// Listens on [`CHANNEL`] for announcements of jobs in this store's schema and raises the
/// signal for each, reconnecting (with a growing wait) when the database cannot be reached.
async fn listen(store: Store, url: Arc<str>) {
    let mut wait = Duration::from_millis(200);
    loop {
        match listen_once(&store, &url).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, ?wait, "job announcements: listener failed; the poll covers until it is back")
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_RECONNECT_WAIT);
    }
}

/// One listening connection, until it fails.
async fn listen_once(store: &Store, url: &str) -> Result<(), StoreError> {
    let schema: String = sqlx::query("SELECT current_schema()::text AS name")
        .fetch_one(store.reader())
        .await?
        .try_get("name")?;
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Listening now: a job announced before this was missed, so look once more.
    store.job_signal.raise();
    loop {
        match listener.try_recv().await? {
            Some(notification) if notification.payload() == schema => store.job_signal.raise(),
            Some(_) => {}
            // The connection was lost and made again: announcements may have been missed.
            None => store.job_signal.raise(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_created_in_this_process_wakes_its_followers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wakeups.db");
        let store = Store::connect(&path.display().to_string()).await.unwrap();
        let pipeline = store
            .create_pipeline("p", &serde_json::json!({"blocks": []}))
            .await
            .unwrap();
        let mut wakeups = store.job_wakeups();
        let woken = tokio::spawn(async move { wakeups.next().await });
        store
            .create_job(pipeline.id, &[], &serde_json::json!({}))
            .await
            .unwrap();
        // A bound for a broken build only: the wake-up comes with the commit.
        tokio::time::timeout(Duration::from_secs(60), woken)
            .await
            .expect("the new job woke its follower")
            .unwrap();
        store.close().await;
    }
}
