//! `GET /status/{job_id}` and `GET /results/{job_id}/{file}`. A malformed id is a plain 404:
//! it never reaches a store as a key. Another client's job is a 404 too, exactly like a job
//! that does not exist, so a key cannot even learn which ids are taken. A path segment that
//! does not even decode (percent-encoded bytes that are not UTF-8) is the same 404.
//!
//! A result file bigger than [`INLINE_RESULT_MAX_BYTES`] is answered with a `307` to a
//! presigned GET, valid [`REDIRECT_TTL`], where the blob store has them (S3): the intake
//! Lambda's response, like its request, carries about 4.5 MB once base64-encoded, and a file
//! that big is better fetched from S3 directly anyway. Smaller files, and every file on the
//! embedded store (which presigns nothing), are served by the API itself. [`stored_file`]
//! makes that choice for every route that hands out a stored file (page images too); the web
//! UI follows such a redirect under the bucket's CORS rule and the page's `connect-src`
//! (`ui.rs`).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{load_own_job, parse_job_id, path_params};
use crate::state::AppState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::ResultFile;
use drawings_core::status::StatusView;
use drawings_core::{ErrorClass, ErrorCode, JobStatus};
use std::time::Duration;

/// The largest result file the API serves itself where the blob store could hand out a
/// presigned GET instead: the same as the largest request body, since the same 6 MB Lambda
/// payload, base64-encoded, carries the response.
pub const INLINE_RESULT_MAX_BYTES: u64 = crate::payload::LAMBDA_DIRECT_UPLOAD_BYTES;

/// How long the presigned GET of a redirect is valid (at most the configured link TTL): a
/// client follows a redirect at once, so a leaked `Location` is soon worthless.
pub const REDIRECT_TTL: Duration = Duration::from_secs(300);

#[utoipa::path(
    get,
    path = "/status/{job_id}",
    tag = "jobs",
    operation_id = "job_status",
    summary = "A job's status",
    params(("job_id" = String, Path, description = "The job's id (32 lowercase hex digits).")),
    responses(
        (status = 200, description = "The job as a client polls it; `result` links once completed.",
            body = StatusView, headers(
                ("Retry-After" = u32, description = "While queued (5) or processing (2): seconds before polling again.")
            )),
        (status = 404, description = "`NOT_FOUND`: no such job, a malformed id, or another client's job.",
            body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = parse_job_id(&path_params(job_id)?)?;
    let answer = state.status_cache.answer(&state.ports, state.link_ttl, &id).await?;
    if !caller.owns_jobs_of(answer.owner.as_deref()) {
        return Err(ApiError::not_found("job"));
    }
    let mut response = answer.body.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(secs) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/results/{job_id}/{file}",
    tag = "jobs",
    operation_id = "result_file",
    summary = "Download a result file of a completed job",
    params(
        ("job_id" = String, Path, description = "The job's id."),
        ("file" = String, Path, description = "`components.json`, `schedule.xlsx` or `schedule.csv`."),
    ),
    responses(
        (status = 200, description = "The file, as an attachment.", content(
            (Object = "application/json"),
            (String = "text/csv"),
            (crate::schema::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 307, description = "On AWS, a file over 4,669,440 bytes: fetch it from `Location`, a \
            presigned S3 GET valid for 5 minutes (follow the redirect; send no API key there).", headers(
            ("Location" = String, description = "The presigned GET of the file."),
            ("Cache-Control" = String, description = "`no-store`: the URL is a credential."),
        )),
        (status = 404, description = "`NOT_FOUND`: no such job or file, or another client's job.", body = ErrorBody),
        (status = 409, description = "`RESULT_NOT_READY`: the job has not completed.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn result_file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (job_id, file) = path_params(params)?;
    let Some(file) = ResultFile::parse(&file) else {
        return Err(ApiError::not_found("result file"));
    };
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
    let body = match stored_file(&state, &job.id.files().result(file), "result file").await? {
        Stored::Inline(body) => body,
        Stored::Redirect(response) => return Ok(response),
    };
    let content_type = match file {
        ResultFile::ScheduleCsv => "text/csv; charset=utf-8",
        other => other.content_type(),
    };
    let disposition = format!("attachment; filename=\"{}\"", file.name());
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// A stored file as a route hands it out.
pub(crate) enum Stored {
    /// Its bytes, for the route to answer with its own headers.
    Inline(Bytes),
    /// A `307` to a presigned GET of it, ready to return.
    Redirect(Response),
}

/// The blob at `key`: a `307` to a presigned GET, valid [`REDIRECT_TTL`] (at most the link
/// TTL), when it is bigger than [`INLINE_RESULT_MAX_BYTES`] and the store presigns; else its
/// bytes. A missing blob is a 404 naming `what`.
pub(crate) async fn stored_file(state: &AppState, key: &str, what: &str) -> Result<Stored, ApiError> {
    let blobs = &state.ports.blobs;
    let size = blobs.head(key).await?.ok_or_else(|| ApiError::not_found(what))?.size;
    if size > INLINE_RESULT_MAX_BYTES
        && let Some(url) = blobs.presign_get(key, REDIRECT_TTL.min(state.link_ttl)).await?
    {
        return redirect(&url).map(Stored::Redirect);
    }
    match blobs.get(key).await {
        Ok(body) => Ok(Stored::Inline(body)),
        // Deleted between the two calls (the job expired or was cancelled): still a 404.
        Err(e) if e.class() == ErrorClass::NotFound => Err(ApiError::not_found(what)),
        Err(e) => Err(e.into()),
    }
}

/// A `307` to `url`, kept out of caches: the URL is a credential while it is valid.
fn redirect(url: &str) -> Result<Response, ApiError> {
    // A presigned URL is plain ASCII; one that is not cannot be handed out.
    let location = HeaderValue::from_str(url).map_err(|e| {
        tracing::error!(error = %e, "A presigned URL is not a valid Location.");
        ApiError::internal()
    })?;
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
