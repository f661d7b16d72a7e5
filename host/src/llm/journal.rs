//! The LLM calls one block call makes, for its trace entry.
//!
//! The `llm` and `embeddings` imports open a journal around their gateway call; the model
//! client appends one [`LlmCall`] per request it serves (a structured-output repair is a
//! request of its own). A task-local carries the journal, so the layers in between (the
//! structured-output loop, the router, any wrapper around the gateway) need not pass it on,
//! and failed calls are recorded as well as answered ones.
//!
//! A call is entered when it starts ([`open`]) and updated as its attempts are sent, so a
//! call cut off mid-way (its block call hit the wall clock) still shows the attempts it sent:
//! it stays `failed` with [`CUT_OFF`] as its error. The runtime keeps the journal of a block
//! call in the call's state, so it survives the cut.

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Most calls kept per block call; later ones are counted in the block's `llm_calls` only.
const MAX_CALLS_KEPT: usize = 256;

/// One request to a model, as the trace shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmCall {
    /// The provider model name sent.
    pub model: String,
    /// The config's provider (`openai`, `ollama`, `anthropic`, `gemini`).
    pub provider: String,
    /// HTTP requests sent (1 without retries; 0 when refused before sending).
    pub attempts: u32,
    /// Time spent waiting: for a slot, for the rate limits and in backoff between attempts.
    pub wait_ms: u64,
    /// The part of `wait_ms` spent waiting for the requests- and tokens-per-minute limits, so
    /// a slow run says it was throttled.
    pub rate_wait_ms: u64,
    /// Time from the call to its answer (waits included).
    pub duration_ms: f64,
    /// `ok` or `failed`.
    pub status: CallStatus,
    /// The failure, when it failed.
    pub error: Option<String>,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Answered.
    Ok,
    /// Failed after its attempts.
    Failed,
}

/// The error of a call cut off before it ended.
pub const CUT_OFF: &str =
    "cut off before an answer: the block call ended while this request was pending";

/// The calls recorded during one block call.
#[derive(Debug, Clone, Default)]
pub struct CallJournal(Arc<Mutex<Vec<LlmCall>>>);

tokio::task_local! {
    static CURRENT: CallJournal;
}

impl CallJournal {
    /// Runs `future` with this journal recording the calls it makes.
    pub async fn record<F: Future>(&self, future: F) -> F::Output {
        CURRENT.scope(self.clone(), future).await
    }

    /// The calls recorded so far, removed from the journal.
    pub fn take(&self) -> Vec<LlmCall> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A call's place in the running import's journal (none when there is no journal or it is
/// full).
pub struct Entry(Option<(CallJournal, usize)>);

/// Enters `call` (as it stands at its start) in the journal of the running import.
pub(crate) fn open(call: LlmCall) -> Entry {
    Entry(
        CURRENT
            .try_with(|journal| {
                let mut calls = journal.0.lock().unwrap_or_else(|p| p.into_inner());
                (calls.len() < MAX_CALLS_KEPT).then(|| {
                    calls.push(call);
                    (journal.clone(), calls.len() - 1)
                })
            })
            .ok()
            .flatten(),
    )
}

impl Entry {
    /// Updates the call's entry (its attempts so far, its end).
    pub fn update(&self, change: impl FnOnce(&mut LlmCall)) {
        if let Some((journal, index)) = &self.0
            && let Some(call) = journal
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_mut(*index)
        {
            change(call);
        }
    }
}
