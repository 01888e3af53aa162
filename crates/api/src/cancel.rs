//! `DELETE /jobs/{job_id}`: cancels a queued or processing job and answers `200` with its
//! status view (now `cancelled`, error `CANCELLED`). An already-cancelled job answers the
//! same `200` again (idempotent); a completed or failed one is `409 JOB_FINISHED`; an
//! unknown id, or another client's job, is `404`. A worker running the job stops at its next
//! checkpoint; the outputs written so far stay until the job's TTL deletes them with it.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{load_own_job, path_params};
use crate::state::AppState;
use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::ErrorCode;
use drawings_core::cancel::{CancelError, cancel};
use drawings_core::status::{StatusView, status_view};
use serde_json::json;

#[utoipa::path(
    delete,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "cancel_job",
    summary = "Cancel a queued or processing job",
    params(("job_id" = String, Path, description = "The job's id.")),
    responses(
        (status = 200, description = "Cancelled (now, or already before): the job's status.", body = StatusView),
        (status = 404, description = "`NOT_FOUND`: no such job, or another client's job.", body = ErrorBody),
        (status = 409, description = "`JOB_FINISHED`: the job has already completed or failed; \
            `details` has its `job_id` and `status`.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn cancel_job(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let job_id = path_params(job_id)?;
    // Ownership first: another client's job is indistinguishable from a missing one.
    let job = load_own_job(&state, &caller, &job_id).await?;
    let job = match cancel(&state.ports, &job.id).await {
        Ok(job) => job,
        Err(CancelError::NotFound) => return Err(ApiError::not_found("job")),
        Err(CancelError::Finished(job)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::JobFinished,
                format!(
                    "job {} has already {}; only a queued or processing job can be cancelled",
                    job.id,
                    job.status.as_str()
                ),
            )
            .with_details(json!({ "job_id": job.id, "status": job.status })));
        }
        Err(CancelError::Store(e)) => return Err(e.into()),
    };
    let view = status_view(&job, state.ports.blobs.as_ref(), state.link_ttl).await?;
    let mut response = axum::Json(view).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
