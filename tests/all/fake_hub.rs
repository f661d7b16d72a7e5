//! A fake Hugging Face Hub on loopback, a stand-in for the third-party service as the fake LLM
//! is for a provider: the calls a dataset push makes (`/api/repos/create`, `preupload`, the
//! LFS batch API with its storage `PUT` and `verify`, the `application/x-ndjson` commit),
//! checked as the Hub checks them (the token, the content types, each LFS object's SHA-256
//! and size, every committed LFS file uploaded first), and every request kept for the test.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::loopback_site::serve_on_loopback;

/// The token the fake Hub accepts.
pub const TOKEN: &str = "hf_fake_write_token_0123456789";

/// A request the fake Hub got.
#[derive(Debug, Clone)]
pub struct HubRequest {
    /// Its method.
    pub method: String,
    /// Its path.
    pub path: String,
    /// Its `Authorization` header, if any.
    pub authorization: Option<String>,
    /// Its `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

/// One commit the fake Hub made.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The repository, `owner/name`.
    pub repo: String,
    /// The header line's summary.
    pub summary: String,
    /// The files in the order the commit listed them, `(path, content, through LFS)`.
    pub files: Vec<(String, Vec<u8>, bool)>,
}

#[derive(Default)]
struct Hub {
    base: String,
    /// Repository → `create` body.
    repos: BTreeMap<String, Value>,
    /// Repositories that exist but this token cannot see: `create` says 409, the rest 404.
    hidden: BTreeSet<String>,
    /// LFS objects stored, by SHA-256.
    objects: BTreeMap<String, Vec<u8>>,
    commits: Vec<Commit>,
    /// A status the commit call answers with instead of committing.
    fail_commit: Option<u16>,
    /// Whether `create` answers 403 (a token that may write but not create).
    forbid_creates: bool,
    requests: Vec<HubRequest>,
}

/// The fake Hub; it stops when dropped.
pub struct FakeHub {
    addr: SocketAddr,
    hub: Arc<Mutex<Hub>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeHub {
    /// A fake Hub with no repositories, listening on 127.0.0.1.
    pub async fn start() -> FakeHub {
        let hub = Arc::new(Mutex::new(Hub::default()));
        let app = Router::new().fallback(answer).with_state(Arc::clone(&hub));
        let (addr, server) = serve_on_loopback(app).await;
        hub.lock().expect("hub lock").base = format!("http://{addr}");
        FakeHub { addr, hub, server }
    }

    /// Its endpoint, for `HF_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `repo` exists, but the token cannot see it.
    pub fn hide(&self, repo: &str) {
        self.hub
            .lock()
            .expect("hub lock")
            .hidden
            .insert(repo.to_owned());
    }

    /// `repo` exists (made by someone else) and the token can see it.
    pub fn add_repo(&self, repo: &str) {
        self.hub
            .lock()
            .expect("hub lock")
            .repos
            .insert(repo.to_owned(), Value::Null);
    }

    /// `create` answers 403 from now on, whether the repository exists or not, as the Hub does
    /// for a token that may not create repositories under the owner.
    pub fn forbid_creates(&self) {
        self.hub.lock().expect("hub lock").forbid_creates = true;
    }

    /// The commit call answers `status` from now on.
    pub fn fail_commits(&self, status: u16) {
        self.hub.lock().expect("hub lock").fail_commit = Some(status);
    }

    /// The `create` body of each repository made.
    pub fn repos(&self) -> BTreeMap<String, Value> {
        self.hub.lock().expect("hub lock").repos.clone()
    }

    /// The commits made, oldest first.
    pub fn commits(&self) -> Vec<Commit> {
        self.hub.lock().expect("hub lock").commits.clone()
    }

    /// Every request, oldest first.
    pub fn requests(&self) -> Vec<HubRequest> {
        self.hub.lock().expect("hub lock").requests.clone()
    }
}

fn json_answer(status: u16, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: u16, message: &str) -> Response {
    json_answer(status, json!({"error": message}))
}

/// `path` as `(prefix, owner/name, rest)` when it is `<prefix><owner>/<name><rest>`.
fn repo_in<'a>(path: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let repo = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (repo.split('/').count() == 2).then_some(repo)
}

