//! `POST /api/datasets/preview` and `POST /api/datasets/{name}/import`: a file sent as the raw
//! request body, spooled to an unnamed temporary file (never held in memory) up to
//! `MAX_DATASET_UPLOAD_BYTES`, then read row by row.

use std::ops::ControlFlow;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::super::error::ErrorBody;
use super::super::{ApiError, AppState};
use crate::datasets::Row;
use crate::datasets::import::{FileFormat, ReadOptions, read_file};
use crate::datasets::lineage::Lineage;
use crate::datasets::schema::SchemaSummary;
use crate::store::datasets::VersionRow;

/// The file's format and name.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `jsonl`, `json`, `csv` or `parquet`; when absent, from `file_name`'s extension.
    format: Option<String>,
    /// The file's name (kept in the lineage).
    file_name: Option<String>,
    /// Rows a preview shows (default 10, at most 100).
    rows: Option<usize>,
    /// CSV: read a cell holding a JSON object or list as that value (default false: text).
    json_cells: Option<bool>,
}

/// Rows a preview shows unless asked.
const PREVIEW_ROWS: usize = 10;

/// The most rows a preview shows.
const MAX_PREVIEW_ROWS: usize = 100;

impl UploadQuery {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            json_cells: self.json_cells.unwrap_or(false),
        }
    }

    fn format(&self) -> Result<FileFormat, ApiError> {
        let format = match (&self.format, &self.file_name) {
            (Some(name), _) => FileFormat::from_name(name),
            (None, Some(file)) => FileFormat::from_file_name(file),
            (None, None) => None,
        };
        format.ok_or_else(|| {
            ApiError::bad_request(
                "say the file's format with format= (or a file_name= with its extension)",
                json!({"format": self.format, "file_name": self.file_name, "supported": FileFormat::NAMES}),
            )
        })
    }
}

/// The body written to an unnamed temporary file, refused past `limit` bytes (413).
async fn spool(body: Body, limit: u64) -> Result<(std::fs::File, u64), ApiError> {
    let failed = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot write the upload to a temporary file",
            json!({"message": e.to_string()}),
        )
    };
    let file = tempfile::tempfile().map_err(failed)?;
    let mut writer = tokio::fs::File::from_std(file.try_clone().map_err(failed)?);
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "the upload could not be read",
                json!({"message": e.to_string()}),
            )
        })?;
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file is larger than MAX_DATASET_UPLOAD_BYTES ({limit} bytes)"),
                json!({"limit": limit, "setting": "MAX_DATASET_UPLOAD_BYTES"}),
            ));
        }
        writer.write_all(&chunk).await.map_err(failed)?;
    }
    writer.flush().await.map_err(failed)?;
    drop(writer);
    let mut file = file;
    std::io::Seek::rewind(&mut file).map_err(failed)?;
    Ok((file, bytes))
}

/// The first rows of a file with its detected chat or instruction format, before saving.
#[utoipa::path(post, path = "/api/datasets/preview", tag = "datasets", params(UploadQuery), request_body(content = String, description = "The file, as the raw body", content_type = "application/octet-stream"), responses((status = 200, description = "`{format, rows, fields, detected: {family: chat | instruction | other, format, field}}`", body = DatasetPreview), (status = 400, description = "The file does not parse: `detail` names the line or row", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 413, description = "Larger than MAX_DATASET_UPLOAD_BYTES", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Query(query): Query<UploadQuery>,
    body: Body,
) -> Result<Json<DatasetPreview>, ApiError> {
    let format = query.format()?;
    let options = query.options();
    let wanted = query
        .rows
        .unwrap_or(PREVIEW_ROWS)
        .clamp(1, MAX_PREVIEW_ROWS);
    let (file, _) = spool(body, state.max_dataset_upload_bytes).await?;
    let rows = tokio::task::spawn_blocking(move || {
        let mut rows: Vec<Row> = Vec::new();
        read_file(format, options, file, |row| {
            rows.push(row);
            if rows.len() >= wanted {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .map(|_| rows)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the preview reader failed",
            json!({"message": e.to_string()}),
        )
    })?
    .map_err(|e| ApiError::bad_request(e.to_string(), e.detail()))?;
    let mut fields = SchemaSummary::default();
    rows.iter().for_each(|row| fields.add(row));
    let detected = rows
        .first()
        .map(chat_formats::detect_row)
        .map_or_else(Detected::nothing, Detected::from);
    Ok(Json(DatasetPreview {
        format,
        rows,
        fields,
        detected,
    }))
}

/// The first rows of a file and what they look like.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatasetPreview {
    /// The file's format.
    pub format: FileFormat,
    /// Its first rows.
    #[schema(value_type = Vec<std::collections::HashMap<String, serde_json::Value>>)]
    pub rows: Vec<Row>,
    /// Their fields and types.
    pub fields: SchemaSummary,
    /// The chat or instruction format of the first row.
    pub detected: Detected,
}

/// [`Detected::family`]'s schema.
fn family_schema() -> utoipa::openapi::Object {
    crate::json::text_choices(&["chat", "instruction", "other"])
}

/// The chat or instruction format detected in a row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Detected {
    /// `chat`, `instruction` or `other`.
    #[schema(schema_with = family_schema)]
    pub family: &'static str,
    /// The format (`openai`, `sharegpt`, `alpaca`, ...), when one was recognised.
    pub format: Option<&'static str>,
    /// The row field holding it (null for Alpaca, whose fields are the row's own).
    pub field: Option<String>,
}

impl Detected {
    /// Nothing recognised (or no row).
    fn nothing() -> Self {
        Detected {
            family: "other",
            format: None,
            field: None,
        }
    }
}

impl From<chat_formats::Detection> for Detected {
    fn from(detection: chat_formats::Detection) -> Self {
        Detected {
            family: match detection.family {
                chat_formats::Family::Chat => "chat",
                chat_formats::Family::Instruction => "instruction",
                chat_formats::Family::Other => "other",
            },
            format: detection.format.map(chat_formats::Format::name),
            field: detection.field,
        }
    }
}

/// Imports a file as a new version of the dataset `name` (made when new). Nothing is saved
/// unless every row parses.
#[utoipa::path(post, path = "/api/datasets/{name}/import", tag = "datasets", params(("name" = String, Path, description = "Dataset name (made when new)"), UploadQuery), request_body(content = String, description = "The file, as the raw body", content_type = "application/octet-stream"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "The file does not parse: `detail` names the line or row", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 413, description = "Larger than MAX_DATASET_UPLOAD_BYTES", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    super::checked_name(&name)?;
    let format = query.format()?;
    let (file, bytes) = spool(body, state.max_dataset_upload_bytes).await?;
    let lineage = Lineage::Upload {
        file_name: query.file_name.clone(),
        format: format.name().to_owned(),
        bytes,
    };
    let version = state
        .store
        .import_file(&name, format, query.options(), file, &lineage)
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}
