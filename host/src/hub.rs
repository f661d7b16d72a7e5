//! A client of the Hugging Face Hub's HTTP API, enough to push a dataset repository in one
//! commit: create the repository (one that exists already is fine), ask the Hub which files go
//! through Git LFS (`preupload`), upload those through the LFS batch API ([`lfs`]), then commit
//! every file with one `application/x-ndjson` request ([`commit`]), as the Hub's own
//! `huggingface_hub` client does. The endpoint is configurable (`HF_ENDPOINT`, like the Hub's
//! tools; tests point it at a fake Hub on loopback).
//!
//! The token goes only into the `Authorization` header of requests to the endpoint's origin:
//! never into a URL, a log line, an error, or an upload to the storage URLs the Hub hands out.

pub mod commit;
pub mod errors;
pub mod files;
pub mod lfs;
pub mod repo;

use std::sync::Arc;

use serde::Serialize;

pub use errors::HubError;
pub use files::LocalFile;
pub use repo::RepoId;

/// The Hub's address unless `HF_ENDPOINT` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// The branch every push commits to.
pub const REVISION: &str = "main";

/// How long one API call (not an upload) may take.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The slowest upload to the Hub's storage that is not taken for a stalled one (bytes/s).
const SLOWEST_UPLOAD_BYTES_PER_SEC: u64 = 256 * 1024;

/// How long the upload of a file of `size` bytes may take: [`CALL_TIMEOUT`], plus its size at
/// [`SLOWEST_UPLOAD_BYTES_PER_SEC`]. A stalled upload fails instead of holding the push (and
/// its temporary files) forever.
fn upload_timeout(size: u64) -> std::time::Duration {
    CALL_TIMEOUT + std::time::Duration::from_secs(size / SLOWEST_UPLOAD_BYTES_PER_SEC)
}

/// `endpoint` with any `user:password@` part left out, fit for an error message.
fn without_credentials(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint.trim()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        // Not a URL: cut everything up to an `@` after the scheme.
        Err(_) => match endpoint.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}"),
                None => endpoint.to_owned(),
            },
            None => endpoint
                .rsplit_once('@')
                .map_or(endpoint, |(_, host)| host)
                .to_owned(),
        },
    }
}

/// A Hub access token. Its `Debug` shows no part of it.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl Token {
    /// `text` as a token, when it is not blank.
    pub fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        (!text.is_empty()).then(|| Token(Arc::from(text)))
    }

    fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

/// Where the Hub is and the token to use when a push names none.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// The Hub's base URL (`HF_ENDPOINT`, default [`DEFAULT_ENDPOINT`]).
    pub endpoint: String,
    /// `HF_TOKEN`, when set.
    pub token: Option<Token>,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
        }
    }
}

/// What a push does besides uploading.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Create the repository private (a repository that exists keeps its visibility).
    pub private: bool,
    /// The commit's summary line.
    pub summary: String,
}

/// One file a push committed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PushedFile {
    /// Its path in the repository.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it went through Git LFS.
    pub lfs: bool,
}

/// What a push made.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pushed {
    /// The repository, `owner/name`.
    pub repo: String,
    /// Its page on the Hub.
    pub url: String,
    /// Whether the push created the repository (false: it existed).
    pub created: bool,
    /// The commit's page, as the Hub answered it.
    pub commit_url: Option<String>,
    /// The commit's id, as the Hub answered it.
    pub commit_oid: Option<String>,
    /// The files committed.
    pub files: Vec<PushedFile>,
}

/// A client of one Hub endpoint with one token.
pub struct HubClient {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    token: Token,
}

