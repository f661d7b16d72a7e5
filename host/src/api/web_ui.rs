//! The web UI: the build of `web/` (`web/dist`), served at `/` by the same server as the API.
//!
//! Release builds embed the files in the binary. With `WEB_DIR` set, and in debug builds
//! (`web/dist` of the working directory unless `WEB_DIR` says otherwise), they are read from
//! that folder at each request, so a rebuilt UI shows without recompiling the host; the folder
//! is chosen at run time, never baked in at compile time, so one build serves whichever
//! checkout it runs in. A path that names no file gets `index.html` (the UI routes in the
//! browser); `/api/...` paths never do — an unknown API path stays a JSON 404.

use std::borrow::Cow;
use std::path::{Component, Path};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The files of `web/dist` when the binary was built (release builds embed them); empty when
/// the UI was not built then.
#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../web/dist"]
#[allow_missing = true]
struct Assets;

/// What a browser gets when the UI was not built.
const NOT_BUILT: &str = "<!doctype html><title>blockforge</title>\
<p>The web UI is not built. Run <code>make run</code> (it runs <code>npm ci</code> and \
<code>npm run build</code> in <code>web/</code>), or use the API under <code>/api</code>.</p>";

/// Serves the UI file `uri` names, `index.html` for other paths, a JSON 404 under `/api`.
pub async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return super::error::not_found(uri).await.into_response();
    }
    let wanted = path.trim_start_matches('/');
    let dir = state.web_dir.as_deref();
    if !wanted.is_empty()
        && let Some(bytes) = read(dir, wanted).await
    {
        return file_response(wanted, bytes);
    }
    // A missing hashed asset is a real 404: answering it with index.html would hand the
    // browser HTML where it asked for a script.
    if wanted.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    match read(dir, "index.html").await {
        Some(index) => file_response("index.html", index),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
}

/// The file `name` (a relative path of the UI build) from `dir`, or from the embedded build.
/// Names with `..`, roots or prefixes are refused, so nothing outside the folder is read.
async fn read(dir: Option<&Path>, name: &str) -> Option<Cow<'static, [u8]>> {
    let relative = Path::new(name);
    if !relative
        .components()
        .all(|part| matches!(part, Component::Normal(_)))
    {
        return None;
    }
    match dir {
        // Reading a folder fails (EISDIR), so a folder's name is no asset either.
        Some(dir) => tokio::fs::read(dir.join(relative))
            .await
            .ok()
            .map(Cow::Owned),
        None => Assets::get(name).map(|file| file.data),
    }
}

fn file_response(path: &str, bytes: Cow<'static, [u8]>) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Vite names the files under assets/ by their content hash: they never change.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = bytes.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.essence_str()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
