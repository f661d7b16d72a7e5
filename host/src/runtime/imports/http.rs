//! The `http` import (contract 0.2.0): outgoing requests through the host's
//! [`Outbound`](crate::outbound::Outbound) service, under the plugin's grant.
//!
//! Its slice of a call's store data is [`HttpState`] (the service and the requests this call
//! sent, for the trace); its host function sees only an [`HttpView`]: that slice, the caller's
//! scope (grant, the run's count of requests) and the call's import time.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use crate::outbound::client::RequestPolicy;
use crate::outbound::{HttpCall, HttpErrorCode, Outbound, OutboundError, OutboundRequest};
use crate::runtime::bindings::since_v0_2_0::blockforge::block::http as wit;
use crate::runtime::call_scope::CallScope;
use crate::runtime::import_time::ImportTime;

/// Most requests kept in one block call's trace entry; later ones still count.
const MAX_CALLS_KEPT: usize = 256;

/// The `http` capability's slice of a call's store data.
pub struct HttpState {
    outbound: Arc<Outbound>,
    /// The requests this call sent (each redirect hop is one), for its trace entry.
    pub calls: Vec<HttpCall>,
}

impl HttpState {
    /// Nothing sent yet; requests go through `outbound`.
    pub fn new(outbound: Arc<Outbound>) -> Self {
        HttpState {
            outbound,
            calls: Vec::new(),
        }
    }
}

/// What the `http` host function sees of a call.
pub struct HttpView<'a> {
    /// The capability's slice.
    pub state: &'a mut HttpState,
    /// The caller: its grant and its run's count of requests.
    pub scope: &'a CallScope,
    /// Where the time waiting for an answer is accounted.
    pub time: &'a mut ImportTime,
}

/// The [`HasData`] marker of the `http` capability: its host function runs on an
/// [`HttpView`].
pub struct Http;

impl HasData for Http {
    type Data<'a> = HttpView<'a>;
}

/// Defines `http` in `linker`; `view` finds the capability's view in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> HttpView<'_>,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, Http>(linker, view)
}

fn method(method: wit::Method) -> reqwest::Method {
    match method {
        wit::Method::Get => reqwest::Method::GET,
        wit::Method::Head => reqwest::Method::HEAD,
        wit::Method::Post => reqwest::Method::POST,
        wit::Method::Put => reqwest::Method::PUT,
        wit::Method::Patch => reqwest::Method::PATCH,
        wit::Method::Delete => reqwest::Method::DELETE,
        wit::Method::Options => reqwest::Method::OPTIONS,
    }
}

fn to_wit_error(e: OutboundError) -> wit::HttpError {
    let code = match e.code {
        HttpErrorCode::Denied => wit::HttpErrorCode::Denied,
        HttpErrorCode::InvalidUrl => wit::HttpErrorCode::InvalidUrl,
        HttpErrorCode::InvalidRequest => wit::HttpErrorCode::InvalidRequest,
        HttpErrorCode::Timeout => wit::HttpErrorCode::Timeout,
        HttpErrorCode::TooLarge => wit::HttpErrorCode::TooLarge,
        HttpErrorCode::Connect => wit::HttpErrorCode::Connect,
        HttpErrorCode::RateLimited => wit::HttpErrorCode::RateLimited,
        HttpErrorCode::LimitReached => wit::HttpErrorCode::LimitReached,
        HttpErrorCode::TooManyRedirects => wit::HttpErrorCode::TooManyRedirects,
        HttpErrorCode::Protocol => wit::HttpErrorCode::Protocol,
    };
    wit::HttpError {
        code,
        message: e.message,
    }
}

fn headers(list: Vec<(String, String)>) -> Vec<wit::Header> {
    list.into_iter()
        .map(|(name, value)| wit::Header { name, value })
        .collect()
}

impl wit::Host for HttpView<'_> {
    async fn send(
        &mut self,
        request: wit::Request,
    ) -> wasmtime::Result<Result<wit::Response, wit::HttpError>> {
        let started = Instant::now();
        let request = OutboundRequest {
            method: method(request.method),
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: request.body,
        };
        let policy = RequestPolicy {
            grant: &self.scope.grant,
            run_requests: &self.scope.http_requests,
        };
        let outbound = Arc::clone(&self.state.outbound);
        let answer = outbound
            .send(request, &policy, &mut self.state.calls, MAX_CALLS_KEPT)
            .await;
        self.time.record_wait(started.elapsed());
        Ok(answer
            .map(|response| wit::Response {
                status: response.status,
                headers: headers(response.headers),
                body: response.body,
                final_url: response.final_url,
            })
            .map_err(to_wit_error))
    }
}