impl HubClient {
    /// A client of the Hub at `endpoint` (an `http` or `https` URL) using `token`.
    pub fn new(endpoint: &str, token: Token) -> Result<HubClient, HubError> {
        let bad = |why: &str| HubError::BadEndpoint {
            endpoint: without_credentials(endpoint),
            why: why.to_owned(),
        };
        let mut parsed = reqwest::Url::parse(endpoint.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(bad("not an http or https URL with a host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("credentials belong in the token, not in the URL"));
        }
        // Paths are joined below the endpoint's own path (a Hub mirror may live in a folder).
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        // The ring provider, as the rest of the host uses; a second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            // No answer byte for this long: the connection is taken for dead.
            .read_timeout(CALL_TIMEOUT)
            .user_agent(concat!("blockforge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubError::Client(e.to_string()))?;
        Ok(HubClient {
            http,
            endpoint: parsed,
            token,
        })
    }

    /// `path` (no leading `/`) below the endpoint.
    fn url(&self, path: &str) -> Result<reqwest::Url, HubError> {
        self.endpoint.join(path).map_err(|e| HubError::BadEndpoint {
            endpoint: self.endpoint.to_string(),
            why: e.to_string(),
        })
    }

    /// Whether `url` is on the endpoint's origin (where the token may go).
    fn same_origin(&self, url: &reqwest::Url) -> bool {
        url.origin() == self.endpoint.origin()
    }

    /// Sends `request` (with the token) as the step `step`; an answer other than 2xx, or
    /// `allowed`, is an error naming the step and what the Hub said.
    async fn call(
        &self,
        step: &str,
        request: reqwest::RequestBuilder,
        allowed: &[u16],
    ) -> Result<reqwest::Response, HubError> {
        let request = request
            .bearer_auth(self.token.secret())
            .timeout(CALL_TIMEOUT);
        self.send(step, request, allowed).await
    }

    /// Sends `request` as it is (no token) as the step `step`; an answer other than 2xx, or
    /// `allowed`, is an error naming the step and what was said.
    async fn send(
        &self,
        step: &str,
        request: reqwest::RequestBuilder,
        allowed: &[u16],
    ) -> Result<reqwest::Response, HubError> {
        let response = request
            .send()
            .await
            .map_err(|e| HubError::unreachable(step, &self.endpoint, e))?;
        let status = response.status().as_u16();
        if response.status().is_success() || allowed.contains(&status) {
            Ok(response)
        } else {
            Err(HubError::refused(step, response).await)
        }
    }

    /// Creates the dataset repository `repo`; false when it existed already. A token that may
    /// write to `repo` but not create repositories under its owner is refused the creation
    /// (403) even when `repo` exists: then the repository is looked up, and the refusal stands
    /// only when it is not there.
    pub async fn create_repo(&self, repo: &RepoId, private: bool) -> Result<bool, HubError> {
        let body = serde_json::json!({
            "name": repo.name(),
            "organization": repo.owner(),
            "type": "dataset",
            "private": private,
        });
        let step = format!("creating the dataset repository {repo}");
        let request = self.http.post(self.url("api/repos/create")?).json(&body);
        let response = self.call(&step, request, &[409, 403]).await?;
        match response.status() {
            reqwest::StatusCode::CONFLICT => Ok(false),
            reqwest::StatusCode::FORBIDDEN => {
                let refusal = HubError::refused(&step, response).await;
                if self.repo_exists(repo).await? {
                    Ok(false)
                } else {
                    Err(refusal)
                }
            }
            _ => Ok(true),
        }
    }

    /// Whether the dataset repository `repo` exists and the token can see it.
    async fn repo_exists(&self, repo: &RepoId) -> Result<bool, HubError> {
        let step = format!("looking up the dataset repository {repo}");
        let request = self.http.get(self.url(&format!("api/datasets/{repo}"))?);
        let response = self.call(&step, request, &[401, 403, 404]).await?;
        Ok(response.status().is_success())
    }

    /// Pushes `files` to the dataset repository `repo` (created when missing) in one commit
    /// on [`REVISION`].
    pub async fn push(
        &self,
        repo: &RepoId,
        files: &[LocalFile],
        options: &PushOptions,
    ) -> Result<Pushed, HubError> {
        let mut infos = Vec::with_capacity(files.len());
        for file in files {
            infos.push(files::UploadInfo::of(file).await?);
        }
        let created = self.create_repo(repo, options.private).await?;
        let modes = self.upload_modes(repo, &infos).await?;
        let lfs_files: Vec<&files::UploadInfo> = infos
            .iter()
            .zip(&modes)
            .filter(|(_, lfs)| **lfs)
            .map(|(info, _)| info)
            .collect();
        self.upload_lfs(repo, &lfs_files).await?;
        let committed = self.commit(repo, &infos, &modes, &options.summary).await?;
        let url = self.url(&format!("datasets/{repo}"))?.to_string();
        tracing::info!(
            repo = %repo,
            files = infos.len(),
            created,
            "pushed a dataset to the Hugging Face Hub"
        );
        Ok(Pushed {
            repo: repo.to_string(),
            url,
            created,
            commit_url: committed.commit_url,
            commit_oid: committed.commit_oid,
            files: infos
                .iter()
                .zip(&modes)
                .map(|(info, lfs)| PushedFile {
                    path: info.path_in_repo.clone(),
                    size: info.size,
                    lfs: *lfs,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_with_credentials_is_refused_without_repeating_them() {
        let Err(refused) = HubClient::new(
            "https://user:hf_secret@mirror.example/hub",
            Token::new("t").expect("a token"),
        ) else {
            panic!("credentials in the endpoint were accepted");
        };
        let text = format!("{refused} {refused:?}");
        assert!(!text.contains("hf_secret"), "{text}");
        assert!(!text.contains("user"), "{text}");
        assert!(text.contains("mirror.example"), "{text}");
        assert_eq!(
            without_credentials("not a url://u:p@host"),
            "not a url://host"
        );
    }

    #[test]
    fn an_upload_may_take_longer_the_larger_its_file() {
        assert_eq!(upload_timeout(0), CALL_TIMEOUT);
        assert_eq!(
            upload_timeout(1024 * 1024 * 1024),
            CALL_TIMEOUT + std::time::Duration::from_secs(4096)
        );
    }
}
