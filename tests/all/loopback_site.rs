//! A scripted web site on loopback for the tests of outgoing HTTP (`WebFetch`, redirects,
//! Langfuse): each path answers a list of replies in turn (the last one repeats), 404 when
//! it has none, and every request it gets is kept (method, path, headers, body) for the test
//! to check.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// A 200 answer of `content_type` with `body`.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A 200 HTML page.
    pub fn html(body: impl Into<String>) -> Reply {
        Reply::ok("text/html; charset=utf-8", body.into())
    }

    /// An empty answer with `status`.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `status` redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("location", location)
    }

    /// The same answer with status `status`.
    pub fn status_code(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request the site got.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Its method.
    pub method: String,
    /// Its path and query.
    pub path: String,
    /// Its headers, names in lower case.
    pub headers: HashMap<String, String>,
    /// Its body.
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Script {
    routes: HashMap<String, VecDeque<Reply>>,
    seen: Vec<Seen>,
}

/// The site; it stops when dropped.
pub struct Site {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Site {
    /// A site with no routes, listening on 127.0.0.1.
    pub async fn start() -> Site {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&script));
        let (addr, server) = serve_on_loopback(app).await;
        Site {
            addr,
            script,
            server,
        }
    }

    /// `path` answers `replies` in turn, the last one from then on.
    pub fn route(&self, path: &str, replies: Vec<Reply>) -> &Self {
        let mut script = self.script.lock().expect("script lock");
        script.routes.insert(path.to_owned(), replies.into());
        self
    }

    /// `/robots.txt` answers `rules` as text.
    pub fn robots(&self, rules: &str) -> &Self {
        self.route("/robots.txt", vec![Reply::ok("text/plain", rules)])
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// The requests `path` (without query) got.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let script = self.script.lock().expect("script lock");
        script
            .seen
            .iter()
            .filter(|s| s.path.split('?').next() == Some(path))
            .cloned()
            .collect()
    }

    /// How many requests `path` got.
    pub fn hits(&self, path: &str) -> usize {
        self.seen(path).len()
    }
}

/// Serves `app` on a free port of 127.0.0.1 until the task is aborted: the address and the
/// task.
pub async fn serve_on_loopback(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, server)
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let reply = {
        let mut script = script.lock().expect("script lock");
        script.seen.push(Seen {
            method: parts.method.to_string(),
            path,
            headers,
            body,
        });
        match script.routes.get_mut(parts.uri.path()) {
            Some(replies) if replies.len() > 1 => replies.pop_front(),
            Some(replies) => replies.front().cloned(),
            None => None,
        }
    };
    let reply = reply.unwrap_or_else(|| Reply::status(404));
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
