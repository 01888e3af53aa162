//! The drawings HTTP API: an axum `Router` over the core's intake and status services. The
//! same router runs under `drawings serve` and under the intake Lambda (`lambda_http`).
//!
//! Every route but `GET /health` and `GET /openapi.json` sits behind [`Auth`]: with keys, a
//! request needs one in `x-api-key` and sees only its client's jobs (see the `auth` module).
//! `GET /openapi.json` describes the API; the router is built from the same annotated
//! handlers as the document (see the `openapi` module). `drawings serve` serves the router
//! through [`edge::serve`], which bounds connections and the time a client may take.
#![warn(missing_docs)]

mod auth;
mod cancel;
pub mod edge;
mod error;
mod jobs;
mod keys;
mod labels;
mod metrics;
mod openapi;
mod pages;
mod payload;
mod rate_limit;
mod request_id;
mod results;
mod submit;
pub mod ui;
mod uploads;

pub use auth::{API_KEY_HEADER, Auth, Caller};
pub use error::ApiError;
pub use jobs::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT};
pub use keys::{ApiKeys, KEY_PREFIX, KeyRecord, KeysError, generate_key, hash_key, valid_client_name};
pub use labels::MAX_LABEL_BYTES;
pub use metrics::PrometheusRegistry;
pub use payload::{LAMBDA_DIRECT_UPLOAD_BYTES, LAMBDA_EVENT_ENVELOPE_BYTES, LAMBDA_PAYLOAD_BYTES};
pub use rate_limit::RateLimit;
pub use request_id::{REQUEST_ID_HEADER, current_request_id};
pub use results::{INLINE_RESULT_MAX_BYTES, REDIRECT_TTL};

use axum::http::StatusCode;
use axum::{Extension, Router};
use drawings_core::ErrorCode;
use drawings_core::Ports;
use drawings_core::intake::Intake;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// Accepts uploads.
    pub intake: Arc<Intake>,
    /// Stores the routes read from.
    pub ports: Ports,
    /// How long presigned links stay valid: result downloads and upload PUTs alike.
    pub link_ttl: Duration,
    /// The registry `GET /metrics` renders (the embedded server's; none on Lambda: 404).
    pub metrics: Option<Arc<PrometheusRegistry>>,
}

/// The API's routes with authentication off ([`Auth::off`]): for tests and hosts that
/// authenticate in front. `drawings serve` and the intake Lambda use [`router_with_auth`].
pub fn router(state: AppState) -> Router {
    router_with_auth(state, Auth::off())
}

/// The API's routes behind `auth`.
pub fn router_with_auth(state: AppState, auth: Auth) -> Router {
    let auth_mode = if auth.is_on() { AuthMode::On } else { AuthMode::Off };
    // Multipart bodies carry a little framing around the file.
    let body_limit = state.intake.config().max_upload_bytes as usize + 64 * 1024;
    let (routes, document) = openapi::routes(body_limit).split_for_parts();
    let blobs = state.ports.blobs.clone();
    routes
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::InvalidRequest,
                "method not allowed on this route",
            )
        })
        .layer(Extension(openapi::finish(document)))
        .layer(Extension(auth_mode))
        .layer(axum::middleware::from_fn_with_state(auth, auth::authenticate))
        .layer(axum::middleware::from_fn(request_id::with_request_id))
        .with_state(state)
        .merge(ui::router(blobs))
}

/// Whether the server asks for API keys.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum AuthMode {
    /// Every route but `/health` and `/openapi.json` needs `x-api-key`.
    On,
    /// No keys: every caller sees every job (only on a loopback address).
    Off,
}

/// The body of `GET /health`.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    #[schema(value_type = String, example = "ok")]
    status: &'static str,
    /// The server's version.
    #[schema(value_type = String)]
    version: &'static str,
    /// Whether API keys are required.
    auth: AuthMode,
}

/// Liveness, open without a key.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    operation_id = "health",
    responses((status = 200, description = "The server is up.", body = Health))
)]
async fn health(Extension(auth): Extension<AuthMode>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        auth,
    })
}
