//! The lease a stored job's run is executed under, as the gateway sees it: a request is
//! sent only while the run's lease is known to be held.
//!
//! A worker holds each run it executes by a lease in the database, renewed by its runner. A
//! process that stalls (SIGSTOP, a frozen host) longer than the lease wakes up with its runs
//! taken over by other workers, and possibly already stored by them. On wake-up its run tasks
//! and its runner resume together: a run's next attempt (a retry after an attempt timed out
//! during the stall, or the next model call) could go out before the runner's renewal learns
//! that the lease is gone and aborts the run. So the runner keeps a [`RunLease`] per run —
//! when the lease it last renewed expires by this process's clock, and whether a renewal
//! found it lost — and the gateway waits, before each attempt, until the lease is known held
//! now: an expired lease waits for the runner's next renewal (overdue after a stall, so it
//! comes at once), which either extends it (the attempt goes out) or marks it lost (the
//! attempt is refused unsent).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

/// What the runner last learned about a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    /// When the lease expires unless renewed, by this process's clock (measured from before
    /// the statement that took or renewed it, so never later than the database's expiry).
    until: Instant,
    /// A renewal found the lease taken over: no attempt of the run goes out any more.
    lost: bool,
}

/// One run's lease, shared by the runner (which renews it or marks it lost) and the run's
/// model calls (which wait for it to be held before each attempt). Cheap to clone.
#[derive(Debug, Clone)]
pub struct RunLease(Arc<watch::Sender<Held>>);

/// The run's lease was lost to another worker: its requests are no longer this worker's to
/// send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request was not sent: this worker lost the run's lease (it stalled longer than the lease; another worker runs it now)"
)]
pub struct LeaseLost;

impl RunLease {
    /// A lease held until `until`.
    pub fn new(until: Instant) -> Self {
        RunLease(Arc::new(watch::Sender::new(Held { until, lost: false })))
    }

    /// The lease was renewed: held until `until` now.
    pub fn renew(&self, until: Instant) {
        self.0.send_modify(|held| held.until = until);
    }

    /// A renewal found the lease taken over.
    pub fn lose(&self) {
        self.0.send_modify(|held| held.lost = true);
    }

    /// When the lease expires unless renewed (by this process's clock).
    pub fn until(&self) -> Instant {
        self.0.borrow().until
    }

    /// Whether a renewal found the lease lost.
    pub fn is_lost(&self) -> bool {
        self.0.borrow().lost
    }

    /// Whether a model request is waiting for this lease to be renewed.
    #[cfg(test)]
    pub(crate) fn is_waited_for(&self) -> bool {
        self.0.receiver_count() > 0
    }

    /// Returns once the lease is held now: at once while it has not expired; after the
    /// runner's next renewal when it has (or [`LeaseLost`] if that renewal lost it).
    pub async fn held(&self) -> Result<(), LeaseLost> {
        let held = *self.0.borrow();
        if !held.lost && Instant::now() < held.until {
            return Ok(());
        }
        let mut seen = self.0.subscribe();
        loop {
            let held = *seen.borrow_and_update();
            if held.lost {
                return Err(LeaseLost);
            }
            if Instant::now() < held.until {
                return Ok(());
            }
            // The sender lives in `self`: `changed` cannot fail while we wait on it.
            if seen.changed().await.is_err() {
                return Err(LeaseLost);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_live_lease_is_held_at_once_and_a_lost_one_never() {
        let lease = RunLease::new(Instant::now() + Duration::from_secs(60));
        assert_eq!(lease.held().await, Ok(()));
        lease.lose();
        assert_eq!(lease.held().await, Err(LeaseLost));
    }

    #[tokio::test]
    async fn an_expired_lease_waits_for_the_renewal_that_decides() {
        let expired = Instant::now() - Duration::from_millis(1);
        let lease = RunLease::new(expired);
        let waiting = tokio::spawn({
            let lease = lease.clone();
            async move { lease.held().await }
        });
        // Nothing decides yet: the wait goes on (checked without any timing assumption:
        // the task cannot finish before the lease changes).
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        lease.renew(Instant::now() + Duration::from_secs(60));
        assert_eq!(waiting.await.unwrap(), Ok(()));

        let lease = RunLease::new(expired);
        let waiting = tokio::spawn({
            let lease = lease.clone();
            async move { lease.held().await }
        });
        tokio::task::yield_now().await;
        lease.lose();
        assert_eq!(waiting.await.unwrap(), Err(LeaseLost));
    }
}
