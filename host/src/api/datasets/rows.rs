//! `GET /api/datasets/{name}/rows`: a version's rows a page at a time, optionally only those
//! whose fields equal given values; `PUT /api/datasets/{name}/rows/{position}`: an edited row,
//! saved as a new version (the old one is kept as it was).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::error::ErrorBody;
use super::super::{ApiError, AppState};
use crate::datasets::Row;
use crate::datasets::lineage::{Lineage, VersionRef};
use crate::store::datasets::{PositionedRow, VersionRow};

/// Which rows.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsQuery {
    /// The version's number (default: the newest).
    version: Option<i64>,
    /// Rows after this position (default: from the start).
    after: Option<i64>,
    /// Rows per page (default 50, at most 1000).
    limit: Option<i64>,
    /// A JSON object `{field: value}`: only rows whose fields equal these values.
    #[serde(rename = "where")]
    filter: Option<String>,
}

/// The largest page.
const MAX_PAGE: i64 = 1000;

/// Rows one filtered request reads at most before it answers with what it found and where to
/// go on (`next_after`), so a filter that matches little never makes a request scan a whole
/// large version.
const MAX_SCANNED: i64 = 20_000;

/// Rows read from the store at a time while filtering.
const SCAN_PAGE: i64 = 1000;

fn matches(row: &Row, filter: &Row) -> bool {
    filter
        .iter()
        .all(|(field, value)| row.get(field) == Some(value))
}

/// A page of rows: `{dataset, version, row_count, rows: [{position, row}], next_after}`;
/// `next_after` is `null` at the end.
#[utoipa::path(get, path = "/api/datasets/{name}/rows", tag = "datasets", params(("name" = String, Path, description = "Dataset name"), RowsQuery), responses((status = 200, description = "`{dataset, version, row_count, rows: [{position, row}], next_after}`", body = RowsPage), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<RowsQuery>,
) -> Result<Json<RowsPage>, ApiError> {
    let filter: Option<Row> = match &query.filter {
        None => None,
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(filter)) => Some(filter),
            _ => {
                return Err(ApiError::bad_request(
                    "where= must be a JSON object {field: value}",
                    json!({"where": text}),
                ));
            }
        },
    };
    let version = state.store.dataset_version(&name, query.version).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let mut after = query.after.unwrap_or(-1);
    let mut rows = Vec::new();
    let next_after = match &filter {
        None => {
            rows = state.store.dataset_rows(version.id, after, limit).await?;
            rows.last()
                .filter(|_| rows.len() as i64 == limit)
                .map(|last| last.position)
                .filter(|position| position + 1 < version.row_count)
        }
        Some(filter) => {
            let mut scanned = 0;
            loop {
                let page = state
                    .store
                    .dataset_rows(version.id, after, SCAN_PAGE)
                    .await?;
                if page.is_empty() {
                    break None;
                }
                let end = page.len() < SCAN_PAGE as usize;
                for row in page {
                    scanned += 1;
                    after = row.position;
                    if matches(&row.row, filter) {
                        rows.push(row);
                        if rows.len() as i64 == limit {
                            break;
                        }
                    }
                }
                if rows.len() as i64 == limit || scanned >= MAX_SCANNED {
                    break (after + 1 < version.row_count).then_some(after);
                }
                if end {
                    break None;
                }
            }
        }
    };
    Ok(Json(RowsPage {
        dataset: name,
        version: version.number,
        row_count: version.row_count,
        rows,
        next_after,
    }))
}

/// A page of a version's rows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowsPage {
    /// The dataset.
    pub dataset: String,
    /// The version's number.
    pub version: i64,
    /// Rows in the version.
    pub row_count: i64,
    /// This page's rows, in order.
    pub rows: Vec<PositionedRow>,
    /// Where the next page starts (`after=`); null at the end.
    pub next_after: Option<i64>,
}

/// Which version an edit starts from.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EditQuery {
    /// The version edited (default: the newest).
    version: Option<i64>,
}

/// Replaces one row, making a new version with every other row as it was.
#[utoipa::path(put, path = "/api/datasets/{name}/rows/{position}", tag = "datasets", params(("name" = String, Path, description = "Dataset name"), ("position" = i64, Path, description = "The row's position, from 0"), EditQuery), request_body(content = Object, description = "The new row, a JSON object"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset, version or row", body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    Path((name, position)): Path<(String, i64)>,
    Query(query): Query<EditQuery>,
    Json(row): Json<Value>,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    let Value::Object(row) = row else {
        return Err(ApiError::bad_request(
            "a row is a JSON object",
            json!({"found": crate::json::json_type(&row)}),
        ));
    };
    let parent = state.store.dataset_version(&name, query.version).await?;
    if position < 0 || position >= parent.row_count {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("version {} has no row {position}", parent.number),
            json!({"position": position, "row_count": parent.row_count}),
        ));
    }
    let lineage = Lineage::Operation {
        operation: "edit".to_owned(),
        inputs: vec![VersionRef::new(&name, parent.number, parent.id)],
        params: json!({"position": position}),
    };
    let old = state
        .store
        .dataset_rows(parent.id, position - 1, 1)
        .await?
        .pop()
        .map(|stored| stored.row)
        .unwrap_or_default();
    let mut schema = parent.schema.clone();
    schema.remove(&old);
    schema.add(&row);
    // The parent's rows are copied in the database, then the one row replaced.
    let mut pending = state
        .store
        .begin_version(&name, Some(parent.id), &lineage)
        .await?;
    let written = async {
        state.store.copy_dataset_rows(&mut pending, &parent).await?;
        state
            .store
            .replace_dataset_row(&pending, position, &row)
            .await
    }
    .await;
    let version = match written {
        Ok(()) => state.store.finish_version(pending, &schema, None).await?,
        Err(e) => {
            if let Err(removal) = state.store.abandon_version(pending).await {
                tracing::warn!(error = %removal, "could not remove an unfinished dataset version");
            }
            return Err(e.into());
        }
    };
    Ok((StatusCode::CREATED, Json(version)))
}
