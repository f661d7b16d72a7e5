//! The `llm` import: chat completions through the gateway, counted into the call's usage.

use std::time::Instant;

use crate::grants::Capability;
use crate::llm::{CacheMode, ChatMessage, ChatRequest, LlmError, LlmErrorKind, Role};
use crate::runtime::bindings::blockforge::block::llm as wit;
use crate::runtime::bindings::blockforge::block::types::Usage as WitUsage;
use crate::runtime::failure::{FailureKind, Refused};
use crate::runtime::host_state::HostState;

pub(super) fn to_wit_error(e: LlmError) -> wit::LlmError {
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

pub(super) fn denied(message: String) -> wit::LlmError {
    wit::LlmError {
        code: wit::LlmErrorCode::Denied,
        message,
    }
}

impl HostState {
    /// `Ok` when the call may use `capability` with `model`, else the `denied` error: the
    /// grant check of the model imports.
    pub(super) fn check_model_call(
        &self,
        capability: Capability,
        model: Option<&str>,
    ) -> Result<(), wit::LlmError> {
        self.check(capability)
            .and_then(|()| self.scope.grant.check_model(model))
            .map_err(denied)
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

/// The model capabilities' (`llm`, `embeddings`) slice of a call's store data: what their
/// calls used.
#[derive(Default)]
pub struct ModelCalls {
    /// Usage of the model calls made so far.
    pub usage: crate::usage::Usage,
    /// The same, per model.
    pub usage_by_model: crate::usage::ModelUsage,
    /// Chat calls made so far.
    pub llm_calls: u32,
    /// The requests those calls sent to models, with their attempts and waits; kept here so
    /// the requests of a call cut off by the wall clock are still counted.
    pub journal: crate::llm::journal::CallJournal,
}

impl HostState {
    /// Counts a call's `usage` into the call's totals, under `model` too, and charges it to
    /// the job's budget.
    pub(super) fn count_usage(&mut self, model: &str, usage: &crate::usage::Usage) {
        self.models.usage.add(usage);
        self.models.usage_by_model.add_call(model, usage);
        if let Some(budget) = &self.scope.budget {
            budget.charge(usage);
        }
    }

    /// Refuses a model call once the job's budget is spent: the block call ends as
    /// [`FailureKind::Denied`] (a block told "denied" could keep asking).
    pub(super) fn check_budget(&self) -> wasmtime::Result<()> {
        match self.scope.budget.as_ref().map(|budget| budget.check()) {
            Some(Err(spent)) => Err(wasmtime::Error::new(Refused {
                kind: FailureKind::Denied,
                message: spent.to_string(),
            })),
            _ => Ok(()),
        }
    }
}

impl wit::Host for HostState {
    async fn chat(
        &mut self,
        request: wit::ChatRequest,
    ) -> wasmtime::Result<Result<wit::ChatResponse, wit::LlmError>> {
        if let Err(e) = self.check_model_call(Capability::Llm, request.model.as_deref()) {
            return Ok(Err(e));
        }
        self.check_budget()?;
        let request = match from_wit_request(request, self.scope.cache) {
            Ok(request) => request,
            Err(e) => return Ok(Err(e)),
        };
        let asked = request.model.clone();
        let started = Instant::now();
        let services = self.services.clone();
        let answer = self
            .models
            .journal
            .clone()
            .record(self.queue.clone().scope(crate::llm::structured::chat(
                services.llm.as_ref(),
                request,
                services.structured_output_repairs,
            )))
            .await;
        self.record_import(started.elapsed());
        self.models.llm_calls += 1;
        let (answer, usage) = answer;
        self.count_usage(answered_model(&answer, asked.as_deref()), &usage);
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => return Ok(Err(to_wit_error(e))),
        };
        Ok(Ok(wit::ChatResponse {
            content: answer.content,
            model: answer.model,
            usage: WitUsage {
                input_tokens: answer.usage.input_tokens,
                output_tokens: answer.usage.output_tokens,
                cached_tokens: answer.usage.cached_tokens,
            },
        }))
    }
}
