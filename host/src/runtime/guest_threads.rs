//! Where block code runs: on the caller's async runtime, or on threads of its own.
//!
//! A block yields to the runtime at every epoch tick, but a few wasm instructions cannot be
//! interrupted: one `memory.fill` or `memory.copy` over hundreds of MiB holds its thread for
//! a tenth of a second or more. On the server, block calls therefore run on a runtime of their
//! own, so the API's threads are never the ones a block holds: the operating system shares the
//! cores between both, and `/health` answers while blocks compute.
//!
//! A job runner already runs on threads of its own (`blockforge-jobs`), apart from the API's:
//! its block calls run there, in place ([`run_block_calls_in_place`]). Sending each of them to
//! the block threads and back cost two thread wake-ups per call, a tenth of the server's CPU
//! per record at 0 ms latency.

use std::cell::Cell;
use std::future::Future;

thread_local! {
    /// Whether block calls made on this thread run on it rather than on the block threads.
    static IN_PLACE: Cell<bool> = const { Cell::new(false) };
}

/// Lets block calls made on the current thread run on it, not on the block threads: for the
/// threads of a runtime that serves no API requests (the job runners'), from its
/// `on_thread_start`. A block that holds such a thread (one long `memory.fill`) delays the
/// runner's own work, never an API answer.
pub fn run_block_calls_in_place() {
    IN_PLACE.with(|in_place| in_place.set(true));
}

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

    /// Runs `call` where block calls run: on the caller's thread when it has none of its own
    /// or the caller's thread lets block calls run in place ([`run_block_calls_in_place`]).
    /// Dropping the returned future (a cancelled job) stops the call.
    pub(super) async fn run<F>(&self, call: F) -> Result<F::Output, GuestTaskFailed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0 {
            None => Ok(call.await),
            Some(_) if IN_PLACE.with(Cell::get) => Ok(call.await),
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// The name of the thread a call through `executor` ran on, made from a thread of a
    /// runtime named `caller` whose threads run block calls in place when `in_place`.
    fn thread_of_a_call(executor: &Arc<GuestExecutor>, caller: &str, in_place: bool) -> String {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1).thread_name(caller).enable_all();
        if in_place {
            builder.on_thread_start(run_block_calls_in_place);
        }
        let runtime = builder.build().expect("a runtime");
        let executor = executor.clone();
        // Spawned, so that the call is made on one of the runtime's own threads.
        let task = runtime.spawn(async move {
            let call = async { std::thread::current().name().unwrap_or("").to_owned() };
            executor.run(call).await
        });
        let ran_on = runtime.block_on(task).expect("the task ended");
        runtime.shutdown_background();
        ran_on.expect("the call answered")
    }

    #[test]
    fn a_call_goes_to_the_block_threads_unless_its_thread_runs_calls_in_place() {
        let executor =
            Arc::new(GuestExecutor::start(GuestThreads::Dedicated(1)).expect("block threads"));
        assert_eq!(
            thread_of_a_call(&executor, "api-like", false),
            "blockforge-guest"
        );
        assert_eq!(thread_of_a_call(&executor, "jobs-like", true), "jobs-like");
    }
}
