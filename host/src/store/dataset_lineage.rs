//! Lineages read back readable: an operation's inputs are held by version id (a dataset's name
//! can be deleted and taken again by another dataset), and their names and numbers are read
//! from those ids whenever a version is read. An input deleted since keeps the name and number
//! it had, marked `deleted`.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row as _;

use super::datasets::{VersionRead, VersionRow, version_from_row};
use super::slots::Slots;
use super::{Store, StoreError, dynamic};
use crate::datasets::lineage::Lineage;

/// Ids looked up per statement.
const IDS_PER_STATEMENT: usize = 500;

impl Store {
    /// Gives the inputs of `versions`' lineages their datasets' names and numbers now, from
    /// their ids; an input that no longer exists is marked deleted.
    pub(super) async fn resolve_inputs(
        &self,
        versions: &mut [VersionRow],
    ) -> Result<(), StoreError> {
        let ids: BTreeSet<i64> = versions
            .iter()
            .filter_map(|v| match &v.lineage {
                Lineage::Operation { inputs, .. } => Some(inputs.iter().filter_map(|i| i.id)),
                _ => None,
            })
            .flatten()
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut found: BTreeMap<i64, (String, i64)> = BTreeMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut query = dynamic(format!(
                "SELECT v.id, d.name, v.number FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                 WHERE v.ready = 1 AND v.id IN ({})",
                Slots::new(self.backend()).list(chunk.len())
            ));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.reader()).await? {
                found.insert(
                    row.try_get("id")?,
                    (row.try_get("name")?, row.try_get("number")?),
                );
            }
        }
        for version in versions {
            let Lineage::Operation { inputs, .. } = &mut version.lineage else {
                continue;
            };
            for input in inputs.iter_mut() {
                let Some(id) = input.id else { continue };
                match found.get(&id) {
                    Some((name, number)) => {
                        input.dataset.clone_from(name);
                        input.version = *number;
                    }
                    None => input.deleted = true,
                }
            }
        }
        Ok(())
    }

    /// The ready version `id`, with its lineage resolved.
    pub async fn dataset_version_by_id(&self, id: i64) -> Result<VersionRow, StoreError> {
        self.version_row_by_id(id, VersionRead::Ready).await
    }

    /// The version in `row` (of [`VERSION_COLUMNS`]), with its lineage resolved.
    pub(super) async fn resolved_version(
        &self,
        row: &sqlx::any::AnyRow,
    ) -> Result<VersionRow, StoreError> {
        let mut version = [version_from_row(row)?];
        self.resolve_inputs(&mut version).await?;
        let [version] = version;
        Ok(version)
    }
}
