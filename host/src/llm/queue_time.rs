//! Time a block call spends queued for a provider — waiting for a concurrency slot, a
//! requests- or tokens-per-minute token, or a `Retry-After`/backoff pause — and the run's
//! deadline for such waits.
//!
//! A rate-limited provider should slow a job down, not fail it: the runtime extends a block
//! call's wall clock by the time the call spent queued (the queue is the provider's, not the
//! block's), and the gateway stops waiting when the run's provider deadline passes
//! (`LLM_RUN_DEADLINE_SECS`), so a run cannot wait forever. The `llm` and `embeddings` imports
//! scope a [`QueueTime`] around their gateway call ([`QueueTime::scope`]), like the journal,
//! so the layers in between need not pass it on. A run of a stored job also has its
//! [`RunLease`] here: the gateway sends an attempt only while it is held.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::run_lease::RunLease;

/// The provider deadline of a call made outside any run (no [`QueueTime`] in scope): counted
/// from the call's start.
pub const DEFAULT_RUN_DEADLINE: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Default)]
struct Queued {
    /// Time queued in waits that ended.
    total: Duration,
    /// When the current wait(s) began.
    since: Option<Instant>,
    /// Waits in progress (calls of one block are sequential, but a wrapper may overlap two).
    depth: u32,
}

/// The provider queue time of one block call, shared by the gateway (which marks its waits)
/// and the runtime (which reads it to extend the call's wall clock). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct QueueTime {
    queued: Arc<Mutex<Queued>>,
    deadline: Option<Instant>,
    lease: Option<RunLease>,
}

tokio::task_local! {
    static CURRENT: QueueTime;
}

impl QueueTime {
    /// A clock of no queued time, whose waits give up at `deadline` (`None`: each call's
    /// own start plus [`DEFAULT_RUN_DEADLINE`]).
    pub fn new(deadline: Option<Instant>) -> Self {
        QueueTime {
            queued: Arc::default(),
            deadline,
            lease: None,
        }
    }

    /// The same clock for a run executed under `lease` (`None`: not a stored job's run).
    pub fn with_lease(mut self, lease: Option<RunLease>) -> Self {
        self.lease = lease;
        self
    }

    /// The lease of the run whose call this is, if it has one.
    pub fn lease(&self) -> Option<&RunLease> {
        self.lease.as_ref()
    }

    /// The run's provider deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Time queued up to `now`, the wait in progress included.
    pub fn queued(&self, now: Instant) -> Duration {
        let queued = self.lock();
        queued.total
            + queued
                .since
                .map_or(Duration::ZERO, |since| now.saturating_duration_since(since))
    }

    /// Runs `future` with this clock receiving the waits of the provider calls it makes.
    pub async fn scope<F: Future>(&self, future: F) -> F::Output {
        CURRENT.scope(self.clone(), future).await
    }

    /// The clock of the running import, if there is one.
    pub fn current() -> Option<QueueTime> {
        CURRENT.try_with(Clone::clone).ok()
    }

    fn enter(&self) -> WaitGuard<'_> {
        let mut queued = self.lock();
        if queued.depth == 0 {
            queued.since = Some(Instant::now());
        }
        queued.depth += 1;
        WaitGuard(self)
    }
}

/// One wait in progress; ends it when dropped (a cancelled wait ends too).
struct WaitGuard<'a>(&'a QueueTime);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let mut queued = self.0.lock();
        queued.depth = queued.depth.saturating_sub(1);
        if queued.depth == 0
            && let Some(since) = queued.since.take()
        {
            queued.total += since.elapsed();
        }
    }
}

/// The run's provider deadline passed while a call waited for the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlinePassed;

/// Waits for `future` as time queued for the provider (counted into `queue` when there is
/// one), giving up at `deadline`.
pub async fn waiting<F: Future>(
    queue: Option<&QueueTime>,
    deadline: Instant,
    future: F,
) -> Result<F::Output, DeadlinePassed> {
    let _guard = queue.map(QueueTime::enter);
    tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), future)
        .await
        .map_err(|_| DeadlinePassed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_are_counted_and_give_up_at_the_deadline() {
        let queue = QueueTime::new(None);
        let far = Instant::now() + Duration::from_secs(60);
        let done = waiting(
            Some(&queue),
            far,
            tokio::time::sleep(Duration::from_millis(30)),
        )
        .await;
        assert_eq!(done, Ok(()));
        let after_one = queue.queued(Instant::now());
        assert!(after_one >= Duration::from_millis(30), "{after_one:?}");
        // Nothing waits now: the total stays put.
        assert_eq!(queue.queued(Instant::now()), after_one);
        let near = Instant::now() + Duration::from_millis(20);
        let cut = waiting(Some(&queue), near, std::future::pending::<()>()).await;
        assert_eq!(cut, Err(DeadlinePassed));
        assert!(queue.queued(Instant::now()) >= after_one + Duration::from_millis(20));
    }

    #[tokio::test]
    async fn the_scoped_clock_is_current_inside_only() {
        let queue = QueueTime::new(Some(Instant::now()));
        assert!(QueueTime::current().is_none());
        let inside = queue.scope(async { QueueTime::current() }).await;
        assert_eq!(inside.and_then(|q| q.deadline()), queue.deadline());
    }
}
