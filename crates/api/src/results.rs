//! `GET /status/{job_id}` and `GET /results/{job_id}/{file}`. A malformed id is a plain 404:
//! it never reaches a store as a key. Another client's job is a 404 too, exactly like a job
//! that does not exist, so a key cannot even learn which ids are taken.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::status::{RESULT_FILES, XLSX_CONTENT_TYPE, retry_after, status_view};
use drawings_core::{ErrorClass, ErrorCode, Job, JobId, JobStatus};

/// The caller's job `raw_id`; 404 when the id is malformed, unknown or another client's.
pub(crate) async fn load_own_job(state: &AppState, caller: &Caller, raw_id: &str) -> Result<Job, ApiError> {
    let id = JobId::parse(raw_id).ok_or_else(|| ApiError::not_found("job"))?;
    match state.backends.jobs.get(&id).await {
        Ok(job) if caller.owns(&job) => Ok(job),
        Ok(_) => Err(ApiError::not_found("job")),
        Err(e) if e.class() == ErrorClass::NotFound => Err(ApiError::not_found("job")),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_id): Path<String>,
) -> Result<Response, ApiError> {
    let job = load_own_job(&state, &caller, &job_id).await?;
    let view = status_view(&job, state.backends.blobs.as_ref(), state.link_ttl).await?;
    let mut response = axum::Json(view).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(secs) = retry_after(&job) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(response)
}

pub(crate) async fn result_file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((job_id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !RESULT_FILES.contains(&file.as_str()) {
        return Err(ApiError::not_found("result file"));
    }
    let job = load_own_job(&state, &caller, &job_id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ResultNotReady,
            format!(
                "job {} is {}; results exist once it has completed",
                job.id,
                job.status.as_str()
            ),
        ));
    }
    let body = state.backends.blobs.get(&job.id.blob_key(&file)).await?;
    let content_type = match file.rsplit('.').next() {
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        _ => XLSX_CONTENT_TYPE,
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
