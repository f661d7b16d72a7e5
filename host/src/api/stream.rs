//! `GET /api/jobs/{id}/stream`: Server-Sent Events of a job. It reads the store, so it works
//! whichever worker runs the job. Events, in order: `record` (`{record_id, run_status}`, one
//! per finished run, ascending), `progress` (the job, whenever its counters change) and a
//! final `done` (the job once it has ended).

use super::error::ErrorBody;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde_json::{Value, json};

use super::job_view::JobView;
use super::{ApiError, AppState};
use crate::store::Store;

/// How often the store is read for news.
const POLL: Duration = Duration::from_millis(250);

struct Follow {
    store: Store,
    job_id: i64,
    last_record: i64,
    last_progress: Option<Value>,
    pending: VecDeque<Event>,
    finished: bool,
}

fn event(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

impl Follow {
    /// Reads what changed since the last poll into `pending`.
    async fn poll(&mut self) {
        // The job is read before the records: when it has ended by then, every record it has
        // is already written, so `done` never comes before the last records.
        let job = match self.store.job(self.job_id).await {
            Ok(job) => job,
            Err(e) => {
                self.pending
                    .push_back(event("error", &json!({"error": e.to_string()})));
                self.finished = true;
                return;
            }
        };
        let records = match self
            .store
            .record_ids_after(self.job_id, self.last_record, 500)
            .await
        {
            Ok(records) => records,
            Err(e) => {
                self.pending
                    .push_back(event("error", &json!({"error": e.to_string()})));
                self.finished = true;
                return;
            }
        };
        let more_records = records.len() == 500;
        for (id, run_status) in records {
            self.last_record = id;
            self.pending.push_back(event(
                "record",
                &json!({"record_id": id, "run_status": run_status}),
            ));
        }
        let progress = json!(JobView::new(&job));
        if self.last_progress.as_ref() != Some(&progress) {
            self.pending.push_back(event("progress", &progress));
            self.last_progress = Some(progress.clone());
        }
        if job.status.is_finished() && !more_records {
            self.pending.push_back(event("done", &progress));
            self.finished = true;
        }
    }
}

/// The event stream of job `id`.
#[utoipa::path(get, path = "/api/jobs/{id}/stream", tag = "jobs", params(("id" = i64, Path, description = "Job id")), responses((status = 200, description = "Server-Sent Events: `record` (`{record_id, run_status}`, one per finished run, in order), `progress` (the job, when it changes), then `done`", content_type = "text/event-stream", body = String), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    state.store.job(id).await?;
    let follow = Follow {
        store: state.store.clone(),
        job_id: id,
        last_record: 0,
        last_progress: None,
        pending: VecDeque::new(),
        finished: false,
    };
    let events = futures::stream::unfold(follow, |mut follow| async move {
        loop {
            if let Some(event) = follow.pending.pop_front() {
                return Some((Ok(event), follow));
            }
            if follow.finished {
                return None;
            }
            let first = follow.last_progress.is_none();
            follow.poll().await;
            if follow.pending.is_empty() && !first {
                tokio::time::sleep(POLL).await;
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
