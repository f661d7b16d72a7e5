//! The files of a push: where each is on disk and in the repository, and what the Hub asks
//! about it before an upload (its SHA-256, size and first 512 bytes), read in one streamed
//! pass on a blocking thread.

use std::io::Read;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::HubError;

/// Bytes of a file's start the preupload call sends as its sample.
const SAMPLE_BYTES: usize = 512;

/// A file on disk and the path it gets in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Its path in the repository (`README.md`, `data/train-00000-of-00001.parquet`).
    pub path_in_repo: String,
    /// Where it is on disk.
    pub path: PathBuf,
}

/// A file with what the Hub asks about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// Its path in the repository.
    pub path_in_repo: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex (the Git LFS object id).
    pub sha256: String,
    /// Its first bytes (at most 512).
    pub sample: Vec<u8>,
}

impl UploadInfo {
    /// Reads `file` once for its size, hash and sample.
    pub async fn of(file: &LocalFile) -> Result<UploadInfo, HubError> {
        let file = file.clone();
        let display = file.path.display().to_string();
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<UploadInfo> {
            let mut opened = std::fs::File::open(&file.path)?;
            let mut hasher = Sha256::new();
            let mut sample = Vec::with_capacity(SAMPLE_BYTES);
            let mut size = 0u64;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = opened.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                let chunk = &buffer[..n];
                if sample.len() < SAMPLE_BYTES {
                    let take = (SAMPLE_BYTES - sample.len()).min(n);
                    sample.extend_from_slice(&chunk[..take]);
                }
                hasher.update(chunk);
                size += n as u64;
            }
            Ok(UploadInfo {
                path_in_repo: file.path_in_repo,
                path: file.path,
                size,
                sha256: hex::encode(hasher.finalize()),
                sample,
            })
        })
        .await
        .map_err(|e| HubError::Io {
            path: display.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        read.map_err(|source| HubError::Io {
            path: display,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_files_hash_size_and_sample_are_read_in_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let info = UploadInfo::of(&LocalFile {
            path_in_repo: "data/big.bin".to_owned(),
            path,
        })
        .await
        .unwrap();
        assert_eq!(info.size, 200_000);
        assert_eq!(info.sample, bytes[..512]);
        assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
    }
}
