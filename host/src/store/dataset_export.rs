//! A version written as Parquet: one pass for the columns' types (every row's features), a
//! second that writes the rows a page at a time.

use std::io::Write;

use super::datasets::{RowPages, VersionRow};
use super::{Store, StoreError};
use crate::datasets::parquet::{ParquetWriter, WriteError};

/// Why a Parquet export failed.
#[derive(Debug, thiserror::Error)]
pub enum ParquetExportError {
    /// Reading the rows failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing them failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl Store {
    /// Writes the rows of `version` to `out` as Parquet, and returns `out`.
    pub async fn write_parquet<W: Write + Send>(
        &self,
        version: &VersionRow,
        out: W,
    ) -> Result<W, ParquetExportError> {
        let features = self.features_of(version).await?;
        let mut writer = ParquetWriter::new(out, features)?;
        let mut pages = RowPages::new(self, version);
        while let Some(page) = pages.next().await? {
            writer.write(page.iter().map(|r| &r.row))?;
        }
        Ok(writer.finish()?)
    }
}
