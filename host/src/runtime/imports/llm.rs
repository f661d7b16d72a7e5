//! The `llm` import: chat completions through the gateway, counted into the call's usage.
//!
//! The two model capabilities (`llm` and `embeddings`) share one slice of a call's store
//! data, [`ModelState`] (the gateway, what their calls used, the time queued for a provider),
//! and their host functions see only a [`ModelView`]: that slice, the caller's scope (grant,
//! budget, cache mode) and the call's import time.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use crate::grants::Capability;
use crate::llm::queue_time::QueueTime;
use crate::llm::run_lease::RunLease;
use crate::llm::{LlmError, LlmGateway};
use crate::runtime::call_scope::CallScope;
use crate::runtime::failure::{FailureKind, Refused};
use crate::runtime::import_time::ImportTime;

/// The model a chat call's usage is counted under: the one that answered, else (a failed
/// structured answer still used tokens) the one asked for, or `default`.
fn answered_model<'a>(
    answer: &'a Result<crate::llm::ChatResponse, LlmError>,
    asked: Option<&'a str>,
) -> &'a str {
    match answer {
        Ok(answer) => &answer.model,
        Err(_) => asked.filter(|m| !m.trim().is_empty()).unwrap_or("default"),
    }
}

/// The model capabilities' (`llm`, `embeddings`) slice of a call's store data: the gateway
/// their calls go through and what those calls used.
pub struct ModelState {
    /// Where model calls go.
    pub(super) gateway: Arc<dyn LlmGateway>,
    /// Re-asks allowed when a structured answer fails its schema.
    pub(super) structured_output_repairs: u32,
    /// Usage of the model calls made so far.
    pub usage: crate::usage::Usage,
    /// The same, per model.
    pub usage_by_model: crate::usage::ModelUsage,
    /// Chat calls made so far.
    pub llm_calls: u32,
    /// The requests those calls sent to models, with their attempts and waits; kept here so
    /// the requests of a call cut off by the wall clock are still counted.
    pub journal: crate::llm::journal::CallJournal,
    /// Time the call's model requests spent queued for the provider, left out of its wall
    /// clock.
    pub queue: QueueTime,
}

impl ModelState {
    /// Nothing used yet; calls go to `gateway`, stop waiting for a provider at
    /// `run_deadline`, and send nothing once `lease` (the run's, for a stored job) is lost.
    pub fn new(
        gateway: Arc<dyn LlmGateway>,
        structured_output_repairs: u32,
        run_deadline: Option<Instant>,
        lease: Option<RunLease>,
    ) -> Self {
        ModelState {
            gateway,
            structured_output_repairs,
            usage: crate::usage::Usage::default(),
            usage_by_model: crate::usage::ModelUsage::default(),
            llm_calls: 0,
            journal: crate::llm::journal::CallJournal::default(),
            queue: QueueTime::new(run_deadline).with_lease(lease),
        }
    }
}

/// What the model host functions (`llm`, `embeddings`) see of a call.
pub struct ModelView<'a> {
    /// The capabilities' slice.
    pub state: &'a mut ModelState,
    /// The caller: its grant, its job's budget, its cache mode.
    pub scope: &'a CallScope,
    /// Where the time waiting for a model is accounted.
    pub time: &'a mut ImportTime,
}

/// The [`HasData`] marker of the model capabilities: their host functions run on a
/// [`ModelView`].
pub struct Models;

impl HasData for Models {
    type Data<'a> = ModelView<'a>;
}

/// Defines `llm` in `linker`, for every contract version; `view` finds the capability's
/// view in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ModelView<'_>,
) -> wasmtime::Result<()> {
    use crate::runtime::bindings::{since_v0_1_0, since_v0_2_0};
    since_v0_1_0::blockforge::block::llm::add_to_linker::<T, Models>(linker, view)?;
    since_v0_2_0::blockforge::block::llm::add_to_linker::<T, Models>(linker, view)
}

impl ModelView<'_> {
    /// `Ok` when the call may use `capability` with `model`, else the `denied` error: the
    /// grant check of the model imports.
    pub(in crate::runtime::imports) fn check_model_call(
        &self,
        capability: Capability,
        model: Option<&str>,
    ) -> Result<(), String> {
        let grant = &self.scope.grant;
        grant
            .check(capability)
            .and_then(|()| grant.check_model(model))
    }

    /// Counts a call's `usage` into the call's totals, under `model` too, and charges it to
    /// the job's budget.
    pub(in crate::runtime::imports) fn count_usage(
        &mut self,
        model: &str,
        usage: &crate::usage::Usage,
    ) {
        self.state.usage.add(usage);
        self.state.usage_by_model.add_call(model, usage);
        crate::telemetry::telemetry().llm_usage(
            model,
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_tokens,
            usage.cost.priced_usd(),
        );
        if let Some(budget) = &self.scope.budget {
            budget.charge(usage);
        }
    }

    /// Refuses a model call once the job's budget is spent: the block call ends as
    /// [`FailureKind::Denied`] (a block told "denied" could keep asking).
    pub(in crate::runtime::imports) fn check_budget(&self) -> wasmtime::Result<()> {
        match self.scope.budget.as_ref().map(|budget| budget.check()) {
            Some(Err(spent)) => Err(wasmtime::Error::new(Refused {
                kind: FailureKind::Denied,
                message: spent.to_string(),
            })),
            _ => Ok(()),
        }
    }
}

