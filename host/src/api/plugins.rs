//! `GET /api/plugins` (every file of the plugins folder, loaded or failed with its error) and
//! `POST /api/plugins` (upload a `.wasm` block, validated before it is written). An upload never
//! replaces a builtin block (unless `PLUGIN_OVERRIDES` names its type) and replaces another
//! plugin's block only when asked to (`replace=true`).

use super::error::ErrorBody;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde_json::json;

use super::{ApiError, AppState};
use crate::registry::views::{BlockView, PluginFileView};

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
    /// `true` to replace the plugin file that provides the same block type (default `false`:
    /// such an upload answers 409 naming that file).
    replace: Option<bool>,
}

/// The files of the plugins folder with their outcome at the last scan.
#[utoipa::path(get, path = "/api/plugins", tag = "plugins", responses((status = 200, description = "Each .wasm file of the plugins folder: loaded (with its block type), loading, or failed (with its error)", body = Vec<PluginFileView>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<PluginFileView>> {
    Json(
        state
            .registry
            .plugin_files()
            .iter()
            .map(|file| file.view())
            .collect(),
    )
}

/// `POST /api/plugins`'s answer: the file written and the block it provides, each as the lists
/// show them (null should a rescan from elsewhere have removed it meanwhile).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PluginUploaded {
    /// The plugin file, as `GET /api/plugins` shows it.
    pub plugin: Option<PluginFileView>,
    /// Its block, as `GET /api/blocks` shows it.
    pub block: Option<BlockView>,
}

/// Uploads a block: multipart `file`, a `.wasm` component, and optionally `replace`. It is
/// loaded (compiled, checked against the world, described) before anything is written. A block
/// type that is a builtin's is refused (409, unless `PLUGIN_OVERRIDES` names it); a type another
/// plugin file provides is refused (409 naming that file) unless `replace=true`, which writes
/// over that file. Otherwise the file is written atomically into the plugins folder and the
/// folder is rescanned. Uploads take turns from the checks to the rescan. Answers 201 with the
/// plugin file and its block.
#[utoipa::path(post, path = "/api/plugins", tag = "plugins", request_body(content = inline(PluginUpload), content_type = "multipart/form-data"), responses((status = 201, description = "Written and loaded: `{plugin, block}`", body = PluginUploaded), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 409, description = "The block type is a builtin's (`detail`: `file`, `type`, `builtin`, `setting`) or another plugin file's (`detail`: `file`, `type`, `provided_by`, `setting`); nothing was written", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody), (status = 422, description = "Unusable content", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<PluginUploaded>), ApiError> {
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        let status = super::error::multipart_status(&e);
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
    let mut replace = false;
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                upload = Some((name, field.bytes().await.map_err(bad_form)?));
            }
            Some("replace") => {
                let text = field.text().await.map_err(bad_form)?;
                replace = parse_replace(&text).ok_or_else(|| {
                    ApiError::bad_request("replace must be true or false", json!({"replace": text}))
                })?;
            }
            _ => {}
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
        .load(
            &bytes,
            &format!("upload {file_name}"),
            crate::grants::PluginId::of_file(Path::new(&file_name)),
        )
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the file is not a usable block",
                json!({"file": file_name, "message": e.to_string()}),
            )
        })?;
    let type_name = block.info.type_name.clone();
    let content_hash = block.content_hash.clone();
    // Dropped before the wait: a queued upload holds no compiled component.
    drop(block);
    let dir: &Path = &state.plugins_dir;
    let _one_upload = state.registry.lock_uploads().await;
    if let Some(refused) = state.registry.shadowing(&type_name, Path::new(&file_name)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            refused.to_string(),
            json!({
                "file": file_name,
                "type": type_name,
                "builtin": state.registry.builtin_crate(&type_name),
                "setting": crate::registry::PLUGIN_OVERRIDES,
            }),
        ));
    }
    if let Some(provider) = providing_file(&state, &type_name).filter(|_| !replace) {
        let provided_by = file_name_of(&provider);
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "block type {type_name} is already provided by the plugin file {provided_by}; \
                 upload with replace=true to replace it"
            ),
            json!({
                "file": file_name,
                "type": type_name,
                "provided_by": provided_by,
                "setting": "replace",
            }),
        ));
    }
    let target = target_path(&state, dir, &type_name, &stem, &content_hash);
    write_atomically(dir, &target, bytes).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot write the plugin",
            json!({"path": target, "message": e.to_string()}),
        )
    })?;
    // The rescan runs in a task of its own: a client that hangs up does not cancel the load
    // of the file it just wrote.
    let rescan = {
        let (registry, dir) = (state.registry.clone(), dir.to_owned());
        tokio::spawn(async move { registry.sync_plugins_dir(&dir).await })
    };
    let _ = rescan.await;
    let file = state
        .registry
        .plugin_files()
        .into_iter()
        .find(|file| file.path == target)
        .map(|file| file.view());
    let registered = state
        .registry
        .list()
        .into_iter()
        .find(|r| r.block.info.type_name == type_name)
        .map(|r| r.view());
    Ok((
        StatusCode::CREATED,
        Json(PluginUploaded {
            plugin: file,
            block: registered,
        }),
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

/// `replace`'s value: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
fn parse_replace(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The plugin file that provides `type_name` now, if one does.
fn providing_file(state: &AppState, type_name: &str) -> Option<PathBuf> {
    state
        .registry
        .plugin_files()
        .into_iter()
        .find(|file| {
            file.block()
                .is_some_and(|block| block.info.type_name == type_name)
        })
        .map(|file| file.path)
}

/// A path's file name, for messages.
fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Where an uploaded block of `type_name` goes: over the file that provides that type now
/// (the caller checked that it may), or the first of `<stem>.wasm`, `<type_name>.wasm` that
/// holds no other plugin's block, else `<type_name>-<content hash>.wasm`: never over another
/// plugin's file.
fn target_path(
    state: &AppState,
    dir: &Path,
    type_name: &str,
    stem: &str,
    content_hash: &str,
) -> PathBuf {
    if let Some(current) = providing_file(state, type_name) {
        return current;
    }
    let files = state.registry.plugin_files();
    // A file that failed to load may be overwritten; one that provides a block, or is still
    // loading, is another plugin's and is kept.
    let free = |path: &Path| {
        !files
            .iter()
            .any(|file| file.path == path && file.error().is_none())
    };
    let type_file = safe_type_file_name(type_name);
    let hash = content_hash.get(..12).unwrap_or(content_hash);
    [
        dir.join(format!("{stem}.wasm")),
        dir.join(format!("{type_file}.wasm")),
    ]
    .into_iter()
    .find(|path| free(path))
    .unwrap_or_else(|| dir.join(format!("{type_file}-{hash}.wasm")))
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

    #[test]
    fn replace_takes_yes_or_no_and_nothing_else() {
        for yes in ["true", "TRUE", " 1", "yes", "on"] {
            assert_eq!(parse_replace(yes), Some(true), "{yes}");
        }
        for no in ["false", "0", "no", "off", "False"] {
            assert_eq!(parse_replace(no), Some(false), "{no}");
        }
        for bad in ["", "maybe", "2", "truee"] {
            assert_eq!(parse_replace(bad), None, "{bad}");
        }
    }
}
