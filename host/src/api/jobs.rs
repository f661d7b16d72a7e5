//! `POST /api/generate` and `/api/jobs[...]`, with DataGenFlow's job shape.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::job_view::JobView;
use super::seed_upload::SeedUpload;
use super::{ApiError, AppState};
use crate::engine::seedless::seedless_seeds;
use crate::engine::work_limits::{check_job_states, state_bytes};
use crate::engine::{Pipeline, Seed};
use crate::llm::CacheMode;
use crate::llm::cache::UnknownCacheMode;
use crate::store::jobs::{JobStatus, NewRun};

/// `POST /api/generate`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobStarted {
    /// The new job.
    pub job_id: i64,
}

/// The form of `POST /api/generate`, as documented in the OpenAPI description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct GenerateForm {
    /// The seed file: `.json`, `.jsonl`, `.csv` or `.md`. Optional when the pipeline's first
    /// block is a seeder (a multiplier of category `seeders` reading no seed field, such as
    /// ScenarioSampler): the job then starts from one empty seed, which the seeder expands.
    #[schema(format = Binary, value_type = Option<String>)]
    file: Option<Vec<u8>>,
    /// The pipeline to run.
    pipeline_id: i64,
    /// Runs in flight for this job (1 to 1024; default: the `default_concurrency` setting, 16).
    concurrency: Option<u32>,
    /// The response cache for this job's LLM calls: `on` (read and write at every
    /// temperature), `read-only`, `off`, or `auto` (the default: temperature 0 only).
    cache: Option<String>,
}

