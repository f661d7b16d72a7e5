//! Operations that read ready versions and write new ones: convert between chat formats,
//! merge (optionally without exact or near duplicates), sample (random or stratified) and split.
//! Each reads its inputs a page at a time and writes through a [`VersionWriter`], so nothing
//! of a version that fails is ever visible; each records its inputs and parameters as the
//! new version's lineage.

use std::collections::BTreeMap;

use chat_formats::Format;
use serde_json::{Value, json};

use super::dataset_writer::VersionWriter;
use super::datasets::{RowPages, VersionRow};
use super::{Store, StoreError};
use crate::datasets::dedup::{Dedup, SeenRows};
use crate::datasets::lineage::{Lineage, VersionRef};
use crate::datasets::near_duplicates::NearDuplicates;
use crate::datasets::sampling::{
    MAX_SPLITS, sample_positions, split_assignment, stratified_positions,
};

/// Why an operation made no version.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The database failed, or an input does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A row could not be converted.
    #[error("row {position}: {message}")]
    Row {
        /// The row's position in its version, from 0.
        position: i64,
        /// Why.
        message: String,
        /// Where in the row (a JSON pointer), when known.
        pointer: String,
    },
    /// The parameters are not usable.
    #[error("{0}")]
    Invalid(String),
}

/// Rows a merge left out, by the check that left them out.
#[derive(Debug, Default, serde::Serialize)]
struct Dropped {
    /// Equal to a row already taken.
    exact: u64,
    /// A near-duplicate of a row already taken.
    near: u64,
}

fn reference(version: &VersionRow) -> VersionRef {
    VersionRef::new(&version.dataset, version.number, version.id)
}