/// The version-specific glue of `llm` (its error and request conversions, its `Host` impl),
/// once per contract version: the versions' generated types have the same shapes under
/// different paths.
macro_rules! versioned {
    ($version:ident) => {
        /// `llm` for contract version `$version`.
        pub(in crate::runtime::imports) mod $version {
            use std::time::Instant;

            use super::ModelView;
            use crate::grants::Capability;
            use crate::llm::{CacheMode, ChatMessage, ChatRequest, LlmError, LlmErrorKind, Role};
            use crate::runtime::bindings::$version::blockforge::block::llm as wit;
            use crate::runtime::bindings::$version::blockforge::block::types as wit_types;

            pub(in crate::runtime::imports) fn to_wit_error(e: LlmError) -> wit::LlmError {
                let code = match e.kind {
                    LlmErrorKind::BadRequest => wit::LlmErrorCode::BadRequest,
                    LlmErrorKind::RateLimited => wit::LlmErrorCode::RateLimited,
                    LlmErrorKind::Unavailable => wit::LlmErrorCode::Unavailable,
                    LlmErrorKind::Timeout => wit::LlmErrorCode::Timeout,
                    LlmErrorKind::InvalidResponse => wit::LlmErrorCode::InvalidResponse,
                    LlmErrorKind::Denied => wit::LlmErrorCode::Denied,
                };
                wit::LlmError {
                    code,
                    message: e.message,
                }
            }

            /// Usage as the guest's types spell it.
            pub(in crate::runtime::imports) fn to_wit_usage(
                usage: &crate::usage::Usage,
            ) -> wit_types::Usage {
                wit_types::Usage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    cached_tokens: usage.cached_tokens,
                }
            }

            pub(in crate::runtime::imports) fn denied(message: String) -> wit::LlmError {
                wit::LlmError {
                    code: wit::LlmErrorCode::Denied,
                    message,
                }
            }

            fn from_wit_request(
                request: wit::ChatRequest,
                cache: CacheMode,
            ) -> Result<ChatRequest, wit::LlmError> {
                let json_schema = match request.json_schema {
                    Some(text) => Some(serde_json::from_str(&text).map_err(|e| wit::LlmError {
                        code: wit::LlmErrorCode::BadRequest,
                        message: format!("json-schema is not valid JSON: {e}"),
                    })?),
                    None => None,
                };
                Ok(ChatRequest {
                    model: request.model,
                    messages: request
                        .messages
                        .into_iter()
                        .map(|m| ChatMessage {
                            role: match m.role {
                                wit::Role::System => Role::System,
                                wit::Role::User => Role::User,
                                wit::Role::Assistant => Role::Assistant,
                            },
                            content: m.content,
                        })
                        .collect(),
                    temperature: request.temperature,
                    max_tokens: request.max_tokens,
                    json_schema,
                    cache,
                })
            }

            impl wit::Host for ModelView<'_> {
                async fn chat(
                    &mut self,
                    request: wit::ChatRequest,
                ) -> wasmtime::Result<Result<wit::ChatResponse, wit::LlmError>> {
                    if let Err(e) = self.check_model_call(Capability::Llm, request.model.as_deref())
                    {
                        return Ok(Err(denied(e)));
                    }
                    self.check_budget()?;
                    let request = match from_wit_request(request, self.scope.cache) {
                        Ok(request) => request,
                        Err(e) => return Ok(Err(e)),
                    };
                    let asked = request.model.clone();
                    let started = Instant::now();
                    let state = &*self.state;
                    let answer = state
                        .journal
                        .record(state.queue.scope(crate::llm::structured::chat(
                            state.gateway.as_ref(),
                            request,
                            state.structured_output_repairs,
                        )))
                        .await;
                    self.time.record_wait(started.elapsed());
                    self.state.llm_calls += 1;
                    let (answer, usage) = answer;
                    self.count_usage(super::answered_model(&answer, asked.as_deref()), &usage);
                    let answer = match answer {
                        Ok(answer) => answer,
                        Err(e) => return Ok(Err(to_wit_error(e))),
                    };
                    Ok(Ok(wit::ChatResponse {
                        content: answer.content,
                        model: answer.model,
                        usage: to_wit_usage(&answer.usage),
                    }))
                }
            }
        }
    };
}

versioned!(since_v0_1_0);
versioned!(since_v0_2_0);
