//! `GET /api/datasets/{name}/export`: a version's rows as JSON Lines, one JSON list or CSV,
//! streamed a page at a time, as Parquet, or the whole dataset as a zip in the Hub's layout;
//! `GET /api/datasets/{name}/card`: the dataset card (README.md with the Hub's YAML front
//! matter).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::super::error::ErrorBody;
use super::super::{ApiError, AppState};
use crate::datasets::card::CardMeta;
use crate::datasets::export::ExportFormat;
use crate::store::Store;
use crate::store::dataset_export::ParquetExportError;
use crate::store::dataset_hub::HubExportError;
use crate::store::datasets::{VersionRow, complete};

/// Rows read per page.
const PAGE: i64 = 1000;

/// Which version, in which format.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The version (default: the newest).
    version: Option<i64>,
    /// CSV: `false` writes text cells that start with `=`, `+`, `-`, `@` as they are
    /// (default true: with a `'` before them, against formula injection).
    formula_guard: Option<bool>,
    /// `jsonl` (the default), `json`, `csv`, `parquet`, or `hub`: every split with the card
    /// as a zip laid out like a Hub dataset repository (`version` is not used; the card's
    /// `license`, `language` and `task_categories` are).
    format: Option<String>,
}

/// The rows of `version`, page by page.
fn rows_body(store: Store, version: VersionRow, format: ExportFormat) -> Body {
    let columns: Vec<String> = version
        .schema
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let head = format.header(&columns);
    let tail = format.footer();
    // (last position written, rows written, finished)
    let pages = futures::stream::unfold((-1i64, 0i64, false), move |(after, read, done)| {
        let (store, columns) = (store.clone(), columns.clone());
        async move {
            if done {
                return None;
            }
            let rows = match store.dataset_rows(version.id, after, PAGE).await {
                Ok(rows) => rows,
                Err(e) => {
                    return Some((
                        Err(std::io::Error::other(e.to_string())),
                        (after, read, true),
                    ));
                }
            };
            let next = rows.last().map_or(after, |r| r.position);
            let read = read + rows.len() as i64;
            let last = (rows.len() as i64) < PAGE;
            // A version deleted while it is read ends the body with an error (the client sees
            // a broken download), never a short file that looks complete.
            if last && let Err(e) = complete("dataset version", version.id, version.row_count, read)
            {
                return Some((
                    Err(std::io::Error::other(e.to_string())),
                    (next, read, true),
                ));
            }
            let bytes = format.page(rows.iter().map(|r| &r.row), &columns, after < 0);
            Some((bytes, (next, read, last)))
        }
    });
    let head = futures::stream::once(async move { head });
    let tail = futures::stream::once(async move { Ok::<_, std::io::Error>(tail) });
    Body::from_stream(futures::StreamExt::chain(
        futures::StreamExt::chain(head, pages),
        tail,
    ))
}

/// A version's rows as a file download.
#[utoipa::path(get, path = "/api/datasets/{name}/export", tag = "datasets", params(("name" = String, Path, description = "Dataset name"), ExportQuery, CardMetaQuery), responses((status = 200, description = "The rows, streamed: JSON Lines, one JSON list, or CSV (columns in the schema's order; nested values as JSON), Parquet, or (format=hub) a zip of README.md and data/<split>-00000-of-00001.parquet", content((String = "application/x-ndjson"), (Vec<std::collections::HashMap<String, serde_json::Value>> = "application/json"), (String = "text/csv"), (String = "application/vnd.apache.parquet"), (String = "application/zip"))), (status = 409, description = "The version was deleted while it was read", body = ErrorBody), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<ExportQuery>,
    Query(card): Query<CardMetaQuery>,
) -> Result<Response, ApiError> {
    let asked = query.format.as_deref().unwrap_or("jsonl");
    if asked == "parquet" {
        let version = state.store.dataset_version(&name, query.version).await?;
        return parquet(&state.store, &version).await;
    }
    if asked == "hub" {
        return hub_zip(&state.store, &name, &card.meta()).await;
    }
    let format = ExportFormat::from_name(asked)
        .ok_or_else(|| {
            let supported = [ExportFormat::NAMES, &["parquet", "hub"]].concat();
            ApiError::bad_request(
                "unsupported export format",
                json!({"format": asked, "supported": supported}),
            )
        })?
        .formula_guard(query.formula_guard.unwrap_or(true));
    let version = state.store.dataset_version(&name, query.version).await?;
    let file_name = format!("{name}-v{}.{}", version.number, format.extension());
    let mut response = rows_body(state.store.clone(), version, format).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(format.content_type()),
    );
    // Dataset names are ASCII letters, digits, `-`, `_` and `.`: safe in a header.
    if let Ok(value) =
        header::HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn failed(what: &'static str) -> impl Fn(String) -> ApiError {
    move |e: String| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the {what} export failed"),
            json!({"message": e}),
        )
    }
}

