//! `/api/pipelines[/{id}]`: DataGenFlow's `{name, definition: {blocks, constraints}}` (a bare
//! `{name, blocks}` is accepted too), validated against the blocks before it is saved.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::pipeline_view::PipelineView;
use super::run_answer::{ExecuteAnswer, RunAnswer};
use super::{ApiError, AppState};
use crate::engine::Pipeline;
use crate::engine::validate::{ValidPipeline, validate};
use crate::engine::work_limits::{check_blocks, check_state};

/// The saved pipeline `id`, parsed.
pub(super) async fn saved_pipeline(state: &AppState, id: i64) -> Result<Pipeline, ApiError> {
    let row = state.store.pipeline(id).await?;
    Pipeline::parse(&row.definition.to_string(), &format!("pipeline {id}")).map_err(|e| {
        ApiError::bad_request(
            "the saved pipeline is not valid",
            json!({"message": e.to_string()}),
        )
    })
}

/// `pipeline` checked against the block limit (`MAX_PIPELINE_BLOCKS`, its own 400 naming the
/// numbers) and then against the blocks.
pub(super) fn valid_pipeline(
    state: &AppState,
    pipeline: &Pipeline,
) -> Result<ValidPipeline, ApiError> {
    check_blocks(pipeline.blocks.len(), state.registry.runtime().limits())?;
    validate(pipeline, &state.registry).map_err(|e| {
        ApiError::bad_request("the pipeline is not valid", json!({"issues": e.issues}))
    })
}

/// Checks a request body and returns the name and the definition to store.
fn checked(state: &AppState, body: &Value) -> Result<(String, Value), ApiError> {
    let pipeline = Pipeline::parse(&body.to_string(), "request body").map_err(|e| {
        ApiError::bad_request(
            "invalid pipeline definition",
            json!({"message": e.to_string()}),
        )
    })?;
    valid_pipeline(state, &pipeline)?;
    let definition = serde_json::to_value(&pipeline).unwrap_or_default();
    Ok((pipeline.name, definition))
}

/// Saves a pipeline; 200 as DataGenFlow answers (its `{id, name}` are in the pipeline).
#[utoipa::path(post, path = "/api/pipelines", tag = "pipelines", request_body(content = serde_json::Value, description = "`{name, definition: {blocks, constraints}}` or `{name, blocks, constraints}`, JSON"), responses((status = 200, description = "Saved", body = PipelineView), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Json<PipelineView>, ApiError> {
    let (name, definition) = checked(&state, &body)?;
    let row = state.store.create_pipeline(&name, &definition).await?;
    Ok(Json(PipelineView::new(&state, row)))
}

/// Every pipeline.
#[utoipa::path(get, path = "/api/pipelines", tag = "pipelines", responses((status = 200, description = "Every pipeline", body = Vec<PipelineView>), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<PipelineView>>, ApiError> {
    let rows = state.store.pipelines().await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| PipelineView::new(&state, row))
            .collect(),
    ))
}

/// One pipeline.
#[utoipa::path(get, path = "/api/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), responses((status = 200, description = "The pipeline", body = PipelineView), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PipelineView>, ApiError> {
    let row = state.store.pipeline(id).await?;
    Ok(Json(PipelineView::new(&state, row)))
}

/// Replaces a pipeline.
#[utoipa::path(put, path = "/api/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), request_body(content = serde_json::Value, description = "As for create"), responses((status = 200, description = "Replaced", body = PipelineView), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Json<PipelineView>, ApiError> {
    let (name, definition) = checked(&state, &body)?;
    let row = state.store.update_pipeline(id, &name, &definition).await?;
    Ok(Json(PipelineView::new(&state, row)))
}

/// `DELETE /api/pipelines/{id}`'s answer (DataGenFlow's `success`, and what went).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PipelineDeleted {
    /// Always true (DataGenFlow's answer).
    pub success: bool,
    /// What happened.
    pub message: String,
    /// The pipeline deleted.
    pub id: i64,
}

/// Deletes a pipeline with its jobs and records.
#[utoipa::path(delete, path = "/api/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), responses((status = 200, description = "Deleted with its jobs and records", body = PipelineDeleted), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PipelineDeleted>, ApiError> {
    state.store.delete_pipeline(id).await?;
    Ok(Json(PipelineDeleted {
        success: true,
        message: "pipeline deleted".to_owned(),
        id,
    }))
}

