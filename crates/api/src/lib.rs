//! The drawings HTTP API: an axum `Router` over the core's intake and status services. The
//! same router runs under `drawings serve` and under the intake Lambda (`lambda_http`).
//!
//! Every route but `GET /health` sits behind [`Auth`]: with keys, a request needs one in
//! `x-api-key` and sees only its client's jobs (see the `auth` module).
#![warn(missing_docs)]

mod auth;
pub mod callback;
mod cancel;
mod error;
mod jobs;
mod keys;
mod metrics;
mod rate_limit;
mod request_id;
mod results;
mod submit;
mod uploads;

pub use auth::{API_KEY_HEADER, Auth, Caller};
pub use error::ApiError;
pub use jobs::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT};
pub use metrics::PrometheusRegistry;
pub use keys::{ApiKeys, KEY_PREFIX, KeyRecord, KeysError, generate_key, hash_key, valid_client_name};
pub use rate_limit::RateLimit;
pub use request_id::{REQUEST_ID_HEADER, current_request_id};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use drawings_core::ErrorCode;
use drawings_core::intake::Intake;
use drawings_core::pipeline::Backends;
use std::sync::Arc;
use std::time::Duration;

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// Accepts uploads.
    pub intake: Arc<Intake>,
    /// Stores the routes read from.
    pub backends: Backends,
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
    let auth_mode = if auth.is_on() { "on" } else { "off" };
    // Multipart bodies carry a little framing around the file.
    let body_limit = state.intake.config().max_upload_bytes as usize + 64 * 1024;
    Router::new()
        .route(
            "/process-drawing",
            post(submit::process_drawing).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/uploads", post(uploads::create_upload))
        .route("/status/{job_id}", get(results::status))
        .route("/results/{job_id}/{file}", get(results::result_file))
        .route("/jobs", get(jobs::list_jobs))
        .route("/jobs/{job_id}", axum::routing::delete(cancel::cancel_job))
        .route("/metrics", get(metrics::metrics))
        .route("/health", get(move || health(auth_mode)))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::InvalidRequest,
                "method not allowed on this route",
            )
        })
        .layer(axum::middleware::from_fn_with_state(auth, auth::authenticate))
        .layer(axum::middleware::from_fn(request_id::with_request_id))
        .with_state(state)
}

async fn health(auth: &'static str) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "auth": auth }))
}