/// `version` as a Parquet download: written to an unnamed temporary file (a Parquet footer
/// comes after every row group), then streamed from it.
async fn parquet(store: &Store, version: &VersionRow) -> Result<Response, ApiError> {
    let failed = failed("Parquet");
    let file = tempfile::tempfile().map_err(|e| failed(e.to_string()))?;
    let out = std::io::BufWriter::new(file.try_clone().map_err(|e| failed(e.to_string()))?);
    let out = match store.write_parquet(version, out).await {
        Ok(out) => out,
        Err(ParquetExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(failed(e.to_string())),
    };
    out.into_inner().map_err(|e| failed(e.to_string()))?;
    let file_name = format!("{}-v{}.parquet", version.dataset, version.number);
    download(file, "application/vnd.apache.parquet", &file_name, failed).await
}

/// Every split of `name` with its card, as a zip in the Hub's layout: written to an unnamed
/// temporary file (a zip's directory comes last), then streamed from it.
async fn hub_zip(store: &Store, name: &str, meta: &CardMeta) -> Result<Response, ApiError> {
    let failed = failed("Hub");
    let file = tempfile::tempfile().map_err(|e| failed(e.to_string()))?;
    let out = std::io::BufWriter::new(file.try_clone().map_err(|e| failed(e.to_string()))?);
    let out = match store.write_hub_zip(name, meta, out).await {
        Ok(out) => out,
        Err(HubExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(failed(e.to_string())),
    };
    out.into_inner().map_err(|e| failed(e.to_string()))?;
    download(file, "application/zip", &format!("{name}.zip"), failed).await
}

/// The whole of `file` as a download named `file_name`, streamed from its start.
async fn download(
    file: std::fs::File,
    content_type: &'static str,
    file_name: &str,
    failed: impl Fn(String) -> ApiError,
) -> Result<Response, ApiError> {
    let mut file = tokio::fs::File::from_std(file);
    tokio::io::AsyncSeekExt::rewind(&mut file)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let chunks = futures::stream::unfold(file, |mut file| async move {
        let mut chunk = vec![0u8; 256 * 1024];
        match tokio::io::AsyncReadExt::read(&mut file, &mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok::<_, std::io::Error>(chunk), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if let Ok(value) =
        header::HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Which version the card describes.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    /// The version (default: the newest, or the splits made by the newest `split`).
    version: Option<i64>,
}

/// What the card says beside what the store knows.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardMetaQuery {
    /// The license id (default `other`).
    license: Option<String>,
    /// Comma-separated language codes.
    language: Option<String>,
    /// Comma-separated Hub task categories.
    task_categories: Option<String>,
}

fn list(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl CardMetaQuery {
    pub(super) fn meta(&self) -> CardMeta {
        CardMeta {
            license: self.license.clone().filter(|l| !l.trim().is_empty()),
            language: list(&self.language),
            task_categories: list(&self.task_categories),
        }
    }
}

/// The dataset card: Markdown with the Hugging Face Hub's YAML front matter.
#[utoipa::path(get, path = "/api/datasets/{name}/card", tag = "datasets", params(("name" = String, Path, description = "Dataset name"), CardQuery, CardMetaQuery), responses((status = 200, description = "README.md: YAML front matter (license, language, task_categories, size_categories, dataset_info features and splits) and how the data was made", content_type = "text/markdown", body = String), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn card(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<CardQuery>,
    Query(meta): Query<CardMetaQuery>,
) -> Result<Response, ApiError> {
    let card = state
        .store
        .dataset_card(&name, query.version, &meta.meta())
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        card,
    )
        .into_response())
}
