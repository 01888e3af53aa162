//! Error vocabulary shared by every port and service: the class a caller branches on, the
//! stable upper-snake code a client sees, and the failure recorded on a job.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A boxed source error, kept reachable through `source()` without leaking adapter types.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a caller may do about an error. Callers branch on this, never on a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The thing asked for does not exist.
    NotFound,
    /// A concurrent writer won, or a precondition (version, absence) did not hold.
    Conflict,
    /// The request or the input itself is wrong; retrying it unchanged cannot help.
    Invalid,
    /// A backend or dependency hiccup; the same call may succeed later.
    Transient,
    /// A failure that will repeat: give up and report it.
    Permanent,
}

impl ErrorClass {
    /// Whether a retry of the same operation can succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Transient | ErrorClass::Conflict)
    }
}

/// Stable error codes, part of the public API (`{"error":{"code": ...}}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Not a PDF, or a PDF no engine can open.
    InvalidPdf,
    /// The PDF needs a password.
    EncryptedPdf,
    /// More pages than the configured limit.
    TooManyPages,
    /// A page larger than the configured limit, in points.
    PageTooLarge,
    /// The upload is larger than the configured limit.
    PayloadTooLarge,
    /// The request body is empty.
    EmptyBody,
    /// The body is neither `application/pdf` nor multipart with `drawing_file`.
    UnsupportedMediaType,
    /// The blob store cannot hand out presigned uploads: send the file to `POST /process-drawing`.
    UploadsNotSupported,
    /// A malformed request (bad header, bad field).
    InvalidRequest,
    /// The request carries no API key, or one that is not (or no longer) valid.
    Unauthorized,
    /// The API key made more requests than its rate limit allows, or the caller's address
    /// failed to authenticate too often; retry after `Retry-After`.
    RateLimited,
    /// The key is valid but not allowed this route (`GET /metrics` needs an operator key).
    Forbidden,
    /// The client took too long to send its request (headers, or the body stalled or dragged
    /// past the server's limit); nothing was stored.
    RequestTimeout,
    /// The job or result does not exist.
    NotFound,
    /// The result is not there yet: the job has not completed.
    ResultNotReady,
    /// The same `Idempotency-Key` was used with a different file.
    IdempotencyConflict,
    /// A page or a job took longer than its limit.
    ProcessingTimeout,
    /// A page needed more memory or work than its limit allows.
    ResourceLimit,
    /// The analyzer failed on a page.
    AnalysisFailed,
    /// The model's rate limit held after every retry; the job is retried later.
    ModelRateLimited,
    /// The model's daily quota or spend cap is used up: retrying today cannot help.
    ModelQuotaExhausted,
    /// The model API rejected the key or its permissions.
    ModelAuthFailed,
    /// No longer produced (a missing model is `MODEL_UNAVAILABLE`); kept so that job records
    /// written before still read.
    ModelNotFound,
    /// The model API rejected the request as invalid (size, schema, argument).
    ModelRequestRejected,
    /// The configured model is not served: Google retired it, or the id is unknown (404). The
    /// message names the setting to change (`DRAWINGS_GEMINI_MODEL`); retrying cannot help.
    ModelUnavailable,
    /// The model API kept failing (5xx, timeouts, broken connections) after every retry; the
    /// job is retried later.
    ModelServerError,
    /// The model answered `STOP` with no text, again and again; the job is retried later.
    ModelEmptyReply,
    /// The model refused to look at the page (`promptFeedback.blockReason`).
    ModelInputBlocked,
    /// The model's answer was withheld (`SAFETY`, `RECITATION`, ...).
    ModelOutputBlocked,
    /// The answer was cut off at the largest output budget allowed.
    ModelOutputTruncated,
    /// The answer was not the JSON the response schema asks for, even when asked again.
    ModelOutputInvalid,
    /// The job was retried until the dead-letter queue took it.
    RetriesExhausted,
    /// The job was cancelled.
    Cancelled,
    /// The job has already completed or failed, so it cannot be cancelled.
    JobFinished,
    /// A backend (store, queue, blobs) is unavailable; try again later.
    ServiceUnavailable,
    /// A bug or an unexpected state; reported, never silent.
    Internal,
    /// The text-layer analyzer could not read a page within its time limit (a page too
    /// complex, e.g. thousands of labels printed over one another); the same page fails again.
    PageAnalysisTimeout,
    /// A page holds more words of text than the text-layer analyzer reads; the same page
    /// fails again.
    PageTooComplex,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPdf => "INVALID_PDF",
            ErrorCode::EncryptedPdf => "ENCRYPTED_PDF",
            ErrorCode::TooManyPages => "TOO_MANY_PAGES",
            ErrorCode::PageTooLarge => "PAGE_TOO_LARGE",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::EmptyBody => "EMPTY_BODY",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::UploadsNotSupported => "UPLOADS_NOT_SUPPORTED",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::ResultNotReady => "RESULT_NOT_READY",
            ErrorCode::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            ErrorCode::ProcessingTimeout => "PROCESSING_TIMEOUT",
            ErrorCode::ResourceLimit => "RESOURCE_LIMIT",
            ErrorCode::AnalysisFailed => "ANALYSIS_FAILED",
            ErrorCode::ModelRateLimited => "MODEL_RATE_LIMITED",
            ErrorCode::ModelQuotaExhausted => "MODEL_QUOTA_EXHAUSTED",
            ErrorCode::ModelAuthFailed => "MODEL_AUTH_FAILED",
            ErrorCode::ModelNotFound => "MODEL_NOT_FOUND",
            ErrorCode::ModelRequestRejected => "MODEL_REQUEST_REJECTED",
            ErrorCode::ModelUnavailable => "MODEL_UNAVAILABLE",
            ErrorCode::ModelServerError => "MODEL_SERVER_ERROR",
            ErrorCode::ModelEmptyReply => "MODEL_EMPTY_REPLY",
            ErrorCode::ModelInputBlocked => "MODEL_INPUT_BLOCKED",
            ErrorCode::ModelOutputBlocked => "MODEL_OUTPUT_BLOCKED",
            ErrorCode::ModelOutputTruncated => "MODEL_OUTPUT_TRUNCATED",
            ErrorCode::ModelOutputInvalid => "MODEL_OUTPUT_INVALID",
            ErrorCode::RetriesExhausted => "RETRIES_EXHAUSTED",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::JobFinished => "JOB_FINISHED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::PageAnalysisTimeout => "PAGE_ANALYSIS_TIMEOUT",
            ErrorCode::PageTooComplex => "PAGE_TOO_COMPLEX",
        }
    }
}

