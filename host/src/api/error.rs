//! API errors: `{"error": "...", "detail": {...}}` with the fitting status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::store::StoreError;

/// The body of every error answer, as documented in the OpenAPI description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// What went wrong, in one sentence.
    error: String,
    /// Structured detail: the offending field, the allowed values, the limit...
    detail: serde_json::Value,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong.
    pub error: String,
    /// Structured detail.
    pub detail: Value,
}

impl ApiError {
    /// An error with `status`, a message and detail.
    pub fn new(status: StatusCode, error: impl Into<String>, detail: Value) -> Self {
        ApiError {
            status,
            error: error.into(),
            detail,
        }
    }

    /// 400 with detail.
    pub fn bad_request(error: impl Into<String>, detail: Value) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "detail": self.detail})),
        )
            .into_response()
    }
}

/// A request that would cause more work than a limit allows: 400 naming the limit, its setting
/// and the numbers.
impl From<crate::engine::work_limits::TooMuchWork> for ApiError {
    fn from(e: crate::engine::work_limits::TooMuchWork) -> Self {
        ApiError::bad_request(e.to_string(), e.detail())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{what} {id} not found"),
                json!({what: id}),
            ),
            StoreError::Missing { what, ref name } => ApiError::new(
                StatusCode::NOT_FOUND,
                e.to_string(),
                json!({"kind": what, "name": name}),
            ),
            StoreError::Duplicate { what, ref name } => ApiError::new(
                StatusCode::CONFLICT,
                e.to_string(),
                json!({"kind": what, "name": name}),
            ),
            StoreError::Incomplete {
                what,
                id,
                expected,
                found,
            } => ApiError::new(
                StatusCode::CONFLICT,
                e.to_string(),
                json!({"kind": what, "id": id, "expected": expected, "found": found}),
            ),
            other => {
                tracing::error!(error = %other, "storage failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage failed",
                    json!({"message": other.to_string()}),
                )
            }
        }
    }
}

/// Unknown paths.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint",
        json!({"path": uri.path()}),
    )
}

/// The status for a multipart body that could not be read: 408 when the client paused past
/// `BODY_READ_TIMEOUT_SECS` (axum answers that as a 500 of a failed stream), else axum's own.
pub fn multipart_status(e: &axum::extract::multipart::MultipartError) -> StatusCode {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>()
            || error.to_string().contains(BODY_TIMEOUT_MESSAGE)
        {
            return StatusCode::REQUEST_TIMEOUT;
        }
        cause = error.source();
    }
    e.status()
}

/// What tower-http's `TimeoutError` says (the request body paused past
/// `BODY_READ_TIMEOUT_SECS`).
const BODY_TIMEOUT_MESSAGE: &str = "data was not received within the designated timeout";

/// Turns axum's own plain-text rejections (a malformed path, query or JSON body, a wrong
/// content type, a body over the size limit) into the API's `{"error", "detail"}` shape.
pub async fn json_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    // JSON and event streams are answers already; an HTML page is one made for a browser
    // (the UI's "not built" page).
    let keeps_body = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json")
                || v.starts_with("text/event-stream")
                || v.starts_with("text/html")
        });
    if !(status.is_client_error() || status.is_server_error()) || keeps_body {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&body).trim().to_owned();
    // tower-http's body timeout reaches axum's extractors as a body error, which they answer
    // 400: the client was too slow, say so.
    if message.contains(BODY_TIMEOUT_MESSAGE) {
        return ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request body timed out",
            json!({"message": message, "setting": "BODY_READ_TIMEOUT_SECS"}),
        )
        .into_response();
    }
    let error = status
        .canonical_reason()
        .unwrap_or("request failed")
        .to_lowercase();
    ApiError::new(status, error, json!({"message": message})).into_response()
}
