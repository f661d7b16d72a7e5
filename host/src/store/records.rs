//! Records: listing with real pagination and totals.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError, dynamic, parse_json, usage_columns};
use crate::engine::Usage;

/// A stored record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecordRow {
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
    pub run_status: String,
    /// Review status: `pending`, `accepted`, `rejected` or `edited`.
    pub status: String,
    /// The seed's metadata.
    pub metadata: Value,
    /// The final state.
    pub output: Value,
    /// The run's `pipeline_output`.
    pub pipeline_output: Value,
    /// The trace.
    pub trace: Value,
    /// Token usage of the run.
    pub usage: Usage,
    /// The failure, for a failed run.
    pub error: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// A record's review status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Review status.
    pub status: Option<String>,
    /// Job.
    pub job_id: Option<i64>,
    /// Pipeline.
    pub pipeline_id: Option<i64>,
}

const COLUMNS: &str = "id, job_id, pipeline_id, run_id, trace_id, run_status, status, metadata, output, pipeline_output, trace, input_tokens, output_tokens, cached_tokens, cost_picodollars, unpriced_calls, cache_hits, error, created_at, updated_at";
const WHERE: &str =
    "($1 = '' OR status = $1) AND ($2 < 0 OR job_id = $2) AND ($3 < 0 OR pipeline_id = $3)";

fn from_row(row: &sqlx::any::AnyRow) -> Result<RecordRow, StoreError> {
    let json = |name: &'static str| -> Result<Value, StoreError> {
        parse_json(&row.try_get::<String, _>(name)?, name)
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
        let status = filter.status.clone().unwrap_or_default();
        let job = filter.job_id.unwrap_or(-1);
        let pipeline = filter.pipeline_id.unwrap_or(-1);
        let total: i64 = dynamic(format!("SELECT COUNT(*) AS n FROM records WHERE {WHERE}"))
            .bind(status.clone())
            .bind(job)
            .bind(pipeline)
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        let rows = dynamic(format!(
            "SELECT {COLUMNS} FROM records WHERE {WHERE} ORDER BY id LIMIT $4 OFFSET $5"
        ))
        .bind(status)
        .bind(job)
        .bind(pipeline)
        .bind(limit.max(0))
        .bind(offset.max(0))
        .fetch_all(self.reader())
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
        let rows = dynamic(format!(
            "SELECT {COLUMNS} FROM records WHERE {WHERE} AND id > $4 ORDER BY id LIMIT $5"
        ))
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.job_id.unwrap_or(-1))
        .bind(filter.pipeline_id.unwrap_or(-1))
        .bind(after_id)
        .bind(limit.max(0))
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

    /// Reviews a record: sets its status and/or replaces its output (the final state) or
    /// metadata. Replacing the output without a status marks it `edited`.
    pub async fn update_record(
        &self,
        id: i64,
        status: Option<ReviewStatus>,
        output: Option<&Value>,
        metadata: Option<&Value>,
    ) -> Result<RecordRow, StoreError> {
        let current = self.record(id).await?;
        let status = status
            .map(ReviewStatus::as_str)
            .unwrap_or(if output.is_some() {
                "edited"
            } else {
                current.status.as_str()
            });
        let output = output.unwrap_or(&current.output).to_string();
        let metadata = metadata.unwrap_or(&current.metadata).to_string();
        sqlx::query("UPDATE records SET status = $1, output = $2, metadata = $3, updated_at = $4 WHERE id = $5")
            .bind(status.to_owned())
            .bind(output)
            .bind(metadata)
            .bind(super::now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        self.record(id).await
    }

    /// The record `id`.
    pub async fn record(&self, id: i64) -> Result<RecordRow, StoreError> {
        let row = dynamic(format!("SELECT {COLUMNS} FROM records WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound { what: "record", id })?;
        from_row(&row)
    }
}

/// Which records [`Store::delete_records`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordDeletion {
    /// The records of one job, and the job.
    Job(i64),
    /// The records of every job that is not running, and those jobs.
    AllFinished,
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
    /// The job is running: nothing was deleted.
    JobRunning,
}

/// Jobs whose records may go: not running. A job is deleted only once it has no records, so a
/// job that finished while the statements ran keeps its records and stays.
const FINISHED: &str = "status <> 'running'";

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
        let rows = dynamic(format!(
            "SELECT id, output FROM records WHERE {WHERE} AND id > $4 AND id <= $5 ORDER BY id LIMIT $6"
        ))
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.job_id.unwrap_or(-1))
        .bind(filter.pipeline_id.unwrap_or(-1))
        .bind(after_id)
        .bind(up_to)
        .bind(limit.max(0))
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
        let row = dynamic(format!(
            "SELECT COALESCE(MAX(id), 0) AS last FROM records WHERE {WHERE}"
        ))
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.job_id.unwrap_or(-1))
        .bind(filter.pipeline_id.unwrap_or(-1))
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get("last")?)
    }

    /// Deletes records with their jobs (and the jobs' runs), in one transaction, as DataGenFlow
    /// does: a job without its records would report records that no longer exist. Running
    /// jobs are never touched. Unknown job: `NotFound`.
    pub async fn delete_records(
        &self,
        which: RecordDeletion,
    ) -> Result<DeletionOutcome, StoreError> {
        let (job_scope, job_id) = match which {
            RecordDeletion::Job(id) => ("id = $1 AND ", id),
            RecordDeletion::AllFinished => ("$1 = $1 AND ", 0),
        };
        let mut tx = self.pool().begin().await?;
        // Writes first: on SQLite a transaction that reads first can fail to become a writer.
        let records = dynamic(format!(
            "DELETE FROM records WHERE job_id IN (SELECT id FROM jobs WHERE {job_scope}{FINISHED})"
        ))
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let jobs = dynamic(format!(
            "DELETE FROM jobs WHERE {job_scope}{FINISHED} \
             AND NOT EXISTS (SELECT 1 FROM records r WHERE r.job_id = jobs.id)"
        ))
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
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
                sqlx::query("SELECT id FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_none()
            }
            _ => false,
        };
        tx.commit().await?;
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
