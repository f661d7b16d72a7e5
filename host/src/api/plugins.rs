//! `GET /api/plugins` (every file of the plugins folder, loaded or failed with its error) and
//! `POST /api/plugins` (upload a `.wasm` block, validated before it is written).

use super::error::ErrorBody;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ApiError, AppState};

/// Largest plugin upload. Components built from Python or JavaScript carry their interpreter
/// and weigh tens of MiB.
pub const MAX_PLUGIN_BYTES: usize = 96 * 1024 * 1024;

/// The form of `POST /api/plugins`, as documented in the OpenAPI description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PluginUpload {
    /// The component, a `.wasm` file with a plain name.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// The files of the plugins folder with their outcome at the last scan.
#[utoipa::path(get, path = "/api/plugins", tag = "plugins", responses((status = 200, description = "Each .wasm file of the plugins folder: loaded (with its block type), loading, or failed (with its error)", body = Vec<serde_json::Value>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(
        state
            .registry
            .plugin_files()
            .iter()
            .map(|file| file.to_json())
            .collect(),
    )
}

/// Uploads a block: multipart `file`, a `.wasm` component. It is loaded (compiled, checked
/// against the world, described) before anything is written; then it is written atomically
/// into the plugins folder (replacing the file that provided the same block type, if any) and
/// the folder is rescanned. Answers 201 with the plugin file and its block.
#[utoipa::path(post, path = "/api/plugins", tag = "plugins", request_body(content = inline(PluginUpload), content_type = "multipart/form-data"), responses((status = 201, description = "Written and loaded: `{plugin, block}`", body = serde_json::Value), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Unusable content", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        ApiError::new(
            status,
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                "the plugin is too large"
            } else {
                "cannot read the upload"
            },
            json!({"message": e.body_text(), "limit_bytes": MAX_PLUGIN_BYTES}),
        )
    };
    let mut upload: Option<(String, axum::body::Bytes)> = None;
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            upload = Some((name, field.bytes().await.map_err(bad_form)?));
        }
    }
    let (file_name, bytes) = upload.ok_or_else(|| {
        ApiError::bad_request("a .wasm component is required in `file`", json!({}))
    })?;
    let Some(stem) = safe_stem(&file_name) else {
        return Err(ApiError::bad_request(
            "the file must be a .wasm component with a plain file name",
            json!({"file": file_name}),
        ));
    };
    if bytes.len() > MAX_PLUGIN_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the plugin is too large",
            json!({"file": file_name, "size_bytes": bytes.len(), "limit_bytes": MAX_PLUGIN_BYTES}),
        ));
    }
    let block = state
        .registry
        .runtime()
        .load(&bytes, &format!("upload {file_name}"))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the file is not a usable block",
                json!({"file": file_name, "message": e.to_string()}),
            )
        })?;
    let type_name = block.info.type_name.clone();
    let dir: &Path = &state.plugins_dir;
    let target = target_path(&state, dir, &type_name, &stem);
    write_atomically(dir, &target, bytes).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot write the plugin",
            json!({"path": target, "message": e.to_string()}),
        )
    })?;
    state.registry.sync_plugins_dir(dir).await;
    let file = state
        .registry
        .plugin_files()
        .into_iter()
        .find(|file| file.path == target)
        .map(|file| file.to_json())
        .unwrap_or(Value::Null);
    let registered = state
        .registry
        .list()
        .into_iter()
        .find(|r| r.block.info.type_name == type_name)
        .map(|r| r.to_json())
        .unwrap_or(Value::Null);
    Ok((
        StatusCode::CREATED,
        Json(json!({"plugin": file, "block": registered})),
    ))
}

/// The upload's file name without `.wasm`, when it is a plain name of safe characters.
fn safe_stem(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".wasm")?;
    let plain = !stem.is_empty()
        && stem.len() <= 100
        && !stem.starts_with('.')
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then(|| stem.to_owned())
}

/// Where an uploaded block of `type_name` goes: over the file that provides that type now, or
/// `<stem>.wasm` unless that name holds another block type, then `<type_name>.wasm`.
fn target_path(state: &AppState, dir: &Path, type_name: &str, stem: &str) -> PathBuf {
    let files = state.registry.plugin_files();
    let provides = |file: &crate::registry::PluginFile, wanted: &str| {
        file.block()
            .is_some_and(|block| block.info.type_name == wanted)
    };
    if let Some(current) = files.iter().find(|file| provides(file, type_name)) {
        return current.path.clone();
    }
    let named = dir.join(format!("{stem}.wasm"));
    // A file that failed to load may be overwritten; one that provides a block, or is still
    // loading, is kept.
    let taken = files
        .iter()
        .any(|file| file.path == named && file.error().is_none());
    if taken {
        dir.join(format!("{}.wasm", safe_type_file_name(type_name)))
    } else {
        named
    }
}

/// A file name made of the type name's safe characters.
fn safe_type_file_name(type_name: &str) -> String {
    type_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the component in one step, so the watcher never loads a half-written file.
async fn write_atomically(
    dir: &Path,
    target: &Path,
    bytes: axum::body::Bytes,
) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let target = target.to_owned();
    tokio::task::spawn_blocking(move || crate::atomic_file::write(&target, &bytes))
        .await
        .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_wasm_names_are_accepted() {
        assert_eq!(safe_stem("dedup.wasm").as_deref(), Some("dedup"));
        assert_eq!(
            safe_stem("my-block_v2.0.wasm").as_deref(),
            Some("my-block_v2.0")
        );
        assert_eq!(safe_stem("../evil.wasm"), None);
        assert_eq!(safe_stem("a/b.wasm"), None);
        assert_eq!(safe_stem(".hidden.wasm"), None);
        assert_eq!(safe_stem("block.txt"), None);
        assert_eq!(safe_stem(".wasm"), None);
    }
}
