//! The state fields of a saved pipeline: `GET /api/pipelines/{id}/accumulated_state_schema`
//! (what each step makes available), `PUT /api/pipelines/{id}/validation_config` (the order
//! the review page shows them in) and `POST /api/seeds/validate` (what seeds must provide).

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::engine::fields::{StateFields, state_fields};
use crate::engine::seed_check::{SeedReport, capped, check_seeds};
use crate::engine::work_limits::check_blocks;
use crate::store::pipelines::ValidationConfig;

/// The groups of DataGenFlow's `field_order`.
const FIELD_GROUPS: [&str; 3] = ["primary", "secondary", "hidden"];

async fn fields_of(state: &AppState, id: i64) -> Result<StateFields, ApiError> {
    let pipeline = super::pipelines::saved_pipeline(state, id).await?;
    // The work is per block and per field: bounded before any is done.
    check_blocks(pipeline.blocks.len(), state.registry.runtime().limits())?;
    Ok(state_fields(&pipeline, &state.registry)?)
}

/// DataGenFlow's `{"fields": [...]}` (every field of the final state, sorted), with the seed
/// fields and the fields after each step.
#[utoipa::path(get, path = "/api/pipelines/{id}/accumulated_state_schema", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), responses((status = 200, description = "`{fields, seed_fields, steps}`: the state fields after each block", body = StateFields), (status = 400, description = "The pipeline passes MAX_PIPELINE_BLOCKS, or its schema would be too long", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn accumulated_state_schema(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateFields>, ApiError> {
    Ok(Json(fields_of(&state, id).await?))
}

/// Checks DataGenFlow's `{"field_order": {"primary": [...], "secondary": [...], "hidden":
/// [...]}}`: each group a list of field names, no field in two groups.
fn check_validation_config(config: &Value) -> Result<(), ApiError> {
    let bad = |message: &str, detail: Value| Err(ApiError::bad_request(message, detail));
    let Some(order) = config.get("field_order") else {
        return bad(
            "validation_config must have a field_order object",
            json!({"expected": {"field_order": {"primary": [], "secondary": [], "hidden": []}}}),
        );
    };
    if !order.is_object() {
        return bad(
            "field_order must be an object",
            json!({"field": "field_order"}),
        );
    }
    let mut seen = std::collections::HashMap::new();
    for group in FIELD_GROUPS {
        let Some(fields) = order.get(group).and_then(Value::as_array) else {
            return bad(
                "field_order needs primary, secondary and hidden lists",
                json!({"group": group}),
            );
        };
        for field in fields {
            let Some(name) = field.as_str() else {
                return bad(
                    "field_order lists hold field names (strings)",
                    json!({"group": group, "value": field}),
                );
            };
            if let Some(first) = seen.insert(name.to_owned(), group) {
                return bad(
                    "a field may be in one group only",
                    json!({"field": name, "groups": [first, group]}),
                );
            }
        }
    }
    Ok(())
}

/// Stores the review settings of a pipeline (returned with the pipeline afterwards); answers
/// DataGenFlow's `{"success": true}` with the stored config.
#[utoipa::path(put, path = "/api/pipelines/{id}/validation_config", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), request_body(content = serde_json::Value, description = "`{field_order: {primary, secondary, hidden}}`"), responses((status = 200, description = "Stored", body = ValidationConfigStored), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn put_validation_config(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(config): Json<Value>,
) -> Result<Json<ValidationConfigStored>, ApiError> {
    check_validation_config(&config)?;
    state.store.set_validation_config(id, &config).await?;
    Ok(Json(ValidationConfigStored {
        success: true,
        validation_config: config,
    }))
}

/// `PUT /api/pipelines/{id}/validation_config`'s answer: DataGenFlow's `success`, with the
/// config as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValidationConfigStored {
    /// Always true.
    pub success: bool,
    /// The config stored.
    #[schema(value_type = ValidationConfig)]
    pub validation_config: Value,
}

/// `POST /api/seeds/validate`'s answer: the report and the pipeline it was checked against.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeedValidation {
    /// What the seeds lack, seed by seed.
    #[serde(flatten)]
    pub report: SeedReport,
    /// The pipeline checked against.
    pub pipeline_id: i64,
}

/// Checks seeds against a saved pipeline: DataGenFlow's `{pipeline_id, seeds}` in,
/// `{valid, errors, warnings}` out, with the required fields and each seed's problems.
#[utoipa::path(post, path = "/api/seeds/validate", tag = "seeds", request_body(content = serde_json::Value, description = "`{pipeline_id, seeds}`"), responses((status = 200, description = "`{valid, errors, warnings, required_fields, total_runs, seeds, pipeline_id}`", body = SeedValidation), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn validate_seeds(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Json<SeedValidation>, ApiError> {
    let Some(pipeline_id) = body.get("pipeline_id").and_then(Value::as_i64) else {
        return Err(ApiError::bad_request(
            "pipeline_id (an integer) is required",
            json!({"expected": {"pipeline_id": 1, "seeds": [{"repetitions": 1, "metadata": {}}]}}),
        ));
    };
    let Some(seeds) = body.get("seeds").and_then(Value::as_array) else {
        return Err(ApiError::bad_request(
            "seeds (a list of {repetitions, metadata}) is required",
            json!({"field": "seeds"}),
        ));
    };
    let fields = fields_of(&state, pipeline_id).await?;
    let mut report = check_seeds(seeds, &fields.seed_fields);
    let mut notes = Vec::new();
    for step in &fields.steps {
        for issue in &step.template_errors {
            notes.push(format!(
                "step {} ({}): the template in '{}' does not parse: {}",
                step.step, step.block_type, issue.field, issue.message
            ));
        }
        if !step.known {
            notes.push(format!(
                "step {} ({}): unknown block type; fields it and later blocks read are not checked",
                step.step, step.block_type
            ));
        } else if step.outputs.iter().any(|o| o == "*") && step.step + 1 < fields.steps.len() {
            notes.push(format!(
                "step {} ({}) may write any field; fields later blocks read are not checked",
                step.step, step.block_type
            ));
        }
    }
    notes.append(&mut report.warnings);
    report.warnings = capped(notes);
    Ok(Json(SeedValidation {
        report,
        pipeline_id,
    }))
}
