//! Datasets, their versions and rows (`datasets`, `dataset_versions`, `dataset_rows`,
//! migration 0025).
//!
//! A version is written while it is not ready: [`Store::begin_version`] makes it (and its
//! dataset, for a new name), [`Store::add_dataset_rows`] appends rows in short transactions
//! (on SQLite the one writer is never held for a whole import), [`Store::finish_version`]
//! makes it visible with its counts in one statement, and [`Store::abandon_version`] removes
//! it (and a dataset it created) when the writer fails. Reads never see a version that is not
//! ready, so a failed import or operation leaves nothing behind that anyone can see; a version
//! left unfinished by a process that was killed is swept (`store/dataset_sweep.rs`).

use serde::Serialize;
use sqlx::Row as _;

use super::slots::Slots;
use super::{Backend, Store, StoreError, dynamic, now_ms, parse_json};
use crate::datasets::Row;
use crate::datasets::lineage::Lineage;
use crate::datasets::schema::SchemaSummary;

/// A dataset with its newest ready version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DatasetRow {
    /// Its id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// Its newest ready version's number.
    pub latest_version: i64,
    /// Rows of that version.
    pub row_count: i64,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// When its newest version was made, Unix ms.
    pub updated_at: i64,
}

/// One ready version of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionRow {
    /// Its id.
    pub id: i64,
    /// The dataset's name.
    pub dataset: String,
    /// Its number in the dataset, from 1.
    pub number: i64,
    /// The number of the version it was made from, in the same dataset.
    pub parent: Option<i64>,
    /// What made it.
    pub lineage: Lineage,
    /// How many rows it holds.
    pub row_count: i64,
    /// Its fields and their types.
    pub schema: SchemaSummary,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// A version being written: not visible until [`Store::finish_version`].
#[derive(Debug)]
pub struct PendingVersion {
    /// The version's id.
    pub id: i64,
    /// Its number.
    pub number: i64,
    /// The dataset's id.
    pub dataset_id: i64,
    /// The dataset's name.
    pub dataset: String,
    /// Whether the dataset was made for it (and goes with it when it is abandoned).
    created_dataset: bool,
    /// Rows written so far (the next row's position).
    written: i64,
}

impl PendingVersion {
    /// Rows written so far.
    pub fn rows_written(&self) -> i64 {
        self.written
    }
}

/// One row of a version with its position (from 0).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PositionedRow {
    /// Its position in the version, from 0.
    pub position: i64,
    /// The row.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub row: Row,
}

/// A version's rows, a page at a time, in order. Reading to the end checks that every row of
/// the version was read: a version deleted while it is read ends in
/// [`StoreError::Incomplete`], never in a short read that looks complete.
pub struct RowPages<'a> {
    store: &'a Store,
    version: i64,
    after: i64,
    read: i64,
    expected: i64,
}

impl<'a> RowPages<'a> {
    /// Rows read per page.
    pub const PAGE: i64 = 1000;

    /// The rows of `version`, from the start.
    pub fn new(store: &'a Store, version: &VersionRow) -> Self {
        RowPages {
            store,
            version: version.id,
            after: -1,
            read: 0,
            expected: version.row_count,
        }
    }

    /// The next page; `None` at the end, once every row of the version was read.
    pub async fn next(&mut self) -> Result<Option<Vec<PositionedRow>>, StoreError> {
        let page = self
            .store
            .dataset_rows(self.version, self.after, Self::PAGE)
            .await?;
        match page.last() {
            Some(last) => {
                self.after = last.position;
                self.read += page.len() as i64;
                Ok(Some(page))
            }
            None => {
                complete("dataset version", self.version, self.expected, self.read)?;
                Ok(None)
            }
        }
    }
}

pub(super) const VERSION_COLUMNS: &str = "v.id, d.name, v.number, p.number AS parent_number, v.lineage, v.row_count, v.schema_summary, v.created_at";
pub(super) const VERSION_FROM: &str = "dataset_versions v JOIN datasets d ON d.id = v.dataset_id LEFT JOIN dataset_versions p ON p.id = v.parent_id";

/// Rows per INSERT statement: three parameters each, far below SQLite's limit.
const ROWS_PER_STATEMENT: usize = 300;

pub(super) fn version_from_row(row: &sqlx::any::AnyRow) -> Result<VersionRow, StoreError> {
    Ok(VersionRow {
        id: row.try_get("id")?,
        dataset: row.try_get("name")?,
        number: row.try_get("number")?,
        parent: row.try_get("parent_number")?,
        lineage: parse_json(&row.try_get::<String, _>("lineage")?, "dataset lineage")?,
        row_count: row.try_get("row_count")?,
        schema: parse_json(
            &row.try_get::<String, _>("schema_summary")?,
            "dataset schema",
        )?,
        created_at: row.try_get("created_at")?,
    })
}

/// `Ok` when `found` rows are the `expected` ones of `what` `id`, else
/// [`StoreError::Incomplete`].
pub fn complete(what: &'static str, id: i64, expected: i64, found: i64) -> Result<(), StoreError> {
    if found == expected {
        Ok(())
    } else {
        Err(StoreError::Incomplete {
            what,
            id,
            expected,
            found,
        })
    }
}

