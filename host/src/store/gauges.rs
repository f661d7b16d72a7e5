//! What `GET /metrics` reads from the database at scrape time: jobs by status and how busy
//! the connection pools are.

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// One connection pool's use now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUse {
    /// `writer`, `readers` or `page_readers` (SQLite), `main` (PostgreSQL: one pool).
    pub pool: &'static str,
    /// Connections open.
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

impl Store {
    /// How many jobs are in each status.
    pub async fn jobs_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status")
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("status")?, row.try_get("n")?)))
            .collect()
    }

    /// The use of each connection pool.
    pub fn pool_use(&self) -> Vec<PoolUse> {
        let of = |pool: &'static str, any: &sqlx::AnyPool| PoolUse {
            pool,
            open: any.size(),
            idle: u32::try_from(any.num_idle()).unwrap_or(u32::MAX),
            max: any.options().get_max_connections(),
        };
        match self.backend() {
            Backend::Postgres => vec![of("main", self.pool())],
            Backend::Sqlite => vec![
                of("writer", self.pool()),
                of("readers", self.reader()),
                of("page_readers", self.page_reader()),
            ],
        }
    }
}
