//! The job runner's writer: a task of its own that stores finished runs in batches and reads
//! the job back after each batch, so the runner keeps starting runs while a transaction is
//! under way (an inline flush left every slot that freed meanwhile idle until it ended).
//!
//! Budgets are checked against the job as last read plus the runs handed over since that
//! read did not include yet, so a constraint is seen after every run, not every batch.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::engine::run::RunContext;
use crate::store::jobs::JobRow;
use crate::store::runs::FinishedRun;
use crate::store::{Store, StoreError};
use crate::usage::Usage;

enum Message {
    Finished(Box<FinishedRun>),
    Flush(oneshot::Sender<()>),
}

/// A read of the job, with how many handed-over runs were stored when it was made. Shared
/// behind an `Arc`: the row carries the job's pipeline snapshot, read back every batch.
struct JobRead {
    job: JobRow,
    written: u64,
}

/// The runner's side of the writer.
pub(super) struct RecordWriter {
    messages: mpsc::Sender<Message>,
    /// The job as read after the latest write.
    reads: watch::Receiver<Arc<JobRead>>,
    /// [`RecordWriter::changed`] saw a new read that [`RecordWriter::job_update`] has not
    /// handed out yet (`changed` marks it seen in the channel).
    fresh: bool,
    /// Runs handed over so far.
    pushed: u64,
    /// The usage of each run handed over and not in the last read, by its number.
    unwritten: VecDeque<(u64, Usage)>,
    /// The last read handed out.
    last: Arc<JobRead>,
    task: tokio::task::JoinHandle<Result<(), StoreError>>,
}

/// How the writer batches.
pub(super) struct Batching {
    /// Finished runs per transaction at most.
    pub size: usize,
    /// Longest wait before buffered runs are written and the job is read back.
    pub interval: Duration,
}

impl RecordWriter {
    /// Starts the writer of `job` (as just read); it reports the block `ctx` most recently
    /// entered.
    pub fn start(store: Store, job: JobRow, ctx: Arc<RunContext>, batching: Batching) -> Self {
        // Half a batch may wait while a batch is written: the runner stops starting runs when
        // the writer falls behind, so a crash loses at most about 1.5 batches of finished runs.
        let (messages, inbox) = mpsc::channel(batching.size.div_ceil(2).max(1));
        let first = Arc::new(JobRead { job, written: 0 });
        let (read_tx, reads) = watch::channel(first.clone());
        let task = tokio::spawn(write(store, first.job.id, ctx, batching, inbox, read_tx));
        RecordWriter {
            messages,
            reads,
            fresh: false,
            pushed: 0,
            unwritten: VecDeque::new(),
            last: first,
            task,
        }
    }

    /// Queues a finished run for the next batch, waiting while the writer is behind. False
    /// when the writer has stopped (its error comes from [`RecordWriter::close`]).
    pub async fn push(&mut self, run: FinishedRun) -> bool {
        self.pushed += 1;
        self.unwritten.push_back((self.pushed, run.record.usage));
        self.messages
            .send(Message::Finished(Box::new(run)))
            .await
            .is_ok()
    }

    /// Writes everything queued so far and waits until it is stored and the job read back.
    /// False when the writer has stopped.
    pub async fn flush(&self) -> bool {
        let (done, written) = oneshot::channel();
        if self.messages.send(Message::Flush(done)).await.is_err() {
            return false;
        }
        written.await.is_ok()
    }

    /// The job as last read back, when a read newer than the last call to this is available.
    pub fn job_update(&mut self) -> Option<&JobRow> {
        if !std::mem::take(&mut self.fresh) && !self.reads.has_changed().unwrap_or(false) {
            return None;
        }
        self.last = self.reads.borrow_and_update().clone();
        let written = self.last.written;
        while self.unwritten.front().is_some_and(|(n, _)| *n <= written) {
            self.unwritten.pop_front();
        }
        Some(&self.last.job)
    }

    /// The job's usage as the budgets see it: the last read plus the runs handed over since
    /// that it did not include; and the job's creation time (Unix ms).
    pub fn usage(&self) -> (Usage, i64) {
        let mut usage = self.last.job.usage;
        for (_, run) in &self.unwritten {
            usage += *run;
        }
        (usage, self.last.job.created_at)
    }

    /// Waits until the job is read back again (or the writer stops); cancel-safe.
    pub async fn changed(&mut self) {
        if self.reads.changed().await.is_err() {
            // Stopped: the runner learns why from `close`; never wake it in a loop.
            std::future::pending::<()>().await;
        }
        self.fresh = true;
    }

    /// Whether the writer has stopped (only on a storage error).
    pub fn stopped(&self) -> bool {
        self.task.is_finished()
    }

    /// Writes what is queued and ends the writer; its storage error, if it had one.
    pub async fn close(self) -> Result<(), StoreError> {
        drop(self.messages);
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(StoreError::TaskFailed(format!(
                "the job's record writer: {e}"
            ))),
        }
    }
}

async fn write(
    store: Store,
    job_id: i64,
    ctx: Arc<RunContext>,
    batching: Batching,
    mut inbox: mpsc::Receiver<Message>,
    reads: watch::Sender<Arc<JobRead>>,
) -> Result<(), StoreError> {
    let mut buffer: Vec<FinishedRun> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut reported_step: Option<usize> = None;
    let mut written: u64 = 0;
    let mut open = true;
    while open {
        let deadline = Instant::now() + batching.interval;
        loop {
            tokio::select! {
                message = inbox.recv() => match message {
                    Some(Message::Finished(run)) => {
                        buffer.push(*run);
                        if buffer.len() >= batching.size {
                            break;
                        }
                    }
                    Some(Message::Flush(done)) => {
                        waiting.push(done);
                        break;
                    }
                    None => {
                        open = false;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if !buffer.is_empty() {
            store.finish_runs(&buffer).await?;
            written += buffer.len() as u64;
            buffer.clear();
        }
        let entered = ctx.current_step.get();
        if entered != reported_step
            && let Some(step) = entered
        {
            let block_type = &ctx.pipeline.steps[step].spec.block_type;
            store
                .set_current_block(job_id, step as i64, block_type)
                .await?;
            reported_step = entered;
        }
        if open {
            let job = store.job_progress(job_id).await?;
            reads.send_replace(Arc::new(JobRead { job, written }));
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
    Ok(())
}