/// Starts a job: multipart `file` (`.json`, `.jsonl`, `.csv`, `.md` or `.txt` seeds; optional
/// when the pipeline's first block is a seeder) and `pipeline_id`, optional `concurrency` and `cache`.
/// Answers 200 `{job_id}`, as DataGenFlow does.
#[utoipa::path(post, path = "/api/generate", tag = "jobs", request_body(content = inline(GenerateForm), content_type = "multipart/form-data"), responses((status = 200, description = "The job started", body = JobStarted), (status = 400, description = "Bad request (no seed file for a pipeline whose first block is not a seeder included), or a limit of runs, blocks or state passed (MAX_RUNS_PER_JOB, MAX_PIPELINE_BLOCKS, MAX_STATE_BYTES, MAX_RUN_STATE_BYTES, MAX_JOB_STATE_BYTES)", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 413, description = "Too large", body = ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    mut form: Multipart,
) -> Result<Json<JobStarted>, ApiError> {
    let mut file: Option<SeedUpload> = None;
    let mut pipeline_id: Option<i64> = None;
    let mut concurrency: Option<u64> = None;
    let mut cache = CacheMode::Auto;
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        let status = super::error::multipart_status(&e);
        ApiError::new(
            status,
            "cannot read the upload",
            json!({"message": e.body_text()}),
        )
    };
    // Bytes of the parts other than the seed file so far (bounded: see MAX_OTHER_PARTS_BYTES).
    let mut other_bytes = 0usize;
    let mut file_parts = 0u32;
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name().unwrap_or_default() {
            "file" => {
                // One seed file per job: a second part would be spooled to disk too.
                file_parts += 1;
                if file_parts > 1 {
                    return Err(ApiError::bad_request(
                        "the form has more than one `file` part: send one seed file per job",
                        json!({"field": "file", "limit": 1}),
                    ));
                }
                if let Some(upload) =
                    SeedUpload::spool(field, state.max_seed_upload_bytes, bad_form).await?
                {
                    file = Some(upload);
                }
            }
            "pipeline_id" => {
                let text = small_text(field, &mut other_bytes, bad_form).await?;
                pipeline_id = Some(text.trim().parse().map_err(|_| {
                    ApiError::bad_request(
                        "pipeline_id must be an integer",
                        json!({"pipeline_id": text}),
                    )
                })?);
            }
            "concurrency" => {
                let text = small_text(field, &mut other_bytes, bad_form).await?;
                concurrency = Some(
                    text.trim()
                        .parse()
                        .ok()
                        .filter(|c| (1..=1024).contains(c))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "concurrency must be an integer from 1 to 1024",
                                json!({"concurrency": text}),
                            )
                        })?,
                );
            }
            "cache" => {
                let text = small_text(field, &mut other_bytes, bad_form).await?;
                cache = text.parse().map_err(|e: UnknownCacheMode| {
                    ApiError::bad_request(e.to_string(), json!({"cache": text}))
                })?;
            }
            // Read past (and counted), so that a form full of other parts is refused.
            _ => drain_part(field, &mut other_bytes, bad_form).await?,
        }
    }
    let pipeline_id =
        pipeline_id.ok_or_else(|| ApiError::bad_request("pipeline_id is required", json!({})))?;
    let limits = state.registry.runtime().limits().clone();
    // A seed file is read (and refused) before the pipeline is looked up; without one, the
    // pipeline's first block must be a seeder that makes the runs (checked below).
    let tally = match &file {
        Some(upload) => Some(upload.tally(&limits).await?),
        None => None,
    };
    let pipeline_row = state.store.pipeline(pipeline_id).await?;
    let pipeline = Pipeline::parse(
        &pipeline_row.definition.to_string(),
        &format!("pipeline {pipeline_id}"),
    )
    .map_err(|e| {
        ApiError::bad_request(
            "the saved pipeline is not valid",
            json!({"message": e.to_string()}),
        )
    })?;
    let valid = super::pipelines::valid_pipeline(&state, &pipeline)?;
    let blocks = valid.steps.len();
    // Every seed's state, and their sum over the runs, is checked before any run is planned.
    let seedless = match (&file, &tally) {
        (Some(upload), Some(tally)) => {
            upload.check_states(tally, blocks, &limits).await?;
            None
        }
        _ => {
            let seeds = seedless_seeds(&valid).map_err(|e| {
                ApiError::bad_request(
                    e.to_string(),
                    json!({
                        "pipeline_id": pipeline_id,
                        "first_block": valid.steps.first().map(|s| s.spec.block_type.clone()),
                        "field": "file",
                    }),
                )
            })?;
            check_job_states(
                seeds
                    .iter()
                    .map(|seed| (state_bytes(&seed.metadata), u64::from(seed.repetitions))),
                blocks,
                &limits,
            )
            .map_err(|e| {
                let mut error = ApiError::from(e);
                error.detail["file"] = Value::Null;
                error
            })?;
            Some(seeds)
        }
    };
    let file_name = file.as_ref().map(|upload| upload.name.clone());
    let concurrency = match concurrency {
        Some(given) => given,
        None => super::settings::default_concurrency(&state).await?,
    };
    // The job keeps the definition it started with: later edits of the pipeline do not change it.
    let options = json!({
        "concurrency": concurrency,
        "file": file_name,
        "seedless": file_name.is_none(),
        "pipeline": pipeline_row.definition,
        "secret_fields": crate::engine::secret_config::secret_fields(&valid),
    });
    let total = match (&tally, &seedless) {
        (Some(tally), _) => tally.runs,
        (None, Some(seeds)) => crate::engine::total_runs(seeds),
        (None, None) => 0,
    };
    // The job is planned batch by batch, invisible until committed: a file that fails
    // half-way leaves nothing (the plan is deleted; dropped, it is deleted in the background).
    let mut plan = state
        .store
        .begin_job(pipeline_id, total, &options, cache)
        .await?;
    let planned = match (&file, seedless) {
        (Some(upload), _) => upload.plan_runs(&mut plan, &limits).await,
        (None, Some(seeds)) => plan
            .add_runs(&seed_runs(seeds))
            .await
            .map_err(ApiError::from),
        (None, None) => Ok(()),
    };
    if let Err(e) = planned {
        if let Err(cleanup) = plan.abandon().await {
            tracing::warn!(error = %cleanup, "cannot delete a job plan given up");
        }
        return Err(e);
    }
    let job = plan.commit().await?;
    state.jobs.start(job.id);
    Ok(Json(JobStarted { job_id: job.id }))
}

/// The runs of a few seeds held in memory (a seeder's one empty seed).
fn seed_runs(seeds: Vec<Seed>) -> Vec<NewRun> {
    let mut runs = Vec::new();
    for (seed_index, seed) in seeds.into_iter().enumerate() {
        let metadata: std::sync::Arc<str> = Value::Object(seed.metadata).to_string().into();
        for repetition in 0..seed.repetitions {
            runs.push(NewRun {
                seed_index: seed_index as i64,
                repetition: i64::from(repetition),
                split_index: -1,
                metadata: metadata.clone(),
            });
        }
    }
    runs
}

/// The most bytes a form field other than the file may hold.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The most bytes all the parts other than the seed file may hold together (the known fields
/// and any other part, which is read past): the request has no overall size limit, the file
/// part has its own (`MAX_SEED_UPLOAD_BYTES`).
pub const MAX_OTHER_PARTS_BYTES: usize = 256 * 1024;

