//! Records: listing with real pagination and totals.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError, dynamic, parse_json, usage_columns};
use crate::kv::KvNamespace;
use crate::usage::Usage;

/// A stored record. Its JSON columns are [`Value`]s by default; a page of the list takes
/// them as [`RawJson`], passed on as stored without being decoded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(bound = "")]
pub struct RecordRow<J = Value> {
    /// Its id.
    pub id: i64,
    /// Its job.
    pub job_id: i64,
    /// The job's pipeline.
    pub pipeline_id: i64,
    /// The run that produced it.
    pub run_id: i64,
    /// The run's trace id.
    pub trace_id: String,
    /// `completed` or `failed`.
    #[schema(schema_with = run_status_schema)]
    pub run_status: String,
    /// Review status: `pending`, `accepted`, `rejected` or `edited`.
    #[schema(schema_with = review_status_schema)]
    pub status: String,
    /// The seed's metadata.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub metadata: J,
    /// The final state.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub output: J,
    /// The run's `pipeline_output`, any JSON value.
    #[schema(value_type = serde_json::Value)]
    pub pipeline_output: J,
    /// The trace: one entry per block call.
    #[schema(value_type = Vec<std::collections::HashMap<String, serde_json::Value>>)]
    pub trace: J,
    /// Token usage of the run.
    pub usage: Usage,
    /// The failure, for a failed run.
    pub error: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// [`RecordRow::run_status`]'s schema: the names a run's status is stored under.
fn run_status_schema() -> utoipa::openapi::Object {
    crate::json::text_choices(&["completed", "failed"])
}

/// [`RecordRow::status`]'s schema: the review statuses.
fn review_status_schema() -> utoipa::openapi::Object {
    crate::json::text_choices(&ReviewStatus::ALL.map(ReviewStatus::as_str))
}

/// A record's review status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// Not reviewed.
    Pending,
    /// Kept.
    Accepted,
    /// Discarded.
    Rejected,
    /// Kept with changes.
    Edited,
}

impl ReviewStatus {
    /// Every status.
    pub const ALL: [ReviewStatus; 4] = [
        ReviewStatus::Pending,
        ReviewStatus::Accepted,
        ReviewStatus::Rejected,
        ReviewStatus::Edited,
    ];

    /// The status named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Accepted => "accepted",
            ReviewStatus::Rejected => "rejected",
            ReviewStatus::Edited => "edited",
        }
    }
}

/// Which records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordFilter {
    /// Review status.
    pub status: Option<String>,
    /// Job.
    pub job_id: Option<i64>,
    /// Pipeline.
    pub pipeline_id: Option<i64>,
}

/// Stored JSON text as a list page answers it: checked to be JSON, never decoded into a tree.
pub type RawJson = Box<serde_json::value::RawValue>;

/// How a JSON column of a record is read: decoded ([`Value`]) or passed on ([`RawJson`]).
pub trait StoredJson: Sized {
    /// Reads the text of column `what`.
    fn read(text: String, what: &'static str) -> Result<Self, StoreError>;
}

impl StoredJson for Value {
    fn read(text: String, what: &'static str) -> Result<Self, StoreError> {
        parse_json(&text, what)
    }
}

impl StoredJson for RawJson {
    fn read(text: String, what: &'static str) -> Result<Self, StoreError> {
        serde_json::value::RawValue::from_string(text)
            .map_err(|source| StoreError::Corrupt { what, source })
    }
}

const COLUMNS: &str = "id, job_id, pipeline_id, run_id, trace_id, run_status, status, metadata, output, pipeline_output, trace, input_tokens, output_tokens, cached_tokens, cost_picodollars, unpriced_calls, cache_hits, error, created_at, updated_at";

/// A value bound to a numbered placeholder.
enum Param {
    Text(String),
    Int(i64),
}

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>;

impl RecordFilter {
    /// The same filter with what filters nothing left out: an empty status or a negative id
    /// filters nothing, as they always did (`?status=` is "any"). Two filters that select the
    /// same records this way are equal once normalized.
    pub fn normalized(self) -> Self {
        RecordFilter {
            status: self.status.filter(|status| !status.is_empty()),
            job_id: self.job_id.filter(|id| *id >= 0),
            pipeline_id: self.pipeline_id.filter(|id| *id >= 0),
        }
    }

