//! `GET /api/langfuse/status`: DataGenFlow's `{enabled, host}` answer, which its web client
//! reads to decide whether to link records to Langfuse traces.
//!
//! blockforge sends no traces to Langfuse, so `enabled` stays false (a link would lead to a
//! trace that was never sent); `configured` says whether DataGenFlow's variables
//! (`LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY`) are set, so a user moving
//! over sees they were read and not acted on.

use axum::Json;
use serde::Serialize;

use super::error::ErrorBody;

/// The Langfuse integration's state.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LangfuseStatus {
    /// Whether traces are sent to Langfuse: always false here.
    pub enabled: bool,
    /// Where traces are sent: null while `enabled` is false (as in DataGenFlow).
    pub host: Option<String>,
    /// Whether both Langfuse keys are set in the server's environment.
    pub configured: bool,
    /// Why `enabled` is false although the keys are set; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The status for the keys as given (`None`: unset; an empty value counts as unset).
fn status(public_key: Option<String>, secret_key: Option<String>) -> LangfuseStatus {
    let set = |key: &Option<String>| key.as_deref().is_some_and(|k| !k.is_empty());
    let configured = set(&public_key) && set(&secret_key);
    LangfuseStatus {
        enabled: false,
        host: None,
        configured,
        reason: configured.then(|| {
            "blockforge does not send traces to Langfuse; each record keeps its trace and \
             trace_id in the database"
                .to_owned()
        }),
    }
}

/// Whether traces go to Langfuse (DataGenFlow's `{enabled, host}`, plus `configured`).
#[utoipa::path(get, path = "/api/langfuse/status", tag = "system", responses((status = 200, description = "`{enabled, host, configured, reason?}`", body = LangfuseStatus), (status = 401, description = "Missing or wrong API key", body = ErrorBody)))]
pub async fn langfuse_status() -> Json<LangfuseStatus> {
    Json(status(
        std::env::var("LANGFUSE_PUBLIC_KEY").ok(),
        std::env::var("LANGFUSE_SECRET_KEY").ok(),
    ))
}

#[cfg(test)]
mod tests {
    use super::status;

    #[test]
    fn configured_needs_both_keys_and_nothing_is_enabled() {
        let key = |k: &str| Some(k.to_owned());
        assert!(status(key("pk"), key("sk")).configured);
        for (public, secret) in [(key("pk"), None), (None, key("sk")), (key(""), key("sk"))] {
            let answer = status(public, secret);
            assert!(!answer.configured && answer.reason.is_none());
        }
        let answer = status(key("pk"), key("sk"));
        assert!(!answer.enabled && answer.host.is_none() && answer.reason.is_some());
    }
}
