//! Where block code runs: on the caller's async runtime, or on threads of its own.
//!
//! A block yields to the runtime at every epoch tick, but a few wasm instructions cannot be
//! interrupted: one `memory.fill` or `memory.copy` over hundreds of MiB holds its thread for
//! a tenth of a second or more. On the server, block calls therefore run on a runtime of their
//! own, so the API's threads are never the ones a block holds: the operating system shares the
//! cores between both, and `/health` answers while blocks compute.

use std::future::Future;

/// Where block calls run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GuestThreads {
    /// On the caller's runtime (the CLI: there is no API to keep answering).
    #[default]
    Caller,
    /// On a runtime of its own with this many worker threads.
    Dedicated(usize),
}

/// The runtime block calls are sent to, when they have their own.
pub(super) struct GuestExecutor(Option<tokio::runtime::Runtime>);

/// The task running a block call ended without an answer (it panicked in the host).
#[derive(Debug, thiserror::Error)]
#[error("the block call's task failed: {0}")]
pub struct GuestTaskFailed(String);

impl GuestExecutor {
    /// Starts the threads `threads` asks for.
    pub(super) fn start(threads: GuestThreads) -> std::io::Result<Self> {
        match threads {
            GuestThreads::Caller => Ok(GuestExecutor(None)),
            GuestThreads::Dedicated(count) => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(count.max(1))
                .thread_name("blockforge-guest")
                .enable_all()
                .build()
                .map(|runtime| GuestExecutor(Some(runtime))),
        }
    }

    /// Runs `call` where block calls run. Dropping the returned future (a cancelled job)
    /// stops the call.
    pub(super) async fn run<F>(&self, call: F) -> Result<F::Output, GuestTaskFailed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0 {
            None => Ok(call.await),
            Some(runtime) => {
                let mut task = AbortOnDrop(runtime.spawn(call));
                (&mut task.0)
                    .await
                    .map_err(|e| GuestTaskFailed(e.to_string()))
            }
        }
    }
}

/// Aborts a spawned call when its caller stops waiting for it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for GuestExecutor {
    fn drop(&mut self) {
        // Dropping a runtime from inside another waits for its threads, which an async
        // context may not do: let them finish in the background.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
