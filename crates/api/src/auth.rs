//! Authentication and client isolation. A middleware in front of every route but
//! `GET /health` and `GET /openapi.json` reads the key in `x-api-key`, answers
//! `401 UNAUTHORIZED` when it is missing or unknown and `429 RATE_LIMITED` (with `Retry-After`)
//! when the key is over its rate, and otherwise hands the handlers a [`Caller`]: the client
//! the key belongs to.
//!
//! Failed authentications are limited per source address (the peer of the connection, as
//! `ConnectInfo<SocketAddr>`; IPv6 by /64, the block one host usually holds): past the burst
//! a missing or unknown key is a 429 instead of a 401, and the log lines about them are
//! themselves rate-limited. A valid key is never refused for its address's failures, so a
//! client behind the same NAT as a prober keeps working; the keys' 256 bits are what stop
//! guessing, the limit stops the flood. A request without a peer address (a test calling
//! the router directly) is not counted.
//!
//! Handlers take the caller as `Extension<Caller>`. A route the middleware does not cover has
//! no caller and fails with a 500 rather than serving without a check.

use crate::error::ApiError;
use crate::keys::ApiKeys;
use crate::rate_limit::{RateLimit, RateLimiter};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use drawings_core::intake::{Upload, valid_idempotency_key};
use drawings_core::{ErrorCode, Job};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The header carrying the key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Paths served without a key: a client needs them to find out whether, and how, to call.
pub(crate) const OPEN_PATHS: [&str; 2] = ["/health", "/openapi.json"];

/// Log lines about refused keys, process-wide: enough to see a problem, too few to fill a disk.
const REFUSAL_LOG_LINES: RateLimit = RateLimit {
    per_minute: 30,
    burst: 10,
};

/// Who may call the API.
#[derive(Clone, Debug)]
pub struct Auth {
    gate: Option<Arc<Gate>>,
}

#[derive(Debug)]
struct Gate {
    keys: ApiKeys,
    limiter: RateLimiter<[u8; 32]>,
    failures: RateLimiter<IpAddr>,
    refusal_log: RateLimiter<()>,
    /// Refusals not logged since the last line that was.
    unlogged_refusals: AtomicU64,
}

impl Auth {
    /// No authentication: every caller is [`Caller::Anonymous`] and sees every job. Only
    /// for a server nobody else can reach (`drawings serve` on loopback) and for tests.
    pub fn off() -> Self {
        Auth { gate: None }
    }

    /// Every route but `GET /health` needs one of `keys`, each limited to `limit`; failed
    /// authentications per source address are limited to [`RateLimit::AUTH_FAILURES`].
    pub fn with_keys(keys: ApiKeys, limit: RateLimit) -> Self {
        Self::with_limits(keys, limit, RateLimit::AUTH_FAILURES)
    }

    /// [`Auth::with_keys`] with the limit on failed authentications per source address
    /// (`per_minute` 0: no limit).
    pub fn with_limits(keys: ApiKeys, limit: RateLimit, failures_per_source: RateLimit) -> Self {
        Auth {
            gate: Some(Arc::new(Gate {
                keys,
                limiter: RateLimiter::new(limit),
                failures: RateLimiter::new(failures_per_source),
                refusal_log: RateLimiter::new(REFUSAL_LOG_LINES),
                unlogged_refusals: AtomicU64::new(0),
            })),
        }
    }

    /// Whether keys are required.
    pub fn is_on(&self) -> bool {
        self.gate.is_some()
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Authentication is off.
    Anonymous,
    /// A key of this client.
    Client(Arc<str>),
    /// An operator key of this client: the client's jobs, and the process-wide routes.
    Operator(Arc<str>),
}

impl Caller {
    /// The client's name, when authenticated.
    pub fn client(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::Client(name) | Caller::Operator(name) => Some(name),
        }
    }

    /// Whether the caller may see `job`: its own jobs when authenticated (the job's
    /// `input.client_name` is the key's client), every job when authentication is off.
    pub fn owns(&self, job: &Job) -> bool {
        self.owns_jobs_of(job.input.client_name.as_deref())
    }

    /// Whether the caller may see a job of `owner` (its `input.client_name`).
    pub fn owns_jobs_of(&self, owner: Option<&str>) -> bool {
        match self.client() {
            None => true,
            Some(name) => owner == Some(name),
        }
    }

    /// Whether the caller may read what concerns every client (`GET /metrics`): an operator
    /// key, or anyone when authentication is off.
    pub fn is_operator(&self) -> bool {
        matches!(self, Caller::Anonymous | Caller::Operator(_))
    }