/// Runs a saved pipeline once on the request body (the initial state) and answers
/// `{result, pipeline_output, trace, trace_id, usage}`, or `{results: [...]}` (one per child)
/// when the run reaches the pipeline's multiplier, at any step. A failing block before it
/// answers 400 with the trace in `detail`.
#[utoipa::path(post, path = "/api/pipelines/{id}/execute", tag = "pipelines", params(("id" = i64, Path, description = "Pipeline id")), request_body(content = serde_json::Value, description = "The initial state"), responses((status = 200, description = "`{result, pipeline_output, trace, trace_id, usage}`, or `{results: [...]}` for a multiplier pipeline", body = ExecuteAnswer), (status = 400, description = "Bad request, or a limit of blocks or state passed", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "The body is larger than MAX_STATE_BYTES", body = ErrorBody)))]
pub async fn execute(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<ExecuteAnswer>, ApiError> {
    use crate::engine::record::{RunRecord, RunStatus};
    use crate::engine::run::{Advanced, RunContext, RunStart};

    // A JSON body, as for every JSON route (the body is read as bytes to size it first).
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !(essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a request with `Content-Type: application/json`",
            json!({"content_type": content_type}),
        ));
    }

    let limits = state.registry.runtime().limits().clone();
    // The body is the run's initial state: refused by its size before it is parsed.
    if body.len() > limits.max_state_bytes {
        let too_large = crate::engine::work_limits::TooMuchWork::State {
            what: "the request body".to_owned(),
            bytes: body.len() as u64,
            limit: limits.max_state_bytes as u64,
        };
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            too_large.to_string(),
            too_large.detail(),
        ));
    }
    let initial = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(initial)) => initial,
        Ok(other) => {
            return Err(ApiError::bad_request(
                "the body must be a JSON object: the initial state",
                json!({"found": crate::json::json_type(&other)}),
            ));
        }
        Err(e) => {
            return Err(ApiError::bad_request(
                "the body is not valid JSON",
                json!({"message": e.to_string()}),
            ));
        }
    };
    drop(body);
    let pipeline = saved_pipeline(&state, id).await?;
    let valid = valid_pipeline(&state, &pipeline)?;
    check_state(
        "the request body",
        crate::engine::work_limits::state_bytes(&initial),
        valid.steps.len(),
        &limits,
    )?;
    // The pipeline's token and cost budgets hold inside this one execution too.
    let budget =
        crate::engine::JobBudget::new(&valid.pipeline.constraints, crate::engine::Usage::default())
            .map(std::sync::Arc::new);
    let grants = state
        .store
        .grant_set(state.registry.runtime().user_grant())
        .await?;
    let grants = crate::engine::run::StepGrants::new(state.registry.runtime(), &valid, &grants);
    let ctx = RunContext {
        runtime: state.registry.runtime().clone(),
        pipeline_id: id.to_string(),
        job_id: format!("execute-{}", uuid::Uuid::new_v4()),
        pipeline: valid,
        current_step: Default::default(),
        cache: crate::llm::CacheMode::Auto,
        budget,
        grants,
    };
    let failed = |record: &RunRecord| {
        ApiError::bad_request(
            record
                .error
                .clone()
                .unwrap_or_else(|| "the run failed".to_owned()),
            json!({"trace_id": record.trace_id, "trace": record.trace}),
        )
    };
    let start = RunStart::from_seed(0, 0, initial);
    // A preview is no job: what its blocks stored in the job's kv namespace goes with it
    // (the pipeline's namespace is the pipeline's and stays), even when the client hangs up.
    let mut preview_kv = PreviewKv {
        store: Some(state.store.clone()),
        namespace: crate::kv::KvNamespace::Job(ctx.job_id.clone()),
    };
    let answer = async {
        let expansion = match ctx.advance(start).await {
            Advanced::Finished(record) => {
                return match record.status {
                    RunStatus::Completed => {
                        Ok(Json(ExecuteAnswer::Run(Box::new((*record).into()))))
                    }
                    RunStatus::Failed => Err(failed(&record)),
                };
            }
            Advanced::Expanded(expansion) => expansion,
        };
        // A pipeline has one multiplier: its children run to their end.
        let records = futures::future::join_all(
            expansion
                .into_starts()
                .map(|start| async { ctx.advance(start).await.into_record() }),
        )
        .await;
        Ok(Json(ExecuteAnswer::Children {
            results: records.into_iter().map(RunAnswer::from).collect(),
        }))
    }
    .await;
    preview_kv.delete().await;
    answer
}

/// A preview's job kv namespace, deleted when the preview answers ([`PreviewKv::delete`]) or,
/// should the request be dropped first, in a task of its own.
struct PreviewKv {
    store: Option<crate::store::Store>,
    namespace: crate::kv::KvNamespace,
}

impl PreviewKv {
    async fn delete(&mut self) {
        if let Some(store) = self.store.take() {
            delete_preview_kv(store, &self.namespace).await;
        }
    }
}

impl Drop for PreviewKv {
    fn drop(&mut self) {
        let (Some(store), Ok(runtime)) = (self.store.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let namespace = self.namespace.clone();
        runtime.spawn(async move { delete_preview_kv(store, &namespace).await });
    }
}

async fn delete_preview_kv(store: crate::store::Store, namespace: &crate::kv::KvNamespace) {
    if let Err(error) = store.delete_kv_namespace(namespace).await {
        tracing::warn!(%error, namespace = %namespace.stored_name(), "cannot delete a preview's kv entries");
    }
}