impl ErrorCode {
    /// Whether the uploaded file itself caused the failure: the client is told, operators
    /// are not paged.
    pub fn is_input_error(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidPdf
                | ErrorCode::EncryptedPdf
                | ErrorCode::TooManyPages
                | ErrorCode::PageTooLarge
                | ErrorCode::PayloadTooLarge
                | ErrorCode::PageAnalysisTimeout
                | ErrorCode::PageTooComplex
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every storage-like port returns (`JobStore`, `JobQueue`, `BlobStore`,
/// `Notifier`). Adapters map their SDK or driver errors into these classes at the boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record, message or blob does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, for the log.
        what: String,
    },
    /// A conditional write lost: the version moved, or the item already exists.
    #[error("conflict on {what}")]
    Conflict {
        /// What was written, for the log.
        what: String,
    },
    /// The request was rejected as malformed by the backend (too large, bad key, ...).
    #[error("invalid request to {backend}: {source}")]
    Invalid {
        /// The adapter that rejected it.
        backend: &'static str,
        /// The original error.
        #[source]
        source: BoxError,
    },
    /// The backend may answer later (throttling, timeouts, busy database).
    #[error("transient failure in {backend}: {source}")]
    Transient {
        /// The adapter that failed.
        backend: &'static str,
        /// The original error.
        #[source]
        source: BoxError,
    },
    /// The backend will keep failing (permissions, missing table, corrupt data).
    #[error("permanent failure in {backend}: {source}")]
    Permanent {
        /// The adapter that failed.
        backend: &'static str,
        /// The original error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// The class callers branch on.
    pub fn class(&self) -> ErrorClass {
        match self {
            StoreError::NotFound { .. } => ErrorClass::NotFound,
            StoreError::Conflict { .. } => ErrorClass::Conflict,
            StoreError::Invalid { .. } => ErrorClass::Invalid,
            StoreError::Transient { .. } => ErrorClass::Transient,
            StoreError::Permanent { .. } => ErrorClass::Permanent,
        }
    }

    /// Shorthand for [`StoreError::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    /// Shorthand for [`StoreError::Conflict`].
    pub fn conflict(what: impl Into<String>) -> Self {
        StoreError::Conflict { what: what.into() }
    }

    /// Shorthand for [`StoreError::Transient`].
    pub fn transient(backend: &'static str, source: impl Into<BoxError>) -> Self {
        StoreError::Transient {
            backend,
            source: source.into(),
        }
    }

    /// Shorthand for [`StoreError::Permanent`].
    pub fn permanent(backend: &'static str, source: impl Into<BoxError>) -> Self {
        StoreError::Permanent {
            backend,
            source: source.into(),
        }
    }
}

/// Why a job failed, as stored on the job and shown in `GET /status`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// The stage that failed, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<crate::stage::Stage>,
    /// Whether submitting the same file again may succeed.
    pub retryable: bool,
}