fn missing(name: &str) -> StoreError {
    StoreError::Missing {
        what: "dataset",
        name: name.to_owned(),
    }
}

/// How [`Store::version_row_by_id`] reads a version.
#[derive(Debug, Clone, Copy)]
pub(super) enum VersionRead {
    /// A finished (ready) version, through the readers.
    Ready,
    /// Any version, through the writer: one it made visible a moment ago.
    JustWritten,
}

impl Store {
    /// Starts a new version of the dataset `name` (made when there is none by that name),
    /// made from the version `parent` (its id) with `lineage`. Invisible until finished.
    /// Unfinished versions of `name` that a killed process left are swept first; on
    /// PostgreSQL the dataset's row is locked while the version is numbered, so versions begun
    /// at once get consecutive numbers.
    pub async fn begin_version(
        &self,
        name: &str,
        parent: Option<i64>,
        lineage: &Lineage,
    ) -> Result<PendingVersion, StoreError> {
        let now = now_ms();
        let lineage = serde_json::to_string(lineage).map_err(|source| StoreError::Corrupt {
            what: "dataset lineage",
            source,
        })?;
        self.sweep_unfinished_versions(Some(name)).await?;
        let mut tx = self.pool().begin().await?;
        // Writes first: on SQLite a transaction that reads first can fail to become a writer.
        let created = sqlx::query(
            "INSERT INTO datasets (name, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let (dataset_id, created_dataset) = match created {
            Some(row) => (row.try_get::<i64, _>("id")?, true),
            None => {
                // SQLite's one writer already serialises this transaction; PostgreSQL's
                // transactions numbering versions of one dataset take turns on its row.
                let lock = match self.backend() {
                    Backend::Postgres => " FOR UPDATE",
                    Backend::Sqlite => "",
                };
                let id = dynamic(format!("SELECT id FROM datasets WHERE name = $1{lock}"))
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                (id, false)
            }
        };
        let row = sqlx::query(
            "INSERT INTO dataset_versions (dataset_id, number, parent_id, lineage, ready, created_at, writer, touched_at)
             VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM dataset_versions WHERE dataset_id = $1), $2, $3, 0, $4, $5, $4)
             RETURNING id, number",
        )
        .bind(dataset_id)
        .bind(parent)
        .bind(lineage)
        .bind(now)
        .bind(crate::process_owner::this_process())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PendingVersion {
            id: row.try_get("id")?,
            number: row.try_get("number")?,
            dataset_id,
            dataset: name.to_owned(),
            created_dataset,
            written: 0,
        })
    }

    /// Appends `rows` to a version being written, in one transaction.
    pub async fn add_dataset_rows(
        &self,
        version: &mut PendingVersion,
        rows: &[Row],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut slots = Slots::new(self.backend());
            let mut sql =
                String::from("INSERT INTO dataset_rows (version_id, position, data) VALUES ");
            slots.push_rows(&mut sql, chunk.len(), |slots, sql| slots.push_list(sql, 3));
            let mut query = dynamic(sql);
            for (i, row) in chunk.iter().enumerate() {
                query = query
                    .bind(version.id)
                    .bind(version.written + i as i64)
                    .bind(crate::json::object_text(row));
            }
            query.execute(&mut *tx).await?;
            version.written += chunk.len() as i64;
        }
        // Its writer is alive: the sweeper leaves a version written to lately alone.
        sqlx::query("UPDATE dataset_versions SET touched_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(version.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends every row of the ready version `from` to a version being written, in the
    /// database (an edit copies its parent's rows this way, then replaces one). Fewer rows
    /// than `from` has (it was deleted meanwhile) is [`StoreError::Incomplete`].
    pub async fn copy_dataset_rows(
        &self,
        version: &mut PendingVersion,
        from: &VersionRow,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO dataset_rows (version_id, position, data)
             SELECT $1, position + $2, data FROM dataset_rows WHERE version_id = $3",
        )
        .bind(version.id)
        .bind(version.written)
        .bind(from.id)
        .execute(self.pool())
        .await?;
        let copied = done.rows_affected() as i64;
        version.written += copied;
        complete("dataset version", from.id, from.row_count, copied)
    }

    /// Replaces the row at `position` of a version being written.
    pub async fn replace_dataset_row(
        &self,
        version: &PendingVersion,
        position: i64,
        row: &Row,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE dataset_rows SET data = $1 WHERE version_id = $2 AND position = $3",
        )
        .bind(crate::json::object_text(row))
        .bind(version.id)
        .bind(position)
        .execute(self.pool())
        .await?;
        super::found(&done, "dataset row", position)
    }

    /// Makes a version visible with its row count and `schema` (and `lineage` in place of the
    /// one it began with, when given), and returns it. A version swept meanwhile (its writer
    /// looked dead) is not made again: [`StoreError::NotFound`].
    pub async fn finish_version(
        &self,
        version: PendingVersion,
        schema: &SchemaSummary,
        lineage: Option<&Lineage>,
    ) -> Result<VersionRow, StoreError> {
        let schema = serde_json::to_string(schema).map_err(|source| StoreError::Corrupt {
            what: "dataset schema",
            source,
        })?;
        let lineage = lineage
            .map(serde_json::to_string)
            .transpose()
            .map_err(|source| StoreError::Corrupt {
                what: "dataset lineage",
                source,
            })?;
        let mut tx = self.pool().begin().await?;
        if let Some(lineage) = lineage {
            sqlx::query("UPDATE dataset_versions SET lineage = $1 WHERE id = $2 AND ready = 0")
                .bind(lineage)
                .bind(version.id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query(
            "UPDATE dataset_versions SET ready = 1, row_count = $1, schema_summary = $2, writer = NULL WHERE id = $3 AND ready = 0",
        )
        .bind(version.written)
        .bind(schema)
        .bind(version.id)
        .execute(&mut *tx)
        .await?;
        super::found(&done, "dataset version", version.id)?;
        sqlx::query("UPDATE datasets SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(version.dataset_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.version_row_by_id(version.id, VersionRead::JustWritten)
            .await
    }

    /// Removes a version that could not be finished, with its rows, and its dataset when the
    /// version made it.
    pub async fn abandon_version(&self, version: PendingVersion) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM dataset_rows WHERE version_id = $1")
            .bind(version.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM dataset_versions WHERE id = $1")
            .bind(version.id)
            .execute(&mut *tx)
            .await?;
        if version.created_dataset {
            sqlx::query(
                "DELETE FROM datasets WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM dataset_versions WHERE dataset_id = $1)",
            )
            .bind(version.dataset_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every dataset with a ready version, by name.
    pub async fn datasets(&self) -> Result<Vec<DatasetRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.name, d.created_at, d.updated_at, v.number, v.row_count
             FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id
             WHERE v.number = (SELECT MAX(number) FROM dataset_versions WHERE dataset_id = d.id AND ready = 1)
             ORDER BY d.name",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DatasetRow {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    latest_version: row.try_get("number")?,
                    row_count: row.try_get("row_count")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// The ready versions of the dataset `name`, oldest first.
    pub async fn dataset_versions(&self, name: &str) -> Result<Vec<VersionRow>, StoreError> {
        let rows = dynamic(format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE d.name = $1 AND v.ready = 1 ORDER BY v.number"
        ))
        .bind(name)
        .fetch_all(self.reader())
        .await?;
        if rows.is_empty() {
            return Err(missing(name));
        }
        let mut versions = rows
            .iter()
            .map(version_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.resolve_inputs(&mut versions).await?;
        Ok(versions)
    }

    /// Version `number` of the dataset `name`, or its newest ready version when `None`.
    pub async fn dataset_version(
        &self,
        name: &str,
        number: Option<i64>,
    ) -> Result<VersionRow, StoreError> {
        let row = dynamic(format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE d.name = $1 AND v.ready = 1 AND ($2 < 0 OR v.number = $2) ORDER BY v.number DESC LIMIT 1"
        ))
        .bind(name)
        .bind(number.unwrap_or(-1))
        .fetch_optional(self.reader())
        .await?;
        match row {
            Some(row) => self.resolved_version(&row).await,
            None => Err(match number {
                Some(number) => StoreError::Missing {
                    what: "dataset version",
                    name: format!("{name} v{number}"),
                },
                None => missing(name),
            }),
        }
    }

    /// The version `id` as `read` says, with its lineage resolved.
    pub(super) async fn version_row_by_id(
        &self,
        id: i64,
        read: VersionRead,
    ) -> Result<VersionRow, StoreError> {
        let (ready, pool) = match read {
            VersionRead::Ready => (" AND v.ready = 1", self.reader()),
            VersionRead::JustWritten => ("", self.pool()),
        };
        let row = dynamic(format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE v.id = $1{ready}"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "dataset version",
            id,
        })?;
        self.resolved_version(&row).await
    }

    /// Up to `limit` rows of the version `version_id` after position `after` (-1: from the
    /// start), in order.
    pub async fn dataset_rows(
        &self,
        version_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<PositionedRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, data FROM dataset_rows WHERE version_id = $1 AND position > $2 ORDER BY position LIMIT $3",
        )
        .bind(version_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PositionedRow {
                    position: row.try_get("position")?,
                    row: parse_json(&row.try_get::<String, _>("data")?, "dataset row")?,
                })
            })
            .collect()
    }

    /// Deletes the dataset `name` with every version and row.
    pub async fn delete_dataset(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let id: Option<i64> = sqlx::query("DELETE FROM datasets WHERE name = $1 RETURNING id")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("id"))
            .transpose()?;
        let id = id.ok_or_else(|| missing(name))?;
        // Rows and versions go explicitly: they are most of the data, and SQLite's cascade
        // needs foreign keys on for every connection.
        sqlx::query(
            "DELETE FROM dataset_rows WHERE version_id IN (SELECT id FROM dataset_versions WHERE dataset_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM dataset_versions WHERE dataset_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
