//! Storage on SQLite (embedded, the default) or PostgreSQL, with the same behaviour on both:
//! one `sqlx` pool type, queries written once with `$N` placeholders (SQLite maps them to
//! argument N), migrations embedded per backend and applied at start.
//!
//! The `runs` table is the unit of work and of resume: one row per seed × repetition, claimed
//! with a lease that expires (PostgreSQL skips rows other workers hold), finished in the same
//! transaction that writes its record and updates the job's counters, and idempotent: a run
//! finished twice writes one record.

pub mod jobs;
pub mod kv;
pub mod llm_cache;
pub mod model_seeds;
pub mod models;
pub mod pipelines;
pub mod records;
pub mod runs;
pub mod settings;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

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
}

/// A connection pool and the backend it talks to.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

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
pub(crate) fn token_columns(row: &sqlx::any::AnyRow) -> Result<crate::engine::Usage, StoreError> {
    Ok(crate::engine::Usage::tokens(
        count_column(row, "input_tokens")?,
        count_column(row, "output_tokens")?,
        count_column(row, "cached_tokens")?,
    ))
}

/// The usage columns of a job or record: the token counts, `cost_picodollars`,
/// `unpriced_calls` and `cache_hits`.
pub(crate) fn usage_columns(row: &sqlx::any::AnyRow) -> Result<crate::engine::Usage, StoreError> {
    Ok(crate::engine::Usage {
        cost: crate::engine::Cost {
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
        let max_connections = match backend {
            // SQLite has one writer at a time; a few readers beside it are enough.
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .connect(&url)
            .await?;
        let store = Store { pool, backend };
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

    /// The pool, for the repositories.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
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
