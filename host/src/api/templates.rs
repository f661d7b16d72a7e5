//! `GET /api/templates` and `POST /api/pipelines/from_template/{id}`: the template gallery.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::pipeline_view::PipelineView;
use super::{ApiError, AppState};
use crate::engine::templates::{self, PipelineTemplate};
use crate::engine::validate::validate;

/// Every template: DataGenFlow's `{id, name, description, example_seed}`, plus the definition
/// (`blocks`, `constraints`) so a client can preview it.
#[utoipa::path(get, path = "/api/templates", tag = "templates", responses((status = 200, description = "Every template: `{id, name, description, example_seed, blocks, constraints}`", body = Vec<PipelineTemplate>), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list() -> Json<Vec<PipelineTemplate>> {
    Json(templates::all().to_vec())
}

/// A pipeline made from a template: the pipeline and the template's id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PipelineFromTemplate {
    /// The new pipeline.
    #[serde(flatten)]
    pub pipeline: PipelineView,
    /// The template it was made from.
    pub template_id: String,
}

/// Saves a new pipeline from the template `id` (200, as DataGenFlow answers, with the pipeline
/// and `template_id`).
#[utoipa::path(post, path = "/api/pipelines/from_template/{template_id}", tag = "templates", params(("template_id" = String, Path, description = "Template id")), responses((status = 200, description = "The new pipeline with `template_id`", body = PipelineFromTemplate), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn create_pipeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PipelineFromTemplate>, ApiError> {
    let template = templates::get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("template {id} not found"),
            json!({"template": id, "available": templates::all().iter().map(|t| &t.id).collect::<Vec<_>>()}),
        )
    })?;
    let pipeline = template.pipeline();
    // A template names builtin blocks; a plugin replacing one could make it invalid.
    validate(&pipeline, &state.registry).map_err(|e| {
        ApiError::bad_request(
            "the template is not valid with the blocks loaded",
            json!({"template": id, "issues": e.issues}),
        )
    })?;
    let definition = serde_json::to_value(&pipeline).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the pipeline",
            json!({"message": e.to_string()}),
        )
    })?;
    let row = state
        .store
        .create_pipeline(&pipeline.name, &definition)
        .await?;
    Ok(Json(PipelineFromTemplate {
        pipeline: PipelineView::new(&state, row),
        template_id: id,
    }))
}
