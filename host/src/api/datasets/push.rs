//! `POST /api/datasets/{name}/push`: the whole dataset (every split as Parquet and its card,
//! the layout of `export?format=hub`) committed to a Hugging Face Hub dataset repository.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::super::error::ErrorBody;
use super::super::{ApiError, AppState};
use crate::datasets::card::CardMeta;
use crate::hub::{HubClient, HubError, PushOptions, Pushed, RepoId, Token};
use crate::store::dataset_hub::HubExportError;
use crate::store::dataset_push::PushError;

/// A push.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PushBody {
    /// The Hub dataset repository, `owner/name` (created when missing).
    repo: String,
    /// A Hub token with write access (default: the server's `HF_TOKEN`). Used for this push
    /// only: never stored or logged.
    token: Option<String>,
    /// Create the repository private (default false; an existing one keeps its visibility).
    #[serde(default)]
    private: bool,
    /// The commit's summary (default `Upload <name> from blockforge`).
    message: Option<String>,
    /// The card's license id (default `other`).
    license: Option<String>,
    /// The card's language codes.
    #[serde(default)]
    language: Vec<String>,
    /// The card's Hub task categories.
    #[serde(default)]
    task_categories: Vec<String>,
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        let message = e.to_string();
        match e {
            HubError::BadRepo(repo) => ApiError::bad_request(message, json!({"repo": repo})),
            HubError::BadEndpoint { endpoint, .. } => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                message,
                json!({"endpoint": endpoint}),
            ),
            HubError::Client(_) | HubError::Io { .. } => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message, json!({}))
            }
            answered => ApiError::new(
                StatusCode::BAD_GATEWAY,
                message,
                json!({"step": answered.step(), "hub_status": answered.hub_status()}),
            ),
        }
    }
}

impl From<PushError> for ApiError {
    fn from(e: PushError) -> Self {
        match e {
            PushError::Hub(e) => e.into(),
            PushError::Export(HubExportError::Store(e)) => e.into(),
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the push failed before it reached the Hub",
                json!({"message": other.to_string()}),
            ),
        }
    }
}

/// Commits every split of the dataset (Parquet) and its card to a Hub dataset repository.
#[utoipa::path(post, path = "/api/datasets/{name}/push", tag = "datasets", params(("name" = String, Path, description = "Dataset name")), request_body(content = PushBody, description = "`{repo, token, private, message, license, language, task_categories}`"), responses((status = 200, description = "The commit made: the repository, whether it was created, the files (README.md, data/<split>-00000-of-00001.parquet)", body = Pushed), (status = 400, description = "A bad repository id, or no token (neither in the body nor HF_TOKEN)", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No such dataset", body = ErrorBody), (status = 502, description = "The Hub refused (`detail.hub_status`: 401 a bad token, 404 no such repository, 5xx the Hub failed) or could not be reached; `detail.step` says where", body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<PushBody>,
) -> Result<Json<Pushed>, ApiError> {
    let repo: RepoId = body.repo.parse()?;
    let token = match body.token.as_deref() {
        Some(token) => Token::new(token),
        None => state.hub.token.clone(),
    }
    .ok_or_else(|| {
        ApiError::bad_request(
            "no Hugging Face Hub token: give `token`, or set HF_TOKEN for the server",
            json!({"repo": repo.to_string()}),
        )
    })?;
    let client = HubClient::new(&state.hub.endpoint, token)?;
    let meta = CardMeta {
        license: body.license.filter(|l| !l.trim().is_empty()),
        language: body.language,
        task_categories: body.task_categories,
    };
    let options = PushOptions {
        private: body.private,
        summary: body
            .message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| format!("Upload {name} from blockforge")),
    };
    let pushed = state
        .store
        .push_to_hub(&name, &meta, &client, &repo, &options)
        .await?;
    Ok(Json(pushed))
}