/// Counts `more` bytes of the part `name` into `used`; 413 once the parts other than the seed
/// file pass [`MAX_OTHER_PARTS_BYTES`].
fn count_other_bytes(used: &mut usize, more: usize, name: &str) -> Result<(), ApiError> {
    *used += more;
    if *used > MAX_OTHER_PARTS_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the form's parts other than the seed file `file` are larger than \
                 {MAX_OTHER_PARTS_BYTES} bytes together"
            ),
            json!({"field": name, "limit": MAX_OTHER_PARTS_BYTES}),
        ));
    }
    Ok(())
}

/// Reads past a part the form does not use, counting its bytes into `used`.
async fn drain_part(
    mut field: axum::extract::multipart::Field<'_>,
    used: &mut usize,
    bad_form: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> Result<(), ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    while let Some(chunk) = field.chunk().await.map_err(&bad_form)? {
        count_other_bytes(used, chunk.len(), &name)?;
    }
    Ok(())
}

/// A small form field's text (`pipeline_id`, `concurrency`, `cache`); 413 past
/// [`MAX_FIELD_BYTES`], or when the parts other than the file pass [`MAX_OTHER_PARTS_BYTES`]
/// with it (its bytes are counted into `used`).
async fn small_text(
    mut field: axum::extract::multipart::Field<'_>,
    used: &mut usize,
    bad_form: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(&bad_form)? {
        count_other_bytes(used, chunk.len(), &name)?;
        if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the form field {name} is larger than {MAX_FIELD_BYTES} bytes"),
                json!({"field": name, "limit": MAX_FIELD_BYTES}),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One job, with its quality report (`quality`: pass rate, score histograms, what each check
/// flagged, fixed or removed; counted as its records were written).
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs", params(("id" = i64, Path, description = "Job id")), responses((status = 200, description = "The job: status, counts, progress, current block, usage, and `quality` (`{checked, passed, pass_rate, scores: [{name, scale, min, max, bins, count, mean}], blocks: [{step, block_type, checked, flagged, fixed, removed}]}`)", body = JobView), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<JobView>, ApiError> {
    let job = state.store.job(id).await?;
    let quality = state.store.job_quality(id).await?;
    let mut body = JobView::new(&job);
    body.quality = Some(json!(quality.report()));
    Ok(Json(body))
}

/// `?pipeline_id=` and `?status=` filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// Only this pipeline's jobs.
    pipeline_id: Option<i64>,
    /// Only jobs in this status: `running`, `completed`, `failed`, `cancelled` or `stopped`
    /// (`running` gives every running job; `/api/jobs/active` gives one).
    status: Option<String>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/api/jobs", tag = "jobs", params(JobsQuery), responses((status = 200, description = "Jobs, newest first", body = Vec<JobView>), (status = 400, description = "Unknown status", body = ErrorBody), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<JobsQuery>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(JobStatus::from_name(text).ok_or_else(|| {
            ApiError::bad_request(
                format!("unknown job status {text:?}"),
                json!({"status": text, "allowed": JobStatus::ALL.map(JobStatus::as_str)}),
            )
        })?),
    };
    let jobs = state.store.jobs(query.pipeline_id, status).await?;
    Ok(Json(jobs.iter().map(JobView::new).collect()))
}

/// DataGenFlow's running job: the newest running job as one object, 404 when none runs.
/// Every running job: `GET /api/jobs?status=running`.
#[utoipa::path(get, path = "/api/jobs/active", tag = "jobs", responses((status = 200, description = "The newest running job", body = JobView), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "No job runs", body = ErrorBody)))]
pub async fn active(State(state): State<AppState>) -> Result<Json<JobView>, ApiError> {
    state
        .store
        .active_job()
        .await?
        .map(|job| Json(JobView::new(&job)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no active job", json!({})))
}

/// Cancels a running job (its runner aborts the calls in flight). A finished job keeps its
/// status.
#[utoipa::path(delete, path = "/api/jobs/{id}", tag = "jobs", params(("id" = i64, Path, description = "Job id")), responses((status = 200, description = "Cancelled (a finished job keeps its status)", body = JobCancelled), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<JobCancelled>, ApiError> {
    let changed = state
        .store
        .finish_job(id, JobStatus::Cancelled, None)
        .await?;
    let job = state.store.job(id).await?;
    let message = if changed {
        "job cancelled"
    } else {
        "job had already ended; status unchanged"
    };
    Ok(Json(JobCancelled {
        message: message.to_owned(),
        job: JobView::new(&job),
    }))
}

/// `DELETE /api/jobs/{id}`'s answer: DataGenFlow's `message`, and the job as it now stands.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobCancelled {
    /// What happened: cancelled, or already ended.
    pub message: String,
    /// The job.
    pub job: JobView,
}