    /// The upload as the caller's: the key's client as `client_name` (none with
    /// authentication off, whatever the form said), the idempotency key scoped to that client:
    /// `sha256(client NUL key)` in hex, itself a valid key, with the empty client for open
    /// callers. A client name is never empty and holds no NUL, so no open caller's scoped key
    /// can equal a client's, whatever key it sends.
    pub(crate) fn take_ownership(&self, mut upload: Upload) -> Result<Upload, ApiError> {
        let client = self.client();
        if upload.client_name.is_some() && upload.client_name.as_deref() != client {
            tracing::debug!(given = ?upload.client_name, "client_name ignored: the caller's key decides the owner.");
        }
        upload.client_name = client.map(str::to_owned);
        if let Some(key) = upload.idempotency_key.take() {
            // Checked here: the scoped form would pass the intake's check whatever was sent.
            if !valid_idempotency_key(&key) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidRequest,
                    "Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 - _ . :",
                ));
            }
            let mut hasher = Sha256::new();
            hasher.update(client.unwrap_or_default().as_bytes());
            hasher.update([0]);
            hasher.update(key.as_bytes());
            upload.idempotency_key = Some(hex::encode(hasher.finalize()));
        }
        Ok(upload)
    }
}

/// Middleware: authenticates, rate-limits and records the [`Caller`] on the request.
pub(crate) async fn authenticate(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    if OPEN_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let Some(gate) = &auth.gate else {
        request.extensions_mut().insert(Caller::Anonymous);
        return next.run(request).await;
    };
    let source = source_of(&request);
    let presented = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return gate.refuse(source, false, "send an API key in the x-api-key header");
    };
    let Some(record) = gate.keys.authenticate(presented) else {
        return gate.refuse(source, true, "the API key is not valid");
    };
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let client: Arc<str> = Arc::from(record.client.as_str());
    tracing::Span::current().record("client", &*client);
    if let Err(secs) = gate.limiter.take(&digest) {
        tracing::info!(client = %client, retry_after = secs, "Request over the key's rate limit.");
        return rate_limited(format!("too many requests for this API key; retry in {secs} s"), secs);
    }
    let caller = if record.operator {
        Caller::Operator(client)
    } else {
        Caller::Client(client)
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

impl Gate {
    /// The answer to a missing (`presented` false) or unknown key: 401, or 429 once the source
    /// is over its failures.
    fn refuse(&self, source: Option<IpAddr>, presented: bool, message: &str) -> Response {
        let over = source.and_then(|ip| self.failures.take(&ip).err());
        if presented || over.is_some() {
            self.log_refusal(source, over);
        }
        match over {
            Some(secs) => rate_limited(
                format!("too many failed authentications from this address; retry in {secs} s"),
                secs,
            ),
            None => unauthorized(message),
        }
    }

    fn log_refusal(&self, source: Option<IpAddr>, retry_after: Option<u64>) {
        if self.refusal_log.take(&()).is_err() {
            self.unlogged_refusals.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let unlogged = self.unlogged_refusals.swap(0, Ordering::Relaxed);
        let source = source.map(|ip| ip.to_string());
        match retry_after {
            None => tracing::info!(source, unlogged, "Request with an unknown API key refused."),
            Some(secs) => tracing::info!(
                source,
                unlogged,
                retry_after = secs,
                "Failed authentications from this address over its limit: refused with 429."
            ),
        }
    }
}

/// The address failures are counted against: the connection's peer, IPv4-mapped IPv6 as
/// IPv4, other IPv6 by its /64.
fn source_of(request: &Request) -> Option<IpAddr> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    Some(match peer.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
        v4 => v4,
    })
}

fn rate_limited(message: String, secs: u64) -> Response {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message)
        .with_retry_after(secs)
        .into_response()
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"ApiKey realm="drawings", header="x-api-key""#),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(addr: &str) -> Option<IpAddr> {
        let mut request = Request::new(axum::body::Body::empty());
        request
            .extensions_mut()
            .insert(ConnectInfo(addr.parse::<SocketAddr>().unwrap()));
        source_of(&request)
    }

    #[test]
    fn failures_count_against_the_ipv4_address_or_the_ipv6_64() {
        assert_eq!(source("192.0.2.7:5000"), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(source("[::ffff:192.0.2.7]:5000"), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(
            source("[2001:db8:1:2:aaaa::1]:1"),
            Some("2001:db8:1:2::".parse().unwrap())
        );
        assert_eq!(source("[2001:db8:1:2:bbbb::9]:2"), source("[2001:db8:1:2::]:3"));
        assert_eq!(source_of(&Request::new(axum::body::Body::empty())), None);
    }
}
