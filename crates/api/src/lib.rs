//! The drawings HTTP API: an axum `Router` over the core's intake and status services. The
//! same router runs under `drawings serve` and under the intake Lambda (`lambda_http`).
#![warn(missing_docs)]

mod error;
mod request_id;
mod results;
mod submit;
mod uploads;

pub use error::ApiError;
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
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
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
        .route("/health", get(health))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::InvalidRequest,
                "method not allowed on this route",
            )
        })
        .layer(axum::middleware::from_fn(request_id::with_request_id))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