    /// The conditions of the filters given (only those, so the planner picks the index that
    /// serves them), with placeholders numbered from 1, and their values in order.
    fn condition(&self) -> (String, Vec<Param>) {
        let mut terms = Vec::new();
        let mut params = Vec::new();
        let filter = self.clone().normalized();
        if let Some(job) = filter.job_id {
            params.push(Param::Int(job));
            terms.push(format!("job_id = ${}", params.len()));
        }
        if let Some(pipeline) = filter.pipeline_id {
            params.push(Param::Int(pipeline));
            terms.push(format!("pipeline_id = ${}", params.len()));
        }
        if let Some(status) = filter.status {
            params.push(Param::Text(status));
            terms.push(format!("status = ${}", params.len()));
        }
        if terms.is_empty() {
            terms.push("1 = 1".to_owned());
        }
        (terms.join(" AND "), params)
    }

    /// A query of records under this filter: `sql` is given the condition and the number of
    /// the first free placeholder; the filter's values are bound, then `more` in order.
    fn query(&self, sql: impl FnOnce(&str, usize) -> String, more: &[i64]) -> AnyQuery {
        let (condition, params) = self.condition();
        let mut query = dynamic(sql(&condition, params.len() + 1));
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(text),
                Param::Int(n) => query.bind(n),
            };
        }
        for n in more {
            query = query.bind(*n);
        }
        query
    }
}

/// The rows of one page: their ids from the filter's index (ordered by id, `LIMIT` and
/// `OFFSET` in placeholders `n` and `n + 1`), then those rows only.
fn page_sql(condition: &str, n: usize) -> String {
    format!(
        "SELECT {COLUMNS} FROM records WHERE id IN (SELECT id FROM records \
         WHERE {condition} ORDER BY id LIMIT ${n} OFFSET ${}) ORDER BY id",
        n + 1
    )
}

/// How many records match.
fn count_sql(condition: &str, _: usize) -> String {
    format!("SELECT COUNT(*) AS n FROM records WHERE {condition}")
}

fn from_row<J: StoredJson>(row: &sqlx::any::AnyRow) -> Result<RecordRow<J>, StoreError> {
    let json = |name: &'static str| -> Result<J, StoreError> {
        J::read(row.try_get::<String, _>(name)?, name)
    };
    Ok(RecordRow {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        pipeline_id: row.try_get("pipeline_id")?,
        run_id: row.try_get("run_id")?,
        trace_id: row.try_get("trace_id")?,
        run_status: row.try_get("run_status")?,
        status: row.try_get("status")?,
        metadata: json("metadata")?,
        output: json("output")?,
        pipeline_output: json("pipeline_output")?,
        trace: json("trace")?,
        usage: usage_columns(row)?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// One page of the records matching `filter`, oldest first, and how many match in all.
    pub async fn records(
        &self,
        filter: &RecordFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RecordRow>, i64), StoreError> {
        self.page_from(self.reader(), filter, limit, offset).await
    }

    /// As [`Store::records`], with the JSON columns read as `J` (a list page takes
    /// [`RawJson`]), through the pool for pages of records ([`Store::page_reader`]): call it
    /// only from the threads that serve pages, which open its connections.
    pub async fn record_page<J: StoredJson>(
        &self,
        filter: &RecordFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RecordRow<J>>, i64), StoreError> {
        self.page_from(self.page_reader(), filter, limit, offset)
            .await
    }

    /// A page read through `pool`. The page's ids come from the filter's index first; only
    /// their rows are read.
    async fn page_from<J: StoredJson>(
        &self,
        pool: &sqlx::AnyPool,
        filter: &RecordFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RecordRow<J>>, i64), StoreError> {
        let total: i64 = filter
            .query(count_sql, &[])
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let rows = filter
            .query(page_sql, &[limit.max(0), offset.max(0)])
            .fetch_all(pool)
            .await?;
        Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
    }

    /// Records matching `filter` with ids above `after_id`, in id order, at most `limit` (no
    /// total: for walking every record, as exports do).
    pub async fn records_after(
        &self,
        filter: &RecordFilter,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let rows = filter
            .query(
                |condition, n| {
                    format!(
                        "SELECT {COLUMNS} FROM records WHERE {condition} AND id > ${n} \
                         ORDER BY id LIMIT ${}",
                        n + 1
                    )
                },
                &[after_id, limit.max(0)],
            )
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Ids and run statuses of `job_id`'s records after `after_id`, in order, at most `limit`.
    pub async fn record_ids_after(
        &self,
        job_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, run_status FROM records WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(job_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("id")?,
                    r.try_get::<String, _>("run_status")?,
                ))
            })
            .collect()
    }

    /// The record `id`.
    pub async fn record(&self, id: i64) -> Result<RecordRow, StoreError> {
        record_in(self.reader(), id).await
    }
}

