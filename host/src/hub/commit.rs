//! The two repository calls around the uploads: `preupload` (the Hub says, per file, whether
//! it goes through LFS or inline) and `commit` (one request of JSON lines: a header with the
//! summary, then each file, inline as base64 or as the LFS object it was uploaded as).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::files::UploadInfo;
use super::{HubClient, HubError, REVISION, RepoId};

/// One file in the preupload answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreuploadFile {
    path: String,
    upload_mode: String,
}

/// The preupload answer.
#[derive(Deserialize)]
struct Preupload {
    files: Vec<PreuploadFile>,
}

/// The commit answer's fields a push reports.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Committed {
    /// The commit's page.
    pub commit_url: Option<String>,
    /// The commit's id.
    pub commit_oid: Option<String>,
}

/// The JSON lines of a commit of `files` (`lfs[i]`: whether `files[i]` was uploaded through
/// LFS) with `summary`; an inline file's content is read here.
pub async fn commit_lines(
    files: &[UploadInfo],
    lfs: &[bool],
    summary: &str,
) -> Result<Vec<u8>, HubError> {
    let mut lines =
        vec![json!({"key": "header", "value": {"summary": summary, "description": ""}})];
    for (file, lfs) in files.iter().zip(lfs) {
        let line = if *lfs {
            json!({"key": "lfsFile", "value": {
                "path": file.path_in_repo,
                "algo": "sha256",
                "oid": file.sha256,
                "size": file.size,
            }})
        } else {
            let content = tokio::fs::read(&file.path)
                .await
                .map_err(|source| HubError::Io {
                    path: file.path.display().to_string(),
                    source,
                })?;
            json!({"key": "file", "value": {
                "path": file.path_in_repo,
                "encoding": "base64",
                "content": base64::engine::general_purpose::STANDARD.encode(content),
            }})
        };
        lines.push(line);
    }
    let mut body = Vec::new();
    for line in lines {
        body.extend_from_slice(line.to_string().as_bytes());
        body.push(b'\n');
    }
    Ok(body)
}

impl HubClient {
    /// For each of `files`, whether the Hub wants it through LFS (an empty file never goes
    /// through LFS).
    pub async fn upload_modes(
        &self,
        repo: &RepoId,
        files: &[UploadInfo],
    ) -> Result<Vec<bool>, HubError> {
        let step = "asking the Hub how to upload each file";
        let body = json!({"files": files.iter().map(|f| json!({
            "path": f.path_in_repo,
            "sample": base64::engine::general_purpose::STANDARD.encode(&f.sample),
            "size": f.size,
            "sha": f.sha256,
        })).collect::<Vec<Value>>()});
        let url = self.url(&format!("api/datasets/{repo}/preupload/{REVISION}"))?;
        let response = self
            .call(step, self.http.post(url).json(&body), &[])
            .await?;
        let answer: Preupload = response.json().await.map_err(|e| HubError::Malformed {
            step: step.to_owned(),
            message: e.to_string(),
        })?;
        files
            .iter()
            .map(|file| {
                let mode = answer
                    .files
                    .iter()
                    .find(|f| f.path == file.path_in_repo)
                    .map(|f| f.upload_mode.as_str());
                match mode {
                    Some("lfs") => Ok(file.size > 0),
                    Some("regular") => Ok(false),
                    other => Err(HubError::Malformed {
                        step: step.to_owned(),
                        message: format!(
                            "upload mode {other:?} for {}, not \"lfs\" or \"regular\"",
                            file.path_in_repo
                        ),
                    }),
                }
            })
            .collect()
    }

    /// Commits `files` (LFS ones uploaded already) on [`REVISION`] of `repo`.
    pub async fn commit(
        &self,
        repo: &RepoId,
        files: &[UploadInfo],
        lfs: &[bool],
        summary: &str,
    ) -> Result<Committed, HubError> {
        let step = "committing the files";
        let body = commit_lines(files, lfs, summary).await?;
        let url = self.url(&format!("api/datasets/{repo}/commit/{REVISION}"))?;
        let request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body);
        let response = self.call(step, request, &[]).await?;
        // The commit is made once the Hub said 2xx; an answer without these fields is
        // still a commit.
        Ok(response.json().await.unwrap_or_default())
    }
}
