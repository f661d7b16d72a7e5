//! The server's connections: how long a client may take to send its request, and how many
//! connections are open at once.
//!
//! `axum::serve` sets no deadline on reading a request, so a client that sends half a request
//! line and stalls holds its connection (and a file descriptor) forever; enough of them and
//! the server can accept nothing else. Here each connection is served by hyper's HTTP/1
//! builder with:
//! - a *header read deadline* ([`ConnectionLimits::header_read_timeout`]): the request line
//!   and headers must be complete within it, counted from the moment the server waits for
//!   them (a total deadline, so a client dripping one byte at a time is closed too; it also
//!   closes idle keep-alive connections);
//! - limits on the head: at most [`MAX_HEADERS`] headers and [`MAX_HEAD_BYTES`] of request
//!   line and headers, answered by [`super::raw_rejections`] with a JSON error;
//! - a bound on open connections ([`ConnectionLimits::max_connections`]): at the bound the
//!   server stops accepting, and new clients wait in the listen backlog until a connection
//!   closes (a stalled one at the latest when its header deadline passes).
//!
//! The body read timeout ([`ConnectionLimits::body_read_timeout`]) is tower-http's
//! `RequestBodyTimeoutLayer`, applied in [`super::router`]: it is the longest pause allowed
//! between two pieces of a request body.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use super::head_limits::{MAX_HEAD_BYTES, MAX_HEADERS};
use super::raw_rejections::JsonRejections;

/// How long clients may take and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// Time allowed to receive a request's line and headers (`HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout: Duration,
    /// Longest pause allowed while a request body is read (`BODY_READ_TIMEOUT_SECS`).
    pub body_read_timeout: Duration,
    /// Connections open at once (`MAX_CONNECTIONS`).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 2048,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then waits for the
/// open connections to finish their requests (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEAD_BYTES)
        // The read buffer's cap (a soft one: a single read may pass it), hyper's ~400 KiB
        // default times thousands of slow connections would be gigabytes.
        .max_buf_size(2 * MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, as axum::serve does,
                    // rather than spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(JsonRejections::new(stream));
        let service = TowerToHyperService::new(WithPeer {
            app: app.clone(),
            peer,
        });
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The app with the client's address on each request (`ConnectInfo<SocketAddr>`, which the
/// per-address rate limit reads).
#[derive(Clone)]
struct WithPeer {
    app: axum::Router,
    peer: SocketAddr,
}

impl tower_service::Service<hyper::Request<hyper::body::Incoming>> for WithPeer {
    type Response =
        <axum::Router as tower_service::Service<hyper::Request<hyper::body::Incoming>>>::Response;
    type Error = std::convert::Infallible;
    type Future =
        <axum::Router as tower_service::Service<hyper::Request<hyper::body::Incoming>>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower_service::Service::<hyper::Request<hyper::body::Incoming>>::poll_ready(
            &mut self.app,
            cx,
        )
    }

    fn call(&mut self, mut request: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        tower_service::Service::call(&mut self.app, request)
    }
}