/// The record `id` as `executor` (a pool, or a transaction's connection) sees it.
pub(super) async fn record_in<'c, E>(executor: E, id: i64) -> Result<RecordRow, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = dynamic(format!("SELECT {COLUMNS} FROM records WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or(StoreError::NotFound { what: "record", id })?;
    from_row(&row)
}

/// Which records [`Store::delete_records`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordDeletion {
    /// The records of one job, and the job.
    Job(i64),
    /// The records of every job that is not running, and those jobs.
    AllFinished,
    /// Every record and every job, refused ([`DeletionOutcome::JobRunning`], nothing deleted)
    /// while a job runs.
    All,
}

/// What [`Store::delete_records`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletionOutcome {
    /// Records and jobs deleted.
    Deleted {
        /// Records deleted.
        records: u64,
        /// Jobs deleted.
        jobs: u64,
        /// Running jobs whose records were kept.
        running_jobs_kept: Vec<i64>,
    },
    /// The job (for [`RecordDeletion::All`]: a job) is running: nothing was deleted.
    JobRunning,
    /// [`RecordDeletion::All`] only: these jobs have ended, but runs of theirs are still leased
    /// (a runner stopping after a cancel stores what it finished, then hands the rest back):
    /// nothing was deleted.
    RunsFinishing(Vec<i64>),
}

/// Jobs whose records may go: not running, nor being planned. A job is deleted only once it has no records, so a
/// job that finished while the statements ran keeps its records and stays.
const FINISHED: &str = "status NOT IN ('running', 'planning')";

