//! Storage on SQLite (embedded, the default) or PostgreSQL, with the same behaviour on both:
//! one `sqlx` pool type, queries written once with `$N` placeholders (SQLite maps them to
//! argument N), migrations embedded per backend and applied at start.
//!
//! The `runs` table is the unit of work and of resume: one row per seed × repetition, claimed
//! with a lease that expires (PostgreSQL skips rows other workers hold), finished in the same
//! transaction that writes its record and updates the job's counters, and idempotent: a run
//! finished twice writes one record.

pub mod api_keys;
pub mod dataset_card;
pub mod dataset_export;
pub mod dataset_hub;
pub mod dataset_lineage;
pub mod dataset_operations;
pub mod dataset_push;
pub mod dataset_sources;
pub mod dataset_sweep;
pub mod dataset_writer;
pub mod datasets;
mod finish_runs;
pub mod gauges;
pub mod grants;
pub mod job_plan;
pub mod job_wakeups;
pub mod jobs;
pub mod kv;
pub mod llm_cache;
pub mod model_seeds;
pub mod models;
pub mod pipelines;
pub mod quality;
pub mod record_reviews;
mod record_writes;
pub mod records;
pub mod runs;
pub mod settings;
mod slots;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

pub use record_writes::{Generation, RecordWrites};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server; several workers may share it.
    Postgres,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one this build understands.
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://path/to/file.db or postgres://...")]
    UnsupportedUrl(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The folder of the SQLite file could not be created.
    #[error("cannot create {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Stored JSON could not be read back.
    #[error("stored {what} is not valid JSON: {source}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A stored value is not one this build knows (say a status written by a newer version).
    #[error("stored {what} {value:?} is not one this build knows")]
    UnknownValue {
        /// Which value: `job status`.
        what: &'static str,
        /// What is stored.
        value: String,
    },
    /// A referenced row does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// `pipeline`, `job`, `record`.
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// A row looked up by name does not exist.
    #[error("{what} {name:?} not found")]
    Missing {
        /// `llm model`, `embedding model`.
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A name that must be unique is taken.
    #[error("{what} {name:?} already exists")]
    Duplicate {
        /// `llm model`, `embedding model`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A task writing to the store ended abnormally (it panicked or was aborted).
    #[error("storage task ended abnormally: {0}")]
    TaskFailed(String),
    /// Reading something ended before all of it was read (it was deleted meanwhile), or a
    /// write did not write what it should have: nothing was published from it.
    #[error(
        "{what} {id}: {found} rows where {expected} were expected (deleted while it was read?)"
    )]
    Incomplete {
        /// `dataset version`.
        what: &'static str,
        /// Its id.
        id: i64,
        /// Rows it should have.
        expected: i64,
        /// Rows found.
        found: i64,
    },
}

/// Set on every PostgreSQL connection: a transaction left idle this long (its process was
/// stopped with SIGSTOP, or stalled) is ended by the server, which releases its row locks —
/// the job row [`Store::finish_runs`] locks most of all — so one stalled worker cannot freeze a
/// job for the others. No transaction here waits on anything but the database, so a live
/// process never comes near it.
const IDLE_IN_TRANSACTION: &str = "SET idle_in_transaction_session_timeout = '15s'";

/// The connection pools and the backend they talk to.
///
/// On SQLite, writes go through one connection, so they queue in the pool (first come, first
/// served) instead of racing for the file's lock: a transaction that reads before it writes
/// cannot fail to become the writer, and nothing answers "database is locked". Reads have
/// their own pool of WAL connections, so the review page, job polling and SSE never wait for
/// a batch of records being written, nor the writer for them. On PostgreSQL both are one pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    readers: AnyPool,
    /// Read connections for pages of records only (`api/record_pages.rs`), opened on the
    /// threads that serve them, so they share those threads' lower priority.
    page_readers: AnyPool,
    backend: Backend,
    records_written: RecordWrites,
    /// This process's announcements of running jobs ([`job_wakeups`]).
    job_signal: job_wakeups::JobSignal,
    /// The PostgreSQL URL, for the listener of announcements; `None` on SQLite.
    postgres_url: Option<std::sync::Arc<str>>,
}

/// Connections of SQLite's read pool: the API, SSE and the job runner's reads at once. A read
/// takes a fraction of a millisecond of SQLite's time, so a few are enough; more would only
/// let readers take more of a small machine's cores from the job.
pub const SQLITE_READERS: u32 = 4;

/// Connections of SQLite's pool for pages of records: one query per page runs at a time,
/// and readers of one page share it, so two are enough for two pages at once.
pub const SQLITE_PAGE_READERS: u32 = 2;

/// How long a SQLite write waits for the file's lock when another process holds it (the
/// `busy_timeout`), and how long a read or write waits for a connection of its pool. Writes
/// queue rather than fail: this is the bound of an abnormal wait, not of a normal one.
pub const SQLITE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A query whose SQL text is built at run time from constants and numbered placeholders only;
/// values are always bound, never formatted into the text.
pub(crate) fn dynamic(
    text: String,
) -> sqlx::query::Query<'static, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments> {
    sqlx::query(sqlx::AssertSqlSafe(text))
}

fn count_column(row: &sqlx::any::AnyRow, name: &str) -> Result<u64, StoreError> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(name)?.max(0) as u64)
}

