//! Who may send `/api` and `/metrics` requests, and how many: the client address's rate limit
//! first (so a flood of wrong keys is bounded too), then the bearer key (401 without a known
//! one once keys are configured), the key's rate limit, and its access (a read-only key gets
//! 403 on anything but `GET`, `HEAD` and `OPTIONS`). `/health`, `/openapi.json` and the web
//! UI stay open.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::key_ring::{Access, Identity, KeyRing};
use super::rate_limits::{Limiters, RateLimits};
use super::{ApiError, AppState};

/// The keys and the rate limits of a server.
pub struct Gate {
    /// The environment's key and the stored ones.
    pub keys: KeyRing,
    /// The rate limiters.
    pub limiters: Limiters,
}

impl Gate {
    /// A gate with the environment's `API_KEY` (if set) and `limits`.
    pub fn new(env_key: Option<Arc<str>>, limits: RateLimits) -> Self {
        Gate {
            keys: KeyRing::new(env_key),
            limiters: Limiters::new(limits),
        }
    }
}

/// Whether `path` is behind the gate.
fn guarded(path: &str) -> bool {
    path.starts_with("/api") || path == "/metrics"
}

/// Whether `method` changes nothing.
fn reads_only(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: see the module's description.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !guarded(request.uri().path()) {
        return next.run(request).await;
    }
    let gate = &state.gate;
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(exceeded) = gate.limiters.check_address(peer.ip())
    {
        return exceeded.into_response();
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let caller = match gate.keys.identify(&state.store, bearer).await {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(Identity::Open) => return next.run(request).await,
        Ok(Identity::Refused) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing or wrong API key",
                json!({"expected": "Authorization: Bearer <API_KEY or a key made in the settings>"}),
            )
            .into_response();
        }
        Ok(Identity::Known(caller)) => caller,
    };
    if let Err(exceeded) = gate.limiters.check_key(&caller.name) {
        return exceeded.into_response();
    }
    if caller.access == Access::ReadOnly && !reads_only(request.method()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "API key {:?} is read-only: {} is not allowed",
                caller.name,
                request.method()
            ),
            json!({"key": caller.name, "access": caller.access.as_str(), "method": request.method().as_str()}),
        )
        .into_response();
    }
    next.run(request).await
}
