//! One query for identical record-list requests in flight (a single flight), so readers who
//! poll the review page while a job runs share one query and one serialized body instead of
//! each costing the server a query and an encoding.
//!
//! A request joins a query in flight for the same page only when that query started at the
//! store's current records generation ([`Store::records_generation`]) and no commit changing
//! records was under way then nor is now: nothing this process wrote to records became
//! visible since the query started, so it sees every write the request may have seen
//! committed (a review saved just before, the runs counted in the job's progress) — the
//! request reads its writes. Otherwise it starts a query of its own. A finished query is
//! never served again: the next request queries anew, so a write by another process (a
//! worker on the same database) is missed at most by requests that arrive while one query
//! runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};

use super::ApiError;
use crate::store::records::{RawJson, RecordFilter};
use crate::store::{Generation, Store};

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

/// A query in flight.
struct Flight {
    /// Tells this flight from a later one of the same key.
    id: u64,
    /// The records generation when it was started.
    generation: Generation,
    /// The query; weak, so it ends when every request waiting for it has gone.
    query: WeakShared<BoxFuture<'static, Result<Page, ApiError>>>,
}

type Flights = Arc<Mutex<HashMap<PageKey, Flight>>>;

/// The record-list queries in flight, by page.
#[derive(Default)]
pub struct RecordPages {
    flights: Flights,
    /// Queries started so far (also the next flight's id).
    queries: AtomicU64,
    /// Pages asked for so far.
    requests: AtomicU64,
}

/// How many pages were asked for and how many queries answered them, since the start.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct PageCounts {
    /// Pages asked for.
    pub requests: u64,
    /// Queries started (each answers one request or more).
    pub queries: u64,
}

impl RecordPages {
    /// The page `key` of `store`'s records: the answer of the query in flight for it when
    /// that query started at the current records generation, else of a new query.
    pub async fn page(&self, store: &Store, key: PageKey) -> Result<Page, ApiError> {
        // Read before looking for a flight: every write counted here committed before a
        // flight started at this generation began its query.
        let generation = store.records_generation();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let query = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            let joined = flights
                .get(&key)
                .filter(|flight| generation.settled() && flight.generation == generation)
                .and_then(|flight| flight.query.upgrade());
            match joined {
                Some(query) => query,
                None => {
                    let id = self.queries.fetch_add(1, Ordering::Relaxed);
                    let query = self.start(store.clone(), key.clone(), id);
                    if let Some(weak) = query.downgrade() {
                        flights.insert(
                            key,
                            Flight {
                                id,
                                generation,
                                query: weak,
                            },
                        );
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

    /// The query of flight `id` (not started until polled); it leaves the map when it ends or
    /// is dropped.
    fn start(&self, store: Store, key: PageKey, id: u64) -> PageQuery {
        let landed = Landed {
            flights: self.flights.clone(),
            key: key.clone(),
            id,
        };
        let query = async move {
            let _landed = landed;
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
        // A panic inside a shared future would poison it without waking the requests waiting
        // on it: it becomes an error answer for all of them instead.
        std::panic::AssertUnwindSafe(query)
            .catch_unwind()
            .map(|outcome| {
                outcome.unwrap_or_else(|_| {
                    Err(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "reading a page of records failed",
                        serde_json::json!({}),
                    ))
                })
            })
            .boxed()
            .shared()
    }
}

/// Removes its flight from the map when the query ends or is dropped (unless a later flight
/// of the same key has replaced it).
struct Landed {
    flights: Flights,
    key: PageKey,
    id: u64,
}

impl Drop for Landed {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights
            .get(&self.key)
            .is_some_and(|flight| flight.id == self.id)
        {
            flights.remove(&self.key);
        }
    }
}
