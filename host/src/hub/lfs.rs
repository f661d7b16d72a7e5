//! Git LFS uploads through the Hub's batch API: one batch request names every object (SHA-256
//! and size); the Hub answers, per object, where to `PUT` it (and where to confirm it), or
//! nothing when it has it already. Only the `basic` transfer is offered, so each object is one
//! streamed `PUT`. Upload URLs point at storage, not at the Hub: they get the headers the Hub
//! listed and never the token.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::files::UploadInfo;
use super::{HubClient, HubError, REVISION, RepoId};

/// The content type of the LFS batch API.
const LFS_JSON: &str = "application/vnd.git-lfs+json";

/// One action of an object: where, with which headers.
#[derive(Debug, Deserialize)]
struct Action {
    href: String,
    #[serde(default)]
    header: BTreeMap<String, String>,
}

/// What to do with one object.
#[derive(Debug, Default, Deserialize)]
struct Actions {
    upload: Option<Action>,
    verify: Option<Action>,
}

/// An object's error in a batch answer.
#[derive(Debug, Deserialize)]
struct ObjectError {
    #[serde(default)]
    code: u16,
    #[serde(default)]
    message: String,
}

/// One object of a batch answer.
#[derive(Debug, Deserialize)]
struct BatchObject {
    oid: String,
    #[serde(default)]
    actions: Option<Actions>,
    #[serde(default)]
    error: Option<ObjectError>,
}

/// A batch answer.
#[derive(Debug, Deserialize)]
struct BatchAnswer {
    objects: Vec<BatchObject>,
}

impl HubClient {
    /// Uploads `files` as LFS objects of `repo` (those the Hub has already are skipped).
    pub async fn upload_lfs(&self, repo: &RepoId, files: &[&UploadInfo]) -> Result<(), HubError> {
        if files.is_empty() {
            return Ok(());
        }
        let step = "asking the Hub where to upload the LFS files";
        let body = json!({
            "operation": "upload",
            "transfers": ["basic"],
            "objects": files.iter().map(|f| json!({"oid": f.sha256, "size": f.size})).collect::<Vec<_>>(),
            "hash_algo": "sha256",
            "ref": {"name": format!("refs/heads/{REVISION}")},
        });
        let url = self.url(&format!("datasets/{repo}.git/info/lfs/objects/batch"))?;
        let request = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, LFS_JSON)
            .header(reqwest::header::CONTENT_TYPE, LFS_JSON)
            .body(body.to_string());
        let response = self.call(step, request, &[]).await?;
        let answer: BatchAnswer = response.json().await.map_err(|e| HubError::Malformed {
            step: step.to_owned(),
            message: e.to_string(),
        })?;
        for file in files {
            let object = answer
                .objects
                .iter()
                .find(|o| o.oid == file.sha256)
                .ok_or_else(|| HubError::Malformed {
                    step: step.to_owned(),
                    message: format!("no answer for {} (oid {})", file.path_in_repo, file.sha256),
                })?;
            if let Some(error) = &object.error {
                return Err(HubError::Failed {
                    step: format!("{step} ({})", file.path_in_repo),
                    status: error.code,
                    message: error.message.clone(),
                });
            }
            let Some(actions) = &object.actions else {
                // The Hub has this object already.
                continue;
            };
            if let Some(upload) = &actions.upload {
                self.put_object(file, upload).await?;
            }
            if let Some(verify) = &actions.verify {
                self.verify_object(file, verify).await?;
            }
        }
        Ok(())
    }

    /// `PUT`s `file` to `upload.href` with the headers listed, streamed from disk.
    async fn put_object(&self, file: &UploadInfo, upload: &Action) -> Result<(), HubError> {
        let step = format!("uploading {}", file.path_in_repo);
        if upload.header.contains_key("chunk_size") {
            return Err(HubError::Malformed {
                step,
                message: "the Hub asked for a multipart upload, which was not offered".to_owned(),
            });
        }
        let url = reqwest::Url::parse(&upload.href).map_err(|e| HubError::Malformed {
            step: step.clone(),
            message: format!("the upload URL is not a URL: {e}"),
        })?;
        let opened = tokio::fs::File::open(&file.path)
            .await
            .map_err(|source| HubError::Io {
                path: file.path.display().to_string(),
                source,
            })?;
        let mut request = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, file.size)
            .timeout(super::upload_timeout(file.size))
            .body(reqwest::Body::from(opened));
        for (name, value) in &upload.header {
            request = request.header(name.as_str(), value.as_str());
        }
        self.send(&step, request, &[]).await?;
        Ok(())
    }

    /// Tells the Hub that `file` was uploaded (`verify` action); the token goes along only
    /// when the URL is on the Hub's own origin.
    async fn verify_object(&self, file: &UploadInfo, verify: &Action) -> Result<(), HubError> {
        let step = format!("confirming the upload of {}", file.path_in_repo);
        let url = reqwest::Url::parse(&verify.href).map_err(|e| HubError::Malformed {
            step: step.clone(),
            message: format!("the verify URL is not a URL: {e}"),
        })?;
        let ours = self.same_origin(&url);
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, LFS_JSON)
            .header(reqwest::header::CONTENT_TYPE, LFS_JSON)
            .timeout(super::CALL_TIMEOUT)
            .body(json!({"oid": file.sha256, "size": file.size}).to_string());
        for (name, value) in &verify.header {
            request = request.header(name.as_str(), value.as_str());
        }
        if ours {
            self.call(&step, request, &[]).await?;
        } else {
            self.send(&step, request, &[]).await?;
        }
        Ok(())
    }
}