async fn answer(State(hub): State<Arc<Mutex<Hub>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 256 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let seen = HubRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body,
    };
    let mut hub = hub.lock().expect("hub lock");
    hub.requests.push(seen.clone());
    let path = seen.path.as_str();
    // Storage: no token wanted (nor sent); the content must be the object announced.
    if let Some(oid) = path.strip_prefix("/storage/") {
        if seen.method != "PUT" {
            return error(405, "storage takes PUT");
        }
        if hex::encode(Sha256::digest(&seen.body)) != oid {
            return error(400, "the content's SHA-256 is not the object id");
        }
        hub.objects.insert(oid.to_owned(), seen.body);
        return Response::new(Body::empty());
    }
    if seen.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "Invalid credentials in Authorization header");
    }
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    if path == "/api/repos/create" {
        let (Some(owner), Some(name)) = (body["organization"].as_str(), body["name"].as_str())
        else {
            return error(400, "name and organization are required");
        };
        if body["type"] != "dataset" {
            return error(400, "this fake Hub only makes dataset repositories");
        }
        let repo = format!("{owner}/{name}");
        if hub.forbid_creates {
            return error(
                403,
                "You don't have the rights to create a dataset under this namespace",
            );
        }
        if hub.repos.contains_key(&repo) || hub.hidden.contains(&repo) {
            return error(409, "You already created this dataset repo");
        }
        hub.repos.insert(repo.clone(), body);
        return json_answer(200, json!({"url": format!("{}/datasets/{repo}", hub.base)}));
    }
    let known = |repo: &str, hub: &Hub| hub.repos.contains_key(repo) && !hub.hidden.contains(repo);
    if seen.method == "GET"
        && let Some(repo) = path.strip_prefix("/api/datasets/")
    {
        return if known(repo, &hub) {
            json_answer(200, json!({"id": repo}))
        } else {
            error(404, "Repository not found")
        };
    }
    if let Some(repo) = repo_in(path, "/api/datasets/", "/preupload/main") {
        if !known(repo, &hub) {
            return error(404, "Repository not found");
        }
        let files: Vec<Value> = body["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let path = f["path"].as_str().unwrap_or_default();
                let mode = if path.ends_with(".parquet") {
                    "lfs"
                } else {
                    "regular"
                };
                json!({"path": path, "uploadMode": mode, "shouldIgnore": false})
            })
            .collect();
        return json_answer(200, json!({"files": files}));
    }
    if let Some(repo) = repo_in(path, "/datasets/", ".git/info/lfs/objects/batch") {
        if !known(repo, &hub) {
            return error(404, "Repository not found");
        }
        if seen.content_type.as_deref() != Some("application/vnd.git-lfs+json") {
            return error(415, "the LFS batch API takes application/vnd.git-lfs+json");
        }
        let objects: Vec<Value> = body["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                let oid = o["oid"].as_str().unwrap_or_default();
                if hub.objects.contains_key(oid) {
                    return json!({"oid": oid, "size": o["size"]});
                }
                json!({"oid": oid, "size": o["size"], "actions": {
                    "upload": {"href": format!("{}/storage/{oid}", hub.base), "header": {}},
                    "verify": {"href": format!("{}/datasets/{repo}.git/info/lfs/verify", hub.base), "header": {}},
                }})
            })
            .collect();
        return json_answer(200, json!({"transfer": "basic", "objects": objects}));
    }
    if repo_in(path, "/datasets/", ".git/info/lfs/verify").is_some() {
        let stored = body["oid"]
            .as_str()
            .and_then(|oid| hub.objects.get(oid))
            .map(|content| content.len() as u64);
        return match stored {
            Some(size) if Some(size) == body["size"].as_u64() => json_answer(200, json!({})),
            _ => error(422, "the object was not uploaded"),
        };
    }
    if let Some(repo) = repo_in(path, "/api/datasets/", "/commit/main") {
        if !known(repo, &hub) {
            return error(404, "Repository not found");
        }
        if let Some(status) = hub.fail_commit {
            return error(status, "the Hub is having a bad day");
        }
        if seen.content_type.as_deref() != Some("application/x-ndjson") {
            return error(415, "a commit is application/x-ndjson");
        }
        let text = String::from_utf8_lossy(&seen.body).into_owned();
        let lines: Vec<Value> = match text.lines().map(serde_json::from_str).collect() {
            Ok(lines) => lines,
            Err(e) => return error(400, &format!("not JSON lines: {e}")),
        };
        let Some((head, operations)) = lines.split_first() else {
            return error(400, "an empty commit");
        };
        if head["key"] != "header" {
            return error(400, "the first line is the header");
        }
        let mut files = Vec::new();
        for line in operations {
            let value = &line["value"];
            let path = value["path"].as_str().unwrap_or_default().to_owned();
            match line["key"].as_str() {
                Some("file") if value["encoding"] == "base64" => {
                    let content = base64::engine::general_purpose::STANDARD
                        .decode(value["content"].as_str().unwrap_or_default());
                    match content {
                        Ok(content) => files.push((path, content, false)),
                        Err(e) => return error(400, &format!("{path}: not base64: {e}")),
                    }
                }
                Some("lfsFile") if value["algo"] == "sha256" => {
                    let oid = value["oid"].as_str().unwrap_or_default();
                    match hub.objects.get(oid) {
                        Some(content) if Some(content.len() as u64) == value["size"].as_u64() => {
                            files.push((path, content.clone(), true));
                        }
                        _ => return error(400, &format!("{path}: LFS object {oid} not uploaded")),
                    }
                }
                _ => {
                    return error(
                        400,
                        &format!("an operation this fake Hub does not know: {line}"),
                    );
                }
            }
        }
        hub.commits.push(Commit {
            repo: repo.to_owned(),
            summary: head["value"]["summary"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            files,
        });
        let oid = format!("{:040x}", hub.commits.len());
        return json_answer(
            200,
            json!({"commitUrl": format!("{}/datasets/{repo}/commit/{oid}", hub.base), "commitOid": oid}),
        );
    }
    error(404, "no such API path on this fake Hub")
}
