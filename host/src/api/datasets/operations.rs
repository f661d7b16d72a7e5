//! `POST /api/datasets/{name}/convert`, `/sample`, `/split` and `POST /api/datasets/merge`:
//! each makes new versions with their lineage, and nothing when it fails.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chat_formats::Format;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::error::ErrorBody;
use super::super::{ApiError, AppState};
use super::checked_name;
use crate::datasets::dedup::Dedup;
use crate::datasets::near_duplicates::NearOptions;
use crate::store::dataset_operations::{Conversion, OperationError};
use crate::store::datasets::VersionRow;

impl From<OperationError> for ApiError {
    fn from(e: OperationError) -> Self {
        match e {
            OperationError::Store(e) => e.into(),
            OperationError::Row {
                position,
                ref message,
                ref pointer,
            } => ApiError::bad_request(
                e.to_string(),
                json!({"position": position, "message": message, "pointer": pointer}),
            ),
            OperationError::Invalid(message) => ApiError::bad_request(message, json!({})),
        }
    }
}

fn format_named(name: &str, what: &str) -> Result<Format, ApiError> {
    name.parse::<Format>().map_err(|_| {
        ApiError::bad_request(
            format!("unknown {what} format {name:?}"),
            json!({what: name, "supported": Format::ALL.map(Format::name)}),
        )
    })
}

/// A conversion.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConvertBody {
    /// The version converted (default: the newest).
    version: Option<i64>,
    /// The rows' format (`openai`, `sharegpt`, `alpaca`, `alpaca_system`, `chatml`, `vicuna`,
    /// `llama3`); absent or `auto`: detected from the first row.
    from: Option<String>,
    /// The format written.
    to: String,
}

/// Converts every row between chat and instruction formats (the ChatFormatConverter block's
/// code), as a new version of the same dataset.
#[utoipa::path(post, path = "/api/datasets/{name}/convert", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), request_body(content = ConvertBody, description = "`{version, from, to}`"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "A row does not convert (`detail.position`), or a bad format", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn convert(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<ConvertBody>,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    let from = match body.from.as_deref() {
        None | Some("auto") => None,
        Some(from) => Some(format_named(from, "from")?),
    };
    let to = format_named(&body.to, "to")?;
    let source = state.store.dataset_version(&name, body.version).await?;
    let version = state
        .store
        .convert_version(&source, &Conversion { from, to })
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// One input of a merge.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct VersionChoice {
    /// The dataset.
    dataset: String,
    /// Its version (default: the newest).
    version: Option<i64>,
}

/// A merge.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeBody {
    /// The versions merged, in order.
    inputs: Vec<VersionChoice>,
    /// The dataset the merge is a new version of (made when new).
    into: String,
    /// `none` (the default); `exact`: leave out rows equal to one already taken (the same
    /// fields and values, in any key order); `near`: those, and rows whose text is a
    /// near-duplicate of a row already taken (MinHash + LSH over word shingles, decided by the
    /// Jaccard similarity, as the MinHashDedup block does).
    dedup: Option<String>,
    /// With `dedup: near`: how rows are compared (every option has a default).
    near: Option<NearBody>,
}

/// The near-duplicate options of a merge.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NearBody {
    /// Jaccard similarity of the word-shingle sets (above 0, at most 1) at or above which a row
    /// is left out (default 0.8).
    threshold: Option<f64>,
    /// The fields whose text is compared, in order (default: every string value of the row,
    /// fields in key order, inside lists and objects too).
    fields: Option<Vec<String>>,
    /// Words per shingle, 1 to 16 (default 3).
    shingle_size: Option<usize>,
    /// LSH bands, 1 to 512 (default 20).
    bands: Option<usize>,
    /// MinHash functions per band, 1 to 64 (default 5).
    rows: Option<usize>,
}

impl NearBody {
    fn options(self) -> NearOptions {
        let defaults = NearOptions::default();
        NearOptions {
            threshold: self.threshold.unwrap_or(defaults.threshold),
            fields: self.fields.or(defaults.fields),
            shingle_size: self.shingle_size.unwrap_or(defaults.shingle_size),
            bands: self.bands.unwrap_or(defaults.bands),
            rows: self.rows.unwrap_or(defaults.rows),
        }
    }
}

