//! One connection of the edge server: hyper's HTTP/1 state machine over the socket, with a
//! clock that knows which phase the connection is in (waiting for a head, handling a
//! request, sending a response, idle) and closes it when that phase's limit passes.

use super::{EdgeLimits, request_timed_out};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// What a connection serves, and within which limits.
pub(super) struct Connection {
    pub(super) app: Router,
    pub(super) limits: Arc<EdgeLimits>,
    pub(super) peer: SocketAddr,
}

impl Connection {
    /// Serves the connection until it ends or a limit closes it; `slot` is its place under
    /// the connection cap, given back when this returns.
    pub(super) async fn serve(self, stream: TcpStream, mut stop: watch::Receiver<bool>, slot: OwnedSemaphorePermit) {
        let _slot = slot;
        // Small answers go out at once instead of waiting for more to send.
        stream.set_nodelay(true).ok();
        let clock = Arc::new(PhaseClock::new());
        let limits = self.limits.clone();
        let io = TokioIo::new(ClockedIo {
            inner: stream,
            clock: clock.clone(),
        });
        let handler = Arc::new(self);
        let service = hyper::service::service_fn({
            let clock = clock.clone();
            move |request| handler.clone().handle(request, clock.clone())
        });
        let mut builder = http1::Builder::new();
        builder
            .header_read_timeout(None)
            .max_header_size(limits.max_header_bytes);
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "Connection ended with an error.");
                    }
                    return;
                }
                why = clock.expired(&limits) => {
                    tracing::debug!(why, "Connection closed by a limit.");
                    return;
                }
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }

    async fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        clock: Arc<PhaseClock>,
    ) -> Result<Response, Infallible> {
        clock.set(Phase::Handling);
        let mut request = request.map(|body| Body::new(TimeoutBody::new(self.limits.body_timeout, body)));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = match tokio::time::timeout(self.limits.request_timeout, self.app.clone().oneshot(request)).await
        {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_) => request_timed_out(self.limits.request_timeout).into_response(),
        };
        clock.set(Phase::Responding);
        Ok(response.map(|body| {
            Body::new(ResponseBody {
                inner: body,
                _sent: ResponseSent(clock),
            })
        }))
    }
}

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Bytes of a request have come (or the connection is new); its head has not.
    AwaitingHead,
    /// The router has the request; its own timeouts apply.
    Handling,
    /// The response is being written.
    Responding,
    /// Between requests.
    Idle,
}

/// The phase a connection is in, and since when (for `Responding`: since the last write).
struct PhaseClock {
    state: Mutex<(Phase, Instant)>,
    /// Woken on a change of phase, which may bring the deadline closer.
    changed: Notify,
}

impl PhaseClock {
    fn new() -> Self {
        PhaseClock {
            state: Mutex::new((Phase::AwaitingHead, Instant::now())),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Phase, Instant)> {
        // A poisoned lock only means a panic mid-update of two plain values.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.lock() = (phase, Instant::now());
        self.changed.notify_one();
    }

    /// Bytes came in: the start of the next request's head if the connection was idle.
    fn read_some(&self) {
        let mut state = self.lock();
        if state.0 == Phase::Idle {
            *state = (Phase::AwaitingHead, Instant::now());
            self.changed.notify_one();
        }
    }

    /// Bytes went out: a response in progress is not stalled.
    fn wrote_some(&self) {
        let mut state = self.lock();
        if state.0 == Phase::Responding {
            state.1 = Instant::now();
        }
    }

    /// The response was written whole (or given up): the connection is idle.
    fn response_sent(&self) {
        let mut state = self.lock();
        if state.0 == Phase::Responding {
            *state = (Phase::Idle, Instant::now());
            self.changed.notify_one();
        }
    }

    /// When the current phase's limit passes, and why that closes the connection.
    fn deadline(&self, limits: &EdgeLimits) -> Option<(Instant, &'static str)> {
        let (phase, since) = *self.lock();
        match phase {
            Phase::AwaitingHead => Some((since + limits.header_timeout, "request head not received in time")),
            Phase::Idle => Some((since + limits.idle_timeout, "idle")),
            Phase::Responding => Some((since + limits.idle_timeout, "response not read in time")),
            Phase::Handling => None,
        }
    }

    /// Completes once the connection has stayed in a phase past its limit.
    async fn expired(&self, limits: &EdgeLimits) -> &'static str {
        loop {
            // Registered before the deadline is read, so a change in between is not missed.
            let changed = self.changed.notified();
            match self.deadline(limits) {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                // Handling: no limit here until the phase changes.
                None => changed.await,
            }
        }
    }
}

/// The socket, telling the clock when bytes move.
struct ClockedIo {
    inner: TcpStream,
    clock: Arc<PhaseClock>,
}

impl AsyncRead for ClockedIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.read_some();
        }
        polled
    }
}

impl AsyncWrite for ClockedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.clock.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.clock.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Marks the response sent when dropped: hyper drops a response body once it is written
/// whole, or when the connection gives up on it.
struct ResponseSent(Arc<PhaseClock>);

impl Drop for ResponseSent {
    fn drop(&mut self) {
        self.0.response_sent();
    }
}

/// A response body that marks the response sent when it is dropped.
struct ResponseBody {
    inner: Body,
    _sent: ResponseSent,
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
