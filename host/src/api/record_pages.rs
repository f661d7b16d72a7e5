//! One query for identical record-list requests (a single flight), at most one query per page
//! at a time, on threads that give way to running jobs: readers who poll the review page
//! while a job runs share queries and serialized bodies, and what they cost is taken from
//! idle cores first.
//!
//! Each page has a lane of at most two flights: the one whose query runs, and the next one,
//! which waits for it to end. A request joins the running query only when that query started
//! at the store's current records generation ([`Store::records_generation`]) and no commit
//! changing records was under way then nor is now: nothing this process wrote to records
//! became visible since the query started, so it sees every write the request may have seen
//! committed (a review saved just before, the runs counted in the job's progress) — the
//! request reads its writes. Otherwise it joins the next flight, whose query has not started
//! yet and so will see every write committed before the request arrived. A finished query is
//! never served again: a write by another process (a worker on the same database) is missed
//! at most by requests that arrive while one query runs.
//!
//! A page is queried at most once every [`PAGE_QUERY_INTERVAL`]: the next flight waits until
//! that long after the previous query of its page started. Clients polling one page as fast
//! as they can (twenty browsers' review pages, a script) then share one query per interval
//! and get at most one answer each per interval, instead of taking the cores of the job
//! writing those records; a request still sees every write committed before it arrived,
//! since the flight it joins starts after it. A page not asked for within the interval is
//! answered at once.
//!
//! Queries run on [`PageThreads`]: threads of a lower scheduling priority
//! ([`crate::thread_priority`]) with SQLite connections of their own, started from those
//! threads so that they inherit it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};

use super::ApiError;
use crate::store::records::{RawJson, RecordFilter};
use crate::store::{Generation, Store};

/// Nice value of the threads that serve record pages, and of their SQLite connections: far
/// enough below the job's threads (0) that a busy job keeps its cores, not so far that a
/// page waits long behind it (19 would give pages 1.5% of a busy core).
pub const PAGE_THREADS_NICE: i32 = 8;

/// The shortest time between the starts of two queries of one page (see the module's
/// documentation): short beside a person's reading, long beside a query of a page.
pub const PAGE_QUERY_INTERVAL: Duration = Duration::from_millis(20);

/// Which page: the normalized filter, the page size and the offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    filter: RecordFilter,
    limit: i64,
    offset: i64,
}

impl PageKey {
    /// The page of `limit` records from `offset` under `filter`; requests that select the
    /// same records (say `?status=` and no status) have the same key.
    pub fn new(filter: RecordFilter, limit: i64, offset: i64) -> Self {
        PageKey {
            filter: filter.normalized(),
            limit: limit.max(0),
            offset: offset.max(0),
        }
    }
}

/// One page as answered: the JSON list, serialized once for every request that shares it,
/// and the number of records matching the filter.
#[derive(Debug, Clone)]
pub struct Page {
    /// The JSON array of the page's records.
    pub body: Bytes,
    /// Records matching the filter (`X-Total-Count`).
    pub total: i64,
}

type PageQuery = Shared<BoxFuture<'static, Result<Page, ApiError>>>;

/// A query, running or next in its lane.
struct Flight {
    /// Tells this flight from a later one of the same key.
    id: u64,
    /// The records generation when its query started; `None` while it waits for its turn.
    started_at: Option<Generation>,
    /// The query; weak, so it ends when every request waiting for it has gone.
    query: WeakShared<BoxFuture<'static, Result<Page, ApiError>>>,
}

/// The flights of one page.
#[derive(Default)]
struct Lane {
    /// The flight whose query runs.
    running: Option<Flight>,
    /// The flight that runs next; any request may join it.
    next: Option<Flight>,
    /// Held by the query of this page that runs: one at a time.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// When the last query of this page started.
    last_query: Option<Instant>,
}

impl Lane {
    /// Whether a flight of this page runs or waits.
    fn busy(&self) -> bool {
        self.running.is_some() || self.next.is_some()
    }

    /// Whether this page's last query started less than [`PAGE_QUERY_INTERVAL`] ago.
    fn queried_recently(&self) -> bool {
        !self.wait_for_next_query().is_zero()
    }

    /// How long the next query of this page must wait for its start.
    fn wait_for_next_query(&self) -> Duration {
        self.last_query.map_or(Duration::ZERO, |started| {
            PAGE_QUERY_INTERVAL.saturating_sub(started.elapsed())
        })
    }
}

type Lanes = Arc<Mutex<HashMap<PageKey, Lane>>>;

/// The record-list queries in flight, by page.
pub struct RecordPages {
    lanes: Lanes,
    /// Queries started so far (also the next flight's id).
    queries: AtomicU64,
    /// Pages asked for so far.
    requests: AtomicU64,
    /// Where queries run.
    threads: PageThreads,
}

impl Default for RecordPages {
    fn default() -> Self {
        RecordPages {
            lanes: Lanes::default(),
            queries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            threads: PageThreads::start(),
        }
    }
}

/// How many pages were asked for and how many queries answered them, since the start.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct PageCounts {
    /// Pages asked for.
    pub requests: u64,
    /// Queries started (each answers one request or more).
    pub queries: u64,
}

