//! A whole dataset laid out as a Hugging Face Hub dataset repository: `README.md` (the card)
//! and one Parquet file per split, `data/<split>-00000-of-00001.parquet`, written as a zip or
//! into a folder. Each split is written a row group at a time, so memory stays bounded.

use std::io::{Seek, Write};
use std::path::Path;

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::dataset_export::ParquetExportError;
use super::datasets::VersionRow;
use super::{Store, StoreError};
use crate::datasets::card::CardMeta;

/// Why a Hub-layout export failed.
#[derive(Debug, thiserror::Error)]
pub enum HubExportError {
    /// Reading the dataset failed, or it does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a split as Parquet failed.
    #[error(transparent)]
    Parquet(ParquetExportError),
    /// Writing the zip failed.
    #[error("cannot write the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<ParquetExportError> for HubExportError {
    fn from(e: ParquetExportError) -> Self {
        match e {
            ParquetExportError::Store(e) => HubExportError::Store(e),
            other => HubExportError::Parquet(other),
        }
    }
}

pub use crate::datasets::card::split_file;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> HubExportError + '_ {
    move |source| HubExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Store {
    /// The splits of `name` (see [`Store::export_splits`]) and its card.
    async fn hub_contents(
        &self,
        name: &str,
        meta: &CardMeta,
    ) -> Result<(Vec<(String, VersionRow)>, String), StoreError> {
        let splits = self.export_splits(name, None).await?;
        let card = self.card_of_splits(name, &splits, meta).await?;
        Ok((splits, card))
    }

    /// Writes `name` in the Hub's layout as a zip to `out`, and returns `out`.
    pub async fn write_hub_zip<W: Write + Seek + Send>(
        &self,
        name: &str,
        meta: &CardMeta,
        out: W,
    ) -> Result<W, HubExportError> {
        let (splits, card) = self.hub_contents(name, meta).await?;
        // Stored, not deflated: Parquet files are compressed already.
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut zip = ZipWriter::new(out);
        zip.start_file("README.md", options)?;
        zip.write_all(card.as_bytes())
            .map_err(|e| HubExportError::Zip(e.into()))?;
        for (split, version) in &splits {
            zip.start_file(split_file(split), options.large_file(true))?;
            self.write_parquet(version, &mut zip).await?;
        }
        Ok(zip.finish()?)
    }

    /// Writes `name` in the Hub's layout into the folder `dir` (made when missing): its
    /// `README.md` and `data/*.parquet` are replaced, each file in one step. Returns the
    /// files written, relative to `dir` (`README.md` first).
    pub async fn write_hub_folder(
        &self,
        name: &str,
        meta: &CardMeta,
        dir: &Path,
    ) -> Result<Vec<String>, HubExportError> {
        let (splits, card) = self.hub_contents(name, meta).await?;
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(io_error(&data))?;
        let mut written = vec!["README.md".to_owned()];
        for (split, version) in &splits {
            let relative = split_file(split);
            let path = dir.join(&relative);
            let file = crate::atomic_file::temporary_beside(&path).map_err(io_error(&path))?;
            let out = self
                .write_parquet(version, std::io::BufWriter::new(file))
                .await?;
            let file = out
                .into_inner()
                .map_err(|e| io_error(&path)(e.into_error()))?;
            file.persist(&path).map_err(|e| io_error(&path)(e.error))?;
            written.push(relative);
        }
        let readme = dir.join("README.md");
        crate::atomic_file::write(&readme, card.as_bytes()).map_err(io_error(&readme))?;
        Ok(written)
    }
}
