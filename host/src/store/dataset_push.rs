//! A whole dataset pushed to the Hugging Face Hub: written in the Hub's layout
//! ([`Store::write_hub_folder`]) to a temporary folder, then committed to a dataset repository
//! by the [`crate::hub`] client. Nothing reaches the Hub unless every file was written.

use super::dataset_hub::HubExportError;
use crate::datasets::card::CardMeta;
use crate::hub::{HubClient, HubError, LocalFile, PushOptions, Pushed, RepoId};

use super::Store;

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Writing the dataset's files failed (or it does not exist).
    #[error(transparent)]
    Export(#[from] HubExportError),
    /// The Hub refused, or could not be reached.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The temporary folder could not be made.
    #[error("cannot make a temporary folder for the push: {0}")]
    Temporary(std::io::Error),
}

impl Store {
    /// Pushes every split of `name` with its card (as [`Store::write_hub_zip`] lays them out)
    /// to the Hub dataset repository `repo` through `client`, in one commit.
    pub async fn push_to_hub(
        &self,
        name: &str,
        meta: &CardMeta,
        client: &HubClient,
        repo: &RepoId,
        options: &PushOptions,
    ) -> Result<Pushed, PushError> {
        let dir = tempfile::Builder::new()
            .prefix(".blockforge-push-")
            .tempdir()
            .map_err(PushError::Temporary)?;
        let files: Vec<LocalFile> = self
            .write_hub_folder(name, meta, dir.path())
            .await?
            .into_iter()
            .map(|path_in_repo| LocalFile {
                path: dir.path().join(&path_in_repo),
                path_in_repo,
            })
            .collect();
        Ok(client.push(repo, &files, options).await?)
    }
}
