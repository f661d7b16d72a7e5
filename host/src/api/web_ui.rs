//! The web UI: the build of `web/` (`web/dist`), served at `/` by the same server as the API.
//!
//! Release builds embed the files in the binary; debug builds read them from `web/dist` at each
//! request (rust-embed's two modes), so a rebuilt UI shows without recompiling the host. A path
//! that names no file gets `index.html` (the UI routes in the browser); `/api/...` paths never
//! do — an unknown API path stays a JSON 404.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// The files of `web/dist`; empty when the UI was not built (`make run` builds it).
#[derive(rust_embed::Embed)]
#[folder = "$BLOCKFORGE_WEB_DIST"]
#[allow_missing = true]
struct Assets;

/// What a browser gets when the UI was not built.
const NOT_BUILT: &str = "<!doctype html><title>blockforge</title>\
<p>The web UI is not built. Run <code>make run</code> (it runs <code>npm ci</code> and \
<code>npm run build</code> in <code>web/</code>), or use the API under <code>/api</code>.</p>";

/// Serves the UI file `uri` names, `index.html` for other paths, a JSON 404 under `/api`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return super::error::not_found(uri).await.into_response();
    }
    let wanted = path.trim_start_matches('/');
    if let Some(file) = Assets::get(wanted).filter(|_| !wanted.is_empty()) {
        return file_response(wanted, file);
    }
    // A missing hashed asset is a real 404: answering it with index.html would hand the
    // browser HTML where it asked for a script.
    if wanted.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    match Assets::get("index.html") {
        Some(index) => file_response("index.html", index),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
}

fn file_response(path: &str, file: rust_embed::EmbeddedFile) -> Response {
    let mime = file.metadata.mimetype().to_owned();
    // Vite names the files under assets/ by their content hash: they never change.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