impl RecordPages {
    /// The page `key` of `store`'s records: the answer of the running query for it when that
    /// query started at the current records generation, else of the next one.
    pub async fn page(&self, store: &Store, key: PageKey) -> Result<Page, ApiError> {
        // Read before looking for a flight: every write counted here committed before a
        // query started at this generation began.
        let generation = store.records_generation();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let query = {
            let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
            let lane = lanes.entry(key.clone()).or_default();
            let running = lane
                .running
                .as_ref()
                .filter(|flight| generation.settled() && flight.started_at == Some(generation))
                .and_then(|flight| flight.query.upgrade());
            let next = || lane.next.as_ref().and_then(|flight| flight.query.upgrade());
            match running.or_else(next) {
                Some(query) => query,
                None => {
                    // Pages idle for longer than the interval are forgotten here (this one
                    // is kept: it is busy or about to be).
                    lanes.retain(|page, lane| {
                        *page == key || lane.busy() || lane.queried_recently()
                    });
                    let lane = lanes.entry(key.clone()).or_default();
                    let id = self.queries.fetch_add(1, Ordering::Relaxed);
                    let query = self.start(store.clone(), key, id, lane.turn.clone());
                    if let Some(weak) = query.downgrade() {
                        lane.next = Some(Flight {
                            id,
                            started_at: None,
                            query: weak,
                        });
                    }
                    query
                }
            }
        };
        query.await
    }

    /// Pages asked for and queries started so far.
    pub fn counts(&self) -> PageCounts {
        PageCounts {
            requests: self.requests.load(Ordering::Relaxed),
            queries: self.queries.load(Ordering::Relaxed),
        }
    }

    /// The query of flight `id`, next in its lane: once polled, it waits for `turn`, becomes
    /// the running flight and queries on the page threads; it leaves the lane when it ends or
    /// is dropped.
    fn start(
        &self,
        store: Store,
        key: PageKey,
        id: u64,
        turn: Arc<tokio::sync::Mutex<()>>,
    ) -> PageQuery {
        let lanes = self.lanes.clone();
        let landed = Landed {
            lanes: lanes.clone(),
            key: key.clone(),
            id,
        };
        let query = async move {
            let _landed = landed;
            let _turn = turn.lock_owned().await;
            let wait = {
                let lanes = lanes.lock().unwrap_or_else(PoisonError::into_inner);
                lanes
                    .get(&key)
                    .map_or(Duration::ZERO, Lane::wait_for_next_query)
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            // Read before the query starts, as a request reads it before joining.
            let generation = store.records_generation();
            {
                let mut lanes = lanes.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(lane) = lanes.get_mut(&key) {
                    lane.last_query = Some(Instant::now());
                    if let Some(mut flight) = lane.next.take_if(|flight| flight.id == id) {
                        flight.started_at = Some(generation);
                        lane.running = Some(flight);
                    }
                }
            }
            let (rows, total) = store
                .record_page::<RawJson>(&key.filter, key.limit, key.offset)
                .await?;
            let body = serde_json::to_vec(&rows).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot encode a page of records: {e}"),
                    serde_json::json!({}),
                )
            })?;
            Ok(Page {
                body: Bytes::from(body),
                total,
            })
        };
        let task = run_on(self.threads.handle(), query);
        // A panic inside a shared future would poison it without waking the requests waiting
        // on it: it becomes an error answer for all of them instead.
        std::panic::AssertUnwindSafe(task)
            .catch_unwind()
            .map(|outcome| match outcome {
                Ok(Ok(answer)) => answer,
                _ => Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "reading a page of records failed",
                    serde_json::json!({}),
                )),
            })
            .boxed()
            .shared()
    }
}

/// Removes its flight from its lane when the query ends or is dropped (unless a later flight
/// has taken its place), and the lane once it has no flight and its last query is older than
/// the interval.
struct Landed {
    lanes: Lanes,
    key: PageKey,
    id: u64,
}

impl Drop for Landed {
    fn drop(&mut self) {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lane) = lanes.get_mut(&self.key) {
            let this = |flight: &mut Flight| flight.id == self.id;
            lane.running.take_if(this);
            lane.next.take_if(this);
            // A page queried recently stays, so its next query keeps the interval.
            if !lane.busy() && !lane.queried_recently() {
                lanes.remove(&self.key);
            }
        }
    }
}

/// The threads record-page queries run on: a runtime whose threads have nice value
/// [`PAGE_THREADS_NICE`], so the SQLite connections they open (a thread of its own each)
/// have it too; `None` when it could not be started (queries then run on the caller's).
struct PageThreads(Option<tokio::runtime::Runtime>);

impl PageThreads {
    /// Starts the threads: as many as cores, since a lower priority already keeps them from
    /// taking a core a job wants.
    fn start() -> Self {
        let threads = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .thread_name("blockforge-pages")
            .on_thread_start(|| {
                if let Err(e) = crate::thread_priority::lower_current_thread(PAGE_THREADS_NICE) {
                    tracing::warn!(error = %e, "record pages run at the job's priority");
                }
            })
            .enable_all()
            .build()
            .inspect_err(|e| tracing::warn!(error = %e, "record pages share the API's threads"))
            .ok();
        PageThreads(threads)
    }

    /// What spawns tasks on them (`None`: there are none).
    fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.0.as_ref().map(|threads| threads.handle().clone())
    }
}

/// Runs `query` on `threads` (on the caller's when `None`); `Err` when its task panicked.
/// Dropping the returned future stops the query.
async fn run_on<F>(
    threads: Option<tokio::runtime::Handle>,
    query: F,
) -> Result<F::Output, tokio::task::JoinError>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match threads {
        None => Ok(query.await),
        Some(threads) => tokio_util::task::AbortOnDropHandle::new(threads.spawn(query)).await,
    }
}

impl Drop for PageThreads {
    fn drop(&mut self) {
        // Dropping a runtime from inside another waits for its threads, which an async
        // context may not do: let them end in the background.
        if let Some(threads) = self.0.take() {
            threads.shutdown_background();
        }
    }
}
