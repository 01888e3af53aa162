//! `GET /metrics`: the pipeline's metrics in the Prometheus text exposition format, from the
//! [`PrometheusRegistry`] the embedded server hands to its processor and to the API; on Lambda
//! the metrics go to CloudWatch instead and this route answers 404.
//!
//! The metrics are the whole process's, every client's counts and spend together, so with
//! keys the route takes an operator key (`drawings keys create --operator`) and answers a
//! client's key `403 FORBIDDEN`.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::prometheus::CONTENT_TYPE;
use crate::state::AppState;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::ErrorCode;

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    operation_id = "metrics",
    summary = "The server's metrics, Prometheus text format 0.0.4",
    responses(
        (status = 200, description = "Every metric with its `HELP` and `TYPE`.",
            body = String, content_type = "text/plain"),
        (status = 403, description = "`FORBIDDEN`: the key is a client's, not an operator's.",
            body = crate::error::ErrorBody),
        (status = 404, description = "`NOT_FOUND`: this deployment publishes its metrics to CloudWatch.",
            body = crate::error::ErrorBody),
    )
)]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    if !caller.is_operator() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the metrics cover every client: they need an operator key (drawings keys create --operator)",
        ));
    }
    let registry = state.metrics.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "this deployment publishes its metrics to CloudWatch, not here",
        )
    })?;
    let mut response = registry.render().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