/// The dedup a merge body asks for.
fn dedup_of(dedup: Option<&str>, near: Option<NearBody>) -> Result<Dedup, ApiError> {
    let dedup = match (dedup.unwrap_or("none"), near) {
        ("none", None) => Dedup::None,
        ("exact", None) => Dedup::Exact,
        ("near", near) => Dedup::Near(near.map_or_else(NearOptions::default, NearBody::options)),
        (other @ ("none" | "exact"), Some(_)) => {
            return Err(ApiError::bad_request(
                "near-duplicate options are given with dedup: near only",
                json!({"dedup": other}),
            ));
        }
        (other, _) => {
            return Err(ApiError::bad_request(
                "dedup must be none, exact or near",
                json!({"dedup": other, "supported": ["none", "exact", "near"]}),
            ));
        }
    };
    if let Dedup::Near(options) = &dedup {
        options
            .check()
            .map_err(|message| ApiError::bad_request(message, json!({"near": options})))?;
    }
    Ok(dedup)
}

/// Merges versions into a new version of `into`.
#[utoipa::path(post, path = "/api/datasets/merge", tag = "datasets", request_body(content = MergeBody, description = "`{inputs: [{dataset, version}], into, dedup: none | exact | near, near: {threshold, fields, shingle_size, bands, rows}}`"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    Json(body): Json<MergeBody>,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    checked_name(&body.into)?;
    let dedup = dedup_of(body.dedup.as_deref(), body.near)?;
    let mut inputs = Vec::with_capacity(body.inputs.len());
    for input in &body.inputs {
        inputs.push(
            state
                .store
                .dataset_version(&input.dataset, input.version)
                .await?,
        );
    }
    let version = state
        .store
        .merge_versions(&inputs, &body.into, &dedup)
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// A sample.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SampleBody {
    /// The version sampled (default: the newest).
    version: Option<i64>,
    /// Rows to take (all when the version has fewer).
    n: u64,
    /// The random seed (default 0).
    seed: Option<u64>,
    /// A field: each of its values gets its share of `n` in proportion to its rows.
    stratify_by: Option<String>,
    /// The dataset the sample is a new version of (default: this one).
    into: Option<String>,
}

/// Samples rows, randomly with a seed or stratified by a field, as a new version.
#[utoipa::path(post, path = "/api/datasets/{name}/sample", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), request_body(content = SampleBody, description = "`{version, n, seed, stratify_by, into}`"), responses((status = 201, description = "The new version", body = VersionRow), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn sample(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<SampleBody>,
) -> Result<(StatusCode, Json<VersionRow>), ApiError> {
    let into = body.into.clone().unwrap_or_else(|| name.clone());
    checked_name(&into)?;
    let source = state.store.dataset_version(&name, body.version).await?;
    let version = state
        .store
        .sample_version(
            &source,
            body.n,
            body.seed.unwrap_or(0),
            body.stratify_by.as_deref(),
            &into,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// A split.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SplitBody {
    /// The version split (default: the newest).
    version: Option<i64>,
    /// Split name → fraction (default `{"train": 0.8, "validation": 0.1, "test": 0.1}`).
    #[schema(value_type = Object)]
    fractions: Option<serde_json::Map<String, Value>>,
    /// The random seed (default 0).
    seed: Option<u64>,
}

/// Splits a version after a seeded shuffle into the datasets `<name>.<split>` (a new version
/// of each).
#[utoipa::path(post, path = "/api/datasets/{name}/split", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), request_body(content = SplitBody, description = "`{version, fractions: {train, validation, test}, seed}`"), responses((status = 201, description = "The new versions, one per split", body = Vec<VersionRow>), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset or version", body = ErrorBody)))]
pub async fn split(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<SplitBody>,
) -> Result<(StatusCode, Json<Vec<VersionRow>>), ApiError> {
    let fractions: Vec<(String, f64)> = match &body.fractions {
        None => vec![
            ("train".to_owned(), 0.8),
            ("validation".to_owned(), 0.1),
            ("test".to_owned(), 0.1),
        ],
        Some(given) => given
            .iter()
            .map(|(split, fraction)| {
                fraction
                    .as_f64()
                    .map(|f| (split.clone(), f))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "each split's fraction is a number",
                            json!({"split": split, "fraction": fraction}),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    for (split, _) in &fractions {
        checked_name(&format!("{name}.{split}"))?;
    }
    let source = state.store.dataset_version(&name, body.version).await?;
    let versions = state
        .store
        .split_version(&source, &fractions, body.seed.unwrap_or(0), &name)
        .await?;
    Ok((StatusCode::CREATED, Json(versions)))
}
