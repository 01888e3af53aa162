//! The error envelope every route answers with:
//! `{"error":{"code","message","details"},"request_id","timestamp"}` ([`ErrorBody`], which the
//! OpenAPI document describes every error response with).

use crate::request_id::current_request_id;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::intake::IntakeError;
use drawings_core::{ErrorClass, ErrorCode, StoreError};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    error: ErrorDetail,
    /// The request's id, also in the `x-request-id` header: quote it when reporting a problem.
    #[schema(required = true)]
    request_id: Option<String>,
    /// When the answer was made (RFC 3339, UTC, milliseconds).
    #[schema(value_type = String, format = DateTime)]
    timestamp: String,
}

/// The `error` of an [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable code: branch on this, never on the message.
    code: ErrorCode,
    /// Human-readable explanation.
    message: String,
    /// Machine-readable details, e.g. the `job_id` of an `IDEMPOTENCY_CONFLICT`; often null.
    #[schema(required = true)]
    details: Option<Value>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    details: Option<Value>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Adds machine-readable details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Sets `Retry-After` (whole seconds) on the answer.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 404 NOT_FOUND.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 500 INTERNAL, for a fault the caller cannot act on; log the cause before answering.
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error; it has been logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e.class() {
            ErrorClass::NotFound => ApiError::not_found("resource"),
            ErrorClass::Transient | ErrorClass::Conflict => {
                tracing::warn!(error = %e, "Backend unavailable.");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::ServiceUnavailable,
                    "a backend is unavailable; retry shortly",
                )
            }
            ErrorClass::Invalid | ErrorClass::Permanent => {
                tracing::error!(error = %e, "Backend failure.");
                ApiError::internal()
            }
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        let code = e.code();
        let status = match code {
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::IdempotencyConflict => StatusCode::CONFLICT,
            ErrorCode::UploadsNotSupported => StatusCode::NOT_IMPLEMENTED,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let details = match &e {
            IntakeError::Conflict { job_id } => Some(json!({ "job_id": job_id })),
            _ => None,
        };
        if let IntakeError::Unavailable(source) = &e {
            tracing::warn!(error = %source, "Upload not accepted: backend unavailable.");
        }
        ApiError {
            status,
            code,
            message: e.to_string(),
            details,
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                details: self.details,
            },
            request_id: current_request_id(),
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let retry_after = self
            .retry_after
            .or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(5));
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
