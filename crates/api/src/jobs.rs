//! `GET /jobs?since=RFC3339&limit=N`: the caller's own jobs, newest first, each as its
//! status view (the body of `GET /status/{job_id}`). `limit` defaults to 50 and is capped at
//! 500. `since` keeps jobs created at or after it (a client watching for new jobs passes the
//! newest `created_at` it has seen); there is no cursor to page further back than `limit`.
//! With authentication off every job is listed.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::state::AppState;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use drawings_core::ErrorCode;
use drawings_core::ports::JobQuery;
use drawings_core::status::{StatusView, status_view};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Jobs listed when the query names no limit.
pub const DEFAULT_LIST_LIMIT: usize = 50;

/// The most jobs one answer lists.
pub const MAX_LIST_LIMIT: usize = 500;

/// The query of `GET /jobs`, read as text and checked by hand so a bad value is a `400` with
/// the envelope.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only jobs created at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// How many jobs at most: 1 or more, 50 by default, capped at 500.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
}

/// The body of `GET /jobs`.
#[derive(Serialize, ToSchema)]
pub(crate) struct JobList {
    /// The caller's jobs, newest first, each as `GET /status/{job_id}` shows it.
    jobs: Vec<StatusView>,
    /// The limit applied.
    limit: usize,
}

fn bad(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
}

#[utoipa::path(
    get,
    path = "/jobs",
    tag = "jobs",
    operation_id = "list_jobs",
    summary = "The caller's jobs, newest first",
    params(ListParams),
    responses(
        (status = 200, description = "The jobs.", body = JobList),
        (status = 400, description = "`INVALID_REQUEST`: a malformed `since` or `limit`.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn list_jobs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| bad(format!("malformed query: {e}")))?;
    let created_since = params
        .since
        .as_deref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| bad(format!("since={s:?} is not an RFC 3339 time: {e}")))
        })
        .transpose()?;
    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIST_LIMIT,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIST_LIMIT),
            _ => {
                return Err(bad(format!(
                    "limit={s:?}: expected a whole number from 1 to {MAX_LIST_LIMIT}"
                )));
            }
        },
    };
    let query = JobQuery {
        client: caller.client().map(str::to_owned),
        created_since,
        dead_lettered: false,
        limit,
    };
    let jobs = state.ports.jobs.list(&query).await?;
    let mut views = Vec::with_capacity(jobs.len());
    for job in jobs.iter().filter(|job| caller.owns(job)) {
        views.push(status_view(job, state.ports.blobs.as_ref(), state.link_ttl).await?);
    }
    let body = JobList { jobs: views, limit };
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
