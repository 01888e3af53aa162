//! The HTTP/1 server in front of the router for `drawings serve`: the limits that keep one
//! client from holding the server's sockets and memory (the intake Lambda has API Gateway in
//! front instead). [`serve`] accepts at most [`EdgeLimits::max_connections`] connections at
//! once (more wait in the listen backlog), and each connection is closed when
//!
//! - its request line and headers take longer than the header timeout (from the connection's
//!   start, or from the first byte of a later request), or are larger than the header limit
//!   (`431`);
//! - it sits idle between requests, or a response waits for a client that stopped reading it,
//!   longer than the idle timeout.
//!
//! A request body that stalls (no bytes for the body timeout) or a request that is not
//! answered within the request timeout (a body dripped in slowly) is answered
//! `408 REQUEST_TIMEOUT`, after which the connection closes with the rest of the body unread.
//!
//! hyper's own header timer is off: it starts when hyper waits for a head, so it would also
//! close an idle keep-alive connection after the (short) header timeout. A small clock per
//! connection, fed by its socket reads and writes and by the service, tells the phases apart.

mod connection;

use crate::error::ApiError;
use axum::Router;
use axum::http::StatusCode;
use drawings_core::ErrorCode;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The limits of [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLimits {
    /// Time to send a request's line and headers.
    pub header_timeout: Duration,
    /// Time a connection may sit idle between requests, or stall while reading a response.
    pub idle_timeout: Duration,
    /// Longest pause within a request body.
    pub body_timeout: Duration,
    /// Time from a request's headers to its response, body upload included.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Largest request line and headers, bytes.
    pub max_header_bytes: usize,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        EdgeLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            // 100 MiB at 3 Mbit/s, the slowest link an upload limit of 100 MiB should allow.
            request_timeout: Duration::from_secs(300),
            max_connections: 512,
            max_header_bytes: 32 * 1024,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets each connection finish the request in hand (at most the request timeout)
/// and returns. Each request carries its peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: EdgeLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let slots_total = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS)
        .min(u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(slots_total));
    let limits = Arc::new(limits);
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // A slot before the accept: at the cap, new connections wait in the kernel's backlog
        // instead of taking a descriptor each.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of descriptors, most likely: wait for some to be freed rather than spin.
                tracing::error!(error = %e, "Accepting a connection failed; retrying in 1 s.");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let connection = connection::Connection {
            app: app.clone(),
            limits: limits.clone(),
            peer,
        };
        tokio::spawn(connection.serve(stream, stop_rx.clone(), slot));
    }
    drop(listener);
    // Every receiver may be gone already: nothing to tell then.
    stop_tx.send(true).ok();
    let drained = slots.acquire_many(slots_total as u32);
    if tokio::time::timeout(limits.request_timeout, drained).await.is_err() {
        tracing::warn!("Connections still open after the request timeout: closing them.");
    }
    Ok(())
}

/// Errors of one connection that never reached us, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// Whether a body error, or any error it wraps, is the body timeout's.
pub(crate) fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The answer to a body that stalled past the body timeout.
pub(crate) fn body_timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        "the request body stalled: no bytes arrived within the server's body timeout",
    )
}

/// The answer to a request not handled within the request timeout.
fn request_timed_out(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        format!(
            "the request took longer than the server's limit of {} s",
            limit.as_secs_f64()
        ),
    )
}