/// The newest version of `name`'s id, if the dataset exists.
async fn newest(store: &Store, name: &str) -> Result<Option<i64>, StoreError> {
    match store.dataset_version(name, None).await {
        Ok(version) => Ok(Some(version.id)),
        Err(StoreError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A chat-format conversion: `from` (or detected from the first row when `None`) to `to`.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The rows' format; `None`: detected from the first row.
    pub from: Option<Format>,
    /// The format written.
    pub to: Format,
}

impl Store {
    /// Converts every row of `source` between chat formats (the fields the source format
    /// reads are replaced by those the target writes; other fields stay), as a new version of
    /// the same dataset. The first row that cannot be converted stops it, named by position.
    pub async fn convert_version(
        &self,
        source: &VersionRow,
        conversion: &Conversion,
    ) -> Result<VersionRow, OperationError> {
        let mut pages = RowPages::new(self, source);
        let first = pages.next().await?.unwrap_or_default();
        let from = match conversion.from {
            Some(format) => format,
            None => first
                .first()
                .and_then(|row| chat_formats::detect_row(&row.row).format)
                .ok_or_else(|| {
                    OperationError::Invalid(
                        "the first row is in no known chat or instruction format: say from="
                            .to_owned(),
                    )
                })?,
        };
        let lineage = Lineage::Operation {
            operation: "convert".to_owned(),
            inputs: vec![reference(source)],
            params: json!({"from": from, "to": conversion.to}),
        };
        let mut writer =
            VersionWriter::start(self, &source.dataset, Some(source.id), &lineage).await?;
        let written = async {
            let mut page = Some(first);
            while let Some(rows) = page {
                for stored in rows {
                    let row = chat_formats::replace_in_row(from, conversion.to, &stored.row)
                        .map_err(|e| OperationError::Row {
                            position: stored.position,
                            message: e.to_string(),
                            pointer: e.pointer.clone(),
                        })?;
                    writer.push(row).await?;
                }
                page = pages.next().await?;
            }
            Ok(())
        }
        .await;
        writer.conclude(written).await
    }

    /// Appends the rows of `inputs` in order into a new version of `into`, leaving out the
    /// duplicates `dedup` names (the first of equal or near-equal rows is kept). The lineage's
    /// `params` record `dedup` (and the near-duplicate options) and how many rows each check
    /// left out: `dropped: {exact, near}`.
    pub async fn merge_versions(
        &self,
        inputs: &[VersionRow],
        into: &str,
        dedup: &Dedup,
    ) -> Result<VersionRow, OperationError> {
        if inputs.is_empty() {
            return Err(OperationError::Invalid(
                "a merge needs at least one input".to_owned(),
            ));
        }
        let mut near = match dedup {
            Dedup::Near(options) => {
                options.check().map_err(OperationError::Invalid)?;
                Some(NearDuplicates::new(options.clone()))
            }
            Dedup::None | Dedup::Exact => None,
        };
        let mut params = json!({"dedup": dedup.name()});
        if let Dedup::Near(options) = dedup {
            params["near"] = json!(options);
        }
        let lineage = |params: Value| Lineage::Operation {
            operation: "merge".to_owned(),
            inputs: inputs.iter().map(reference).collect(),
            params,
        };
        let parent = newest(self, into).await?;
        let mut writer = VersionWriter::start(self, into, parent, &lineage(params.clone())).await?;
        let mut dropped = Dropped::default();
        let written = async {
            let mut seen = SeenRows::default();
            for input in inputs {
                let mut pages = RowPages::new(self, input);
                while let Some(page) = pages.next().await? {
                    for stored in page {
                        if *dedup != Dedup::None && !seen.first_time(&stored.row) {
                            dropped.exact += 1;
                        } else if let Some(near) = near.as_mut()
                            && !near.first_time(&stored.row)
                        {
                            dropped.near += 1;
                        } else {
                            writer.push(stored.row).await?;
                        }
                    }
                }
            }
            Ok::<_, OperationError>(())
        }
        .await;
        match dedup {
            Dedup::None => {}
            Dedup::Exact => params["dropped"] = json!({"exact": dropped.exact}),
            Dedup::Near(_) => params["dropped"] = json!(dropped),
        }
        writer.replace_lineage(lineage(params));
        writer.conclude(written).await
    }

    /// Writes the rows of `source` at `positions` (ascending) into a new version of `into`.
    async fn write_positions(
        &self,
        source: &VersionRow,
        positions: &[u64],
        into: &str,
        lineage: &Lineage,
    ) -> Result<VersionRow, OperationError> {
        let parent = if into == source.dataset {
            Some(source.id)
        } else {
            newest(self, into).await?
        };
        let mut writer = VersionWriter::start(self, into, parent, lineage).await?;
        writer.expect_rows(positions.len() as i64);
        let written = async {
            let mut wanted = positions.iter().peekable();
            let mut pages = RowPages::new(self, source);
            while wanted.peek().is_some() {
                let Some(page) = pages.next().await? else {
                    break;
                };
                for stored in page {
                    if wanted.peek().is_some_and(|p| **p as i64 == stored.position) {
                        wanted.next();
                        writer.push(stored.row).await?;
                    }
                }
            }
            Ok::<_, OperationError>(())
        }
        .await;
        writer.conclude(written).await
    }

    /// A sample of `n` rows of `source` drawn with `seed` (in proportion to the values of
    /// the field `stratify_by`, when given), in their original order, as a new version of
    /// `into`.
    pub async fn sample_version(
        &self,
        source: &VersionRow,
        n: u64,
        seed: u64,
        stratify_by: Option<&str>,
        into: &str,
    ) -> Result<VersionRow, OperationError> {
        let row_count = source.row_count.max(0) as u64;
        let positions = match stratify_by {
            None => sample_positions(row_count, n, seed),
            Some(field) => {
                // One pass for each row's stratum: positions only, not rows.
                let mut strata: BTreeMap<String, Vec<u64>> = BTreeMap::new();
                let mut pages = RowPages::new(self, source);
                while let Some(page) = pages.next().await? {
                    for stored in page {
                        let key = match stored.row.get(field) {
                            None | Some(Value::Null) => "null".to_owned(),
                            Some(value) => value.to_string(),
                        };
                        strata.entry(key).or_default().push(stored.position as u64);
                    }
                }
                stratified_positions(&strata, n, seed)
            }
        };
        let lineage = Lineage::Operation {
            operation: "sample".to_owned(),
            inputs: vec![reference(source)],
            params: json!({"n": n, "seed": seed, "stratify_by": stratify_by}),
        };
        self.write_positions(source, &positions, into, &lineage)
            .await
    }

    /// Splits `source` by `fractions` (`[(split name, fraction)]`) after a shuffle with
    /// `seed`, each split a new version of the dataset `<base>.<split name>`.
    pub async fn split_version(
        &self,
        source: &VersionRow,
        fractions: &[(String, f64)],
        seed: u64,
        base: &str,
    ) -> Result<Vec<VersionRow>, OperationError> {
        if fractions.is_empty() || fractions.iter().any(|(_, f)| !(f.is_finite() && *f >= 0.0)) {
            return Err(OperationError::Invalid(
                "split fractions are numbers of at least 0, one per split".to_owned(),
            ));
        }
        if fractions.len() > MAX_SPLITS {
            return Err(OperationError::Invalid(format!(
                "a dataset is split in at most {MAX_SPLITS} splits, not {}",
                fractions.len()
            )));
        }
        if fractions.iter().map(|(_, f)| f).sum::<f64>() <= 0.0 {
            return Err(OperationError::Invalid(
                "split fractions add up to more than 0".to_owned(),
            ));
        }
        let assignment = split_assignment(
            source.row_count.max(0) as u64,
            &fractions.iter().map(|(_, f)| *f).collect::<Vec<_>>(),
            seed,
        );
        let params = json!({
            "seed": seed,
            "fractions": fractions.iter().map(|(name, f)| (name.clone(), json!(f))).collect::<serde_json::Map<_, _>>(),
        });
        // Every split is written in one pass, and made visible only when all were written.
        let mut writers = Vec::with_capacity(fractions.len());
        for (split, _) in fractions {
            let mut params = params.clone();
            params["split"] = json!(split);
            let lineage = Lineage::Operation {
                operation: "split".to_owned(),
                inputs: vec![reference(source)],
                params,
            };
            let into = format!("{base}.{split}");
            let parent = newest(self, &into).await?;
            match VersionWriter::start(self, &into, parent, &lineage).await {
                Ok(writer) => writers.push(writer),
                Err(e) => {
                    for writer in writers {
                        writer.abandon().await;
                    }
                    return Err(e.into());
                }
            }
        }
        let written = async {
            let mut pages = RowPages::new(self, source);
            while let Some(page) = pages.next().await? {
                for stored in page {
                    let split = assignment
                        .get(stored.position as usize)
                        .map_or(0, |s| *s as usize);
                    writers[split].push(stored.row).await?;
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = written {
            for writer in writers {
                writer.abandon().await;
            }
            return Err(e.into());
        }
        let mut made = Vec::with_capacity(writers.len());
        for writer in writers {
            made.push(writer.finish().await?);
        }
        Ok(made)
    }
}
