//! [`VersionWriter`]: rows pushed one at a time into a new dataset version, written in batches
//! and made visible only by [`VersionWriter::finish`]; and [`Store::import_file`], which feeds
//! one from a file read on a blocking thread.

use std::ops::ControlFlow;

use super::datasets::{PendingVersion, VersionRow, complete};
use super::{Store, StoreError};
use crate::datasets::Row;
use crate::datasets::import::{FileFormat, ImportError, ReadOptions, read_file};
use crate::datasets::lineage::Lineage;
use crate::datasets::schema::SchemaSummary;

/// Rows written per transaction.
const BATCH_ROWS: usize = 500;

/// Bytes of row text held before a batch is written, whatever its row count.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Why a new version could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A row of the input did not parse.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The reading thread ended abnormally.
    #[error("the reader ended abnormally: {0}")]
    Reader(String),
}

/// A version being written.
pub struct VersionWriter {
    store: Store,
    pending: PendingVersion,
    schema: SchemaSummary,
    batch: Vec<Row>,
    batch_bytes: usize,
    /// Rows the version must have when it is finished, when known beforehand.
    expected: Option<i64>,
    /// The lineage written when the version is finished, in place of the one it began with.
    lineage: Option<Lineage>,
}

impl VersionWriter {
    /// Starts a new version of `name` made from the version `parent` (its id).
    pub async fn start(
        store: &Store,
        name: &str,
        parent: Option<i64>,
        lineage: &Lineage,
    ) -> Result<Self, StoreError> {
        Ok(VersionWriter {
            store: store.clone(),
            pending: store.begin_version(name, parent, lineage).await?,
            schema: SchemaSummary::default(),
            batch: Vec::new(),
            batch_bytes: 0,
            expected: None,
            lineage: None,
        })
    }

    /// Says how many rows the version must have: [`VersionWriter::finish`] fails (and
    /// abandons it) with any other count.
    pub fn expect_rows(&mut self, rows: i64) {
        self.expected = Some(rows);
    }

    /// Replaces the lineage the version began with when it is finished (for what is known
    /// only once its rows are written, such as how many rows a merge left out).
    pub fn replace_lineage(&mut self, lineage: Lineage) {
        self.lineage = Some(lineage);
    }

    /// Adds one row (written with the next batch).
    pub async fn push(&mut self, row: Row) -> Result<(), StoreError> {
        self.schema.add(&row);
        // A row's size, roughly: its fields' names and values as text would be.
        self.batch_bytes += row
            .iter()
            .map(|(k, v)| k.len() + approximate_size(v))
            .sum::<usize>();
        self.batch.push(row);
        if self.batch.len() >= BATCH_ROWS || self.batch_bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        self.store
            .add_dataset_rows(&mut self.pending, &self.batch)
            .await?;
        self.batch.clear();
        self.batch_bytes = 0;
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> i64 {
        self.pending.rows_written() + self.batch.len() as i64
    }

    /// Writes what is left and makes the version visible, if it has the rows it should.
    pub async fn finish(mut self) -> Result<VersionRow, StoreError> {
        let checked = match self.expected {
            Some(expected) => complete(
                "new dataset version",
                self.pending.id,
                expected,
                self.rows(),
            ),
            None => Ok(()),
        };
        let flushed = match checked {
            Ok(()) => self.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = flushed {
            self.abandon().await;
            return Err(e);
        }
        self.store
            .finish_version(self.pending, &self.schema, self.lineage.as_ref())
            .await
    }

    /// Removes what was written (a failure to remove is logged: the version stays invisible).
    pub async fn abandon(self) {
        if let Err(e) = self.store.abandon_version(self.pending).await {
            tracing::warn!(error = %e, "could not remove an unfinished dataset version");
        }
    }

    /// Finishes the version when `outcome` is `Ok`, else abandons it and returns the error.
    pub async fn conclude<E: From<StoreError>>(
        self,
        outcome: Result<(), E>,
    ) -> Result<VersionRow, E> {
        match outcome {
            Ok(()) => Ok(self.finish().await?),
            Err(e) => {
                self.abandon().await;
                Err(e)
            }
        }
    }
}

/// Roughly how many bytes `value` takes as JSON text.
fn approximate_size(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 12,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => items.iter().map(approximate_size).sum::<usize>() + 2,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.len() + 3 + approximate_size(v))
            .sum::<usize>(),
    }
}

impl Store {
    /// Reads `file` as `format` (with `options`) into a new version of the dataset `name` (after its newest
    /// version, if it has one). The file is read on a blocking thread and its rows reach the
    /// database in batches; on any error nothing of the new version stays.
    pub async fn import_file(
        &self,
        name: &str,
        format: FileFormat,
        options: ReadOptions,
        file: std::fs::File,
        lineage: &Lineage,
    ) -> Result<VersionRow, WriteError> {
        let parent = match self.dataset_version(name, None).await {
            Ok(version) => Some(version.id),
            Err(StoreError::Missing { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut writer = VersionWriter::start(self, name, parent, lineage).await?;
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<Row>>(4);
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            let read = read_file(format, options, file, |row| {
                batch.push(row);
                if batch.len() >= BATCH_ROWS
                    && sender.blocking_send(std::mem::take(&mut batch)).is_err()
                {
                    // The writer failed and went away: stop reading.
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
            if read.is_ok() && !batch.is_empty() {
                let _ = sender.blocking_send(batch);
            }
            read
        });
        let written = async {
            while let Some(batch) = batches.recv().await {
                for row in batch {
                    writer.push(row).await?;
                }
            }
            Ok::<_, WriteError>(())
        }
        .await;
        drop(batches);
        let read = reader
            .await
            .map_err(|e| WriteError::Reader(e.to_string()))
            .and_then(|read| read.map(|_| ()).map_err(WriteError::from));
        writer.conclude(read.and(written)).await
    }
}
