//! What several handlers take from a request in the same way: path parameters (a rejection is
//! a 404 like any id that cannot be a job's), the caller's own job, and a small JSON body.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::payload::{read_limited, too_large};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use drawings_core::{ErrorClass, ErrorCode, Job, JobId, StoreError};
use serde::de::DeserializeOwned;

/// The largest JSON body read; the JSON requests carry a few short fields.
const MAX_JSON_BYTES: usize = 64 * 1024;

/// The path's parameters; a rejection (a segment that is not UTF-8 once decoded) is a 404
/// like any other id that cannot be a job's.
pub(crate) fn path_params<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(params)| params).map_err(|_| ApiError::not_found("job"))
}

/// The caller's job `raw_id`; 404 when the id is malformed, unknown or another client's.
pub(crate) async fn load_own_job(state: &AppState, caller: &Caller, raw_id: &str) -> Result<Job, ApiError> {
    let id = parse_job_id(raw_id)?;
    match state.ports.jobs.get(&id).await {
        Ok(job) if caller.owns(&job) => Ok(job),
        Ok(_) => Err(ApiError::not_found("job")),
        Err(e) => Err(job_error(e)),
    }
}

/// The job id in a path; 404 when it cannot be one.
pub(crate) fn parse_job_id(raw_id: &str) -> Result<JobId, ApiError> {
    JobId::parse(raw_id).ok_or_else(|| ApiError::not_found("job"))
}

/// The answer to a failed read of a job: 404 when there is none, else as any store error.
pub(crate) fn job_error(e: StoreError) -> ApiError {
    match e.class() {
        ErrorClass::NotFound => ApiError::not_found("job"),
        _ => e.into(),
    }
}

/// Reads a small JSON body; `None` when there is none.
pub(crate) async fn read_json<T: DeserializeOwned>(body: Body) -> Result<Option<T>, ApiError> {
    let bytes = read_limited(body, MAX_JSON_BYTES, || too_large(MAX_JSON_BYTES)).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            format!("malformed JSON body: {e}"),
        )
    })
}