impl Store {
    /// Final states of the records matching `filter` with ids in `(after_id, up_to]`, in id
    /// order, at most `limit` (for a first pass over an export, without the traces).
    pub async fn record_outputs_after(
        &self,
        filter: &RecordFilter,
        after_id: i64,
        up_to: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Value)>, StoreError> {
        let rows = filter
            .query(
                |condition, n| {
                    format!(
                        "SELECT id, output FROM records WHERE {condition} AND id > ${n} \
                         AND id <= ${} ORDER BY id LIMIT ${}",
                        n + 1,
                        n + 2
                    )
                },
                &[after_id, up_to, limit.max(0)],
            )
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<i64, _>("id")?,
                    parse_json(&row.try_get::<String, _>("output")?, "output")?,
                ))
            })
            .collect()
    }

    /// The highest record id matching `filter` (0 when none).
    pub async fn last_record_id(&self, filter: &RecordFilter) -> Result<i64, StoreError> {
        let row = filter
            .query(
                |condition, _| {
                    format!("SELECT COALESCE(MAX(id), 0) AS last FROM records WHERE {condition}")
                },
                &[],
            )
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get("last")?)
    }

    /// Deletes records with their jobs (and the jobs' runs and `kv` entries), in one
    /// transaction, as DataGenFlow does: a job without its records would report records that no longer exist. Running
    /// jobs are never touched. Unknown job: `NotFound`.
    pub async fn delete_records(
        &self,
        which: RecordDeletion,
    ) -> Result<DeletionOutcome, StoreError> {
        let (job_scope, job_id) = match which {
            RecordDeletion::Job(id) => ("id = $1 AND ", id),
            RecordDeletion::AllFinished | RecordDeletion::All => ("$1 = $1 AND ", 0),
        };
        let mut tx = self.pool().begin().await?;
        if which == RecordDeletion::All
            && let Some(outcome) = busy_jobs(&mut tx).await?
        {
            tx.rollback().await?;
            return Ok(outcome);
        }
        // Writes first: on SQLite a transaction that reads first can fail to become a writer.
        let records = dynamic(format!(
            "DELETE FROM records WHERE job_id IN (SELECT id FROM jobs WHERE {job_scope}{FINISHED})"
        ))
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let deleted_jobs: Vec<i64> = dynamic(format!(
            "DELETE FROM jobs WHERE {job_scope}{FINISHED} \
             AND NOT EXISTS (SELECT 1 FROM records r WHERE r.job_id = jobs.id) RETURNING id"
        ))
        .bind(job_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        let jobs = deleted_jobs.len() as u64;
        let namespaces: Vec<KvNamespace> = deleted_jobs
            .iter()
            .map(|id| KvNamespace::Job(id.to_string()))
            .collect();
        super::kv::delete_namespaces(&mut tx, &namespaces).await?;
        let running: Vec<i64> = dynamic(format!(
            "SELECT id FROM jobs WHERE {job_scope}status = 'running' ORDER BY id"
        ))
        .bind(job_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        let missing = match which {
            RecordDeletion::Job(id) if jobs == 0 && running.is_empty() => {
                sqlx::query("SELECT id FROM jobs WHERE id = $1 AND status <> 'planning'")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_none()
            }
            _ => false,
        };
        if which == RecordDeletion::All && !running.is_empty() {
            // Nothing of the deletion stays while a job runs.
            tx.rollback().await?;
            return Ok(DeletionOutcome::JobRunning);
        }
        let committing = self.records_written.committing();
        tx.commit().await?;
        drop(committing);
        if missing {
            return Err(StoreError::NotFound {
                what: "job",
                id: job_id,
            });
        }
        if matches!(which, RecordDeletion::Job(_)) && !running.is_empty() {
            return Ok(DeletionOutcome::JobRunning);
        }
        Ok(DeletionOutcome::Deleted {
            records,
            jobs,
            running_jobs_kept: running,
        })
    }
}

/// Why every record cannot go now, if so: a job runs, or runs of an ended job are still leased
/// (their runner may yet store them). Each check is a write, so the rows stay locked (on SQLite,
/// the whole database) until the deletion commits: no job finishes and no run is stored
/// part-way through it.
async fn busy_jobs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
) -> Result<Option<DeletionOutcome>, StoreError> {
    let running =
        sqlx::query("UPDATE jobs SET status = status WHERE status = 'running' RETURNING id")
            .fetch_all(&mut **tx)
            .await?;
    if !running.is_empty() {
        return Ok(Some(DeletionOutcome::JobRunning));
    }
    let leased = sqlx::query(
        "UPDATE runs SET status = status WHERE status = 'leased' AND lease_expires_at > $1 RETURNING job_id",
    )
    .bind(super::now_ms())
    .fetch_all(&mut **tx)
    .await?;
    let mut jobs: Vec<i64> = leased
        .iter()
        .map(|row| row.try_get("job_id"))
        .collect::<Result<_, _>>()?;
    jobs.sort_unstable();
    jobs.dedup();
    Ok((!jobs.is_empty()).then_some(DeletionOutcome::RunsFinishing(jobs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan of `sql` under `filter` (with a page's limit and offset), one step a line.
    async fn plan(store: &Store, filter: &RecordFilter, sql: fn(&str, usize) -> String) -> String {
        let explained =
            |condition: &str, n: usize| format!("EXPLAIN QUERY PLAN {}", sql(condition, n));
        filter
            .query(explained, &[100, 0])
            .fetch_all(store.reader())
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String, _>("detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn every_filter_of_a_page_walks_an_index_in_id_order() {
        let path = std::env::temp_dir().join(format!("blockforge-plan-{}.db", std::process::id()));
        let store = Store::connect(&path.display().to_string()).await.unwrap();
        let status = || Some("pending".to_owned());
        let filters = [
            (
                "job",
                RecordFilter {
                    job_id: Some(1),
                    ..Default::default()
                },
            ),
            (
                "job and status",
                RecordFilter {
                    job_id: Some(1),
                    status: status(),
                    ..Default::default()
                },
            ),
            (
                "pipeline",
                RecordFilter {
                    pipeline_id: Some(1),
                    ..Default::default()
                },
            ),
            (
                "pipeline and status",
                RecordFilter {
                    pipeline_id: Some(1),
                    status: status(),
                    ..Default::default()
                },
            ),
            (
                "status",
                RecordFilter {
                    status: status(),
                    ..Default::default()
                },
            ),
        ];
        for (name, filter) in &filters {
            for sql in [page_sql as fn(&str, usize) -> String, count_sql] {
                let plan = plan(&store, filter, sql).await;
                assert!(
                    plan.contains("USING") && plan.contains("INDEX"),
                    "{name}: {plan}"
                );
                assert!(
                    !plan.contains("SCAN records"),
                    "{name} scans the table: {plan}"
                );
                assert!(!plan.contains("TEMP B-TREE"), "{name} sorts: {plan}");
            }
        }
        // No filter: the primary key, in order, for as many rows as the page needs.
        let plan = plan(&store, &RecordFilter::default(), page_sql).await;
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        store.close().await;
        let _ = std::fs::remove_file(&path);
    }
}