/// The `input_tokens`, `output_tokens` and `cached_tokens` columns of a row.
pub(crate) fn token_columns(row: &sqlx::any::AnyRow) -> Result<crate::usage::Usage, StoreError> {
    Ok(crate::usage::Usage::tokens(
        count_column(row, "input_tokens")?,
        count_column(row, "output_tokens")?,
        count_column(row, "cached_tokens")?,
    ))
}

/// The usage columns of a job or record: the token counts, `cost_picodollars`,
/// `unpriced_calls` and `cache_hits`.
pub(crate) fn usage_columns(row: &sqlx::any::AnyRow) -> Result<crate::usage::Usage, StoreError> {
    Ok(crate::usage::Usage {
        cost: crate::usage::Cost {
            picodollars: count_column(row, "cost_picodollars")?,
            unpriced_calls: count_column(row, "unpriced_calls")?,
        },
        cache_hits: count_column(row, "cache_hits")?,
        ..token_columns(row)?
    })
}

/// `Ok` when a statement touched a row, else `NotFound` for `what` `id`.
pub(crate) fn found(
    done: &sqlx::any::AnyQueryResult,
    what: &'static str,
    id: i64,
) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what, id });
    }
    Ok(())
}

/// Parses stored JSON text, naming the column when it is not JSON.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt { what, source })
}

impl Store {
    /// Connects to `url` (`sqlite://file.db`, a plain file path, or `postgres://...`), creating
    /// a SQLite file and its folder when missing, and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            (Backend::Sqlite, sqlite_url(path)?)
        } else if !url.contains("://") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let store = match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(&mut *conn, IDLE_IN_TRANSACTION).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                Store {
                    readers: pool.clone(),
                    page_readers: pool.clone(),
                    pool,
                    backend,
                    records_written: RecordWrites::default(),
                    job_signal: Default::default(),
                    postgres_url: Some(url.as_str().into()),
                }
            }
            Backend::Sqlite => {
                // The writer first: it sets WAL mode and migrates before any reader opens.
                let pool = sqlite_pool(1, false).connect(&url).await?;
                let mut store = Store {
                    readers: pool.clone(),
                    page_readers: pool.clone(),
                    pool,
                    backend,
                    records_written: RecordWrites::default(),
                    job_signal: Default::default(),
                    postgres_url: None,
                };
                store.migrate().await?;
                // An in-memory database is private to its connection: readers would see
                // another, empty one, so they share the writer.
                if !url.contains("mode=memory") && !url.contains(":memory:") {
                    store.readers = sqlite_pool(SQLITE_READERS, true).connect(&url).await?;
                    // Opened when first used, by the thread that uses it (see `page_readers`).
                    store.page_readers =
                        sqlite_pool(SQLITE_PAGE_READERS, true).connect_lazy(&url)?;
                }
                return Ok(store);
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                // WAL lets readers work while a batch of records is written; it is a property
                // of the file, set once.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&self.pool)
                    .await?;
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for writes and for transactions (on SQLite, its one writer connection).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for reads outside a transaction (on SQLite, read-only WAL connections of their
    /// own, which a batch of records being written does not block; it sees every committed
    /// write).
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.readers
    }

    /// The pool for pages of records: on SQLite, read-only WAL connections of their own, each
    /// opened on the thread that first needs it (its own thread inherits that thread's
    /// scheduling priority); elsewhere the readers' pool.
    pub(crate) fn page_reader(&self) -> &AnyPool {
        &self.page_readers
    }

    /// Where this process's commits changing records stand (see [`RecordWrites`]).
    pub fn records_generation(&self) -> record_writes::Generation {
        self.records_written.generation()
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.page_readers.close().await;
        self.readers.close().await;
        self.pool.close().await;
    }
}

/// Options of a SQLite pool of `connections`: each waits [`SQLITE_LOCK_WAIT`] for the file's
/// lock; a pool of readers refuses writes (`query_only`), so a write sent to it by mistake
/// fails in tests instead of racing the writer.
fn sqlite_pool(connections: u32, read_only: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(SQLITE_LOCK_WAIT)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                let busy = format!("PRAGMA busy_timeout = {}", SQLITE_LOCK_WAIT.as_millis());
                conn.execute(sqlx::AssertSqlSafe(busy)).await?;
                // Page caches below SQLite's 2 MiB default: seven connections filling theirs on
                // a 1,000,000-run database took a 1M-seed job's peak RSS from 76 to 90 MiB
                // (`bench --only seeds`); the reads and the writer's batches did not slow.
                if read_only {
                    conn.execute("PRAGMA query_only = ON").await?;
                    conn.execute("PRAGMA cache_size = -512").await?;
                } else {
                    conn.execute("PRAGMA cache_size = -1024").await?;
                }
                Ok(())
            })
        })
}

/// A SQLite URL for `path` that creates the file (and its folder) when missing.
fn sqlite_url(path: &str) -> Result<String, StoreError> {
    let (file, params) = path.split_once('?').unwrap_or((path, ""));
    if let Some(dir) = Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let params = if params.contains("mode=") {
        params.to_owned()
    } else if params.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{params}&mode=rwc")
    };
    Ok(format!("sqlite://{file}?{params}"))
}
