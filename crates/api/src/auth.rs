//! Authentication and client isolation. A middleware in front of every route but
//! `GET /health` and `GET /openapi.json` reads the key in `x-api-key`, answers
//! `401 UNAUTHORIZED` when it is missing or unknown and `429 RATE_LIMITED` (with `Retry-After`)
//! when the key is over its rate, and otherwise hands the handlers a [`Caller`]: the client
//! the key belongs to.
//!
//! Handlers take the caller as `Extension<Caller>`. A route the middleware does not cover has
//! no caller and fails with a 500 rather than serving without a check.

use crate::ApiError;
use crate::keys::ApiKeys;
use crate::rate_limit::{RateLimit, RateLimiter};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use drawings_core::{ErrorCode, Job};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// The header carrying the key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Paths served without a key: a client needs them to find out whether, and how, to call.
pub(crate) const OPEN_PATHS: [&str; 2] = ["/health", "/openapi.json"];

/// Who may call the API.
#[derive(Clone, Debug)]
pub struct Auth {
    gate: Option<Arc<Gate>>,
}

#[derive(Debug)]
struct Gate {
    keys: ApiKeys,
    limiter: RateLimiter,
}

impl Auth {
    /// No authentication: every caller is [`Caller::Anonymous`] and sees every job. Only
    /// for a server nobody else can reach (`drawings serve` on loopback) and for tests.
    pub fn off() -> Self {
        Auth { gate: None }
    }

    /// Every route but `GET /health` needs one of `keys`, each limited to `limit`.
    pub fn with_keys(keys: ApiKeys, limit: RateLimit) -> Self {
        Auth {
            gate: Some(Arc::new(Gate {
                keys,
                limiter: RateLimiter::new(limit),
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
}

impl Caller {
    /// The client's name, when authenticated.
    pub fn client(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::Client(name) => Some(name),
        }
    }

    /// Whether the caller may see `job`: its own jobs when authenticated (the job's
    /// `input.client_name` is the key's client), every job when authentication is off.
    pub fn owns(&self, job: &Job) -> bool {
        match self {
            Caller::Anonymous => true,
            Caller::Client(name) => job.input.client_name.as_deref() == Some(&**name),
        }
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
    let presented = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return unauthorized("send an API key in the x-api-key header");
    };
    let Some(record) = gate.keys.authenticate(presented) else {
        tracing::info!("Request with an unknown API key refused.");
        return unauthorized("the API key is not valid");
    };
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let client: Arc<str> = Arc::from(record.client.as_str());
    tracing::Span::current().record("client", &*client);
    if let Err(secs) = gate.limiter.take(digest, Instant::now()) {
        tracing::info!(client = %client, retry_after = secs, "Request over the key's rate limit.");
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("too many requests for this API key; retry in {secs} s"),
        )
        .with_retry_after(secs)
        .into_response();
    }
    request.extensions_mut().insert(Caller::Client(client));
    next.run(request).await
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"ApiKey realm="drawings", header="x-api-key""#),
    );
    response
}
