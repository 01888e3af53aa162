//! `POST /uploads`: a presigned PUT for a file too big to send through API Gateway and the
//! intake Lambda (their payload caps are a few MB; drawings reach 100 MB). The client PUTs
//! the PDF to `upload_url`, then submits `{"upload_id"}` to `POST /process-drawing`. With API
//! keys the upload belongs to the key's client: another client's submit of its id answers
//! `404` as if it did not exist.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::read_json;
use crate::state::AppState;
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The optional body of `POST /uploads`.
#[derive(Deserialize, Default, ToSchema)]
pub(crate) struct UploadRequest {
    /// Only logged: the job's metadata comes with the submit, as the upload keeps no record.
    #[serde(default)]
    file_name: Option<String>,
    /// The size the client means to upload, checked against the limit at once.
    #[serde(default)]
    content_length: Option<u64>,
}

/// The body of a `201` from `POST /uploads`.
#[derive(Serialize, ToSchema)]
pub(crate) struct UploadTicketBody {
    /// What to submit to `POST /process-drawing` once the file is there.
    upload_id: String,
    /// The presigned URL to `PUT` the PDF to.
    upload_url: String,
    /// Always `PUT`.
    #[schema(value_type = String, example = "PUT")]
    method: &'static str,
    /// Headers the `PUT` must carry.
    headers: UploadHeaders,
    /// When the URL stops working (whole seconds, never later than the real expiry).
    #[schema(value_type = String, format = DateTime)]
    expires_at: String,
    /// The largest file accepted, bytes.
    max_bytes: u64,
}

/// The headers of an upload's `PUT`.
#[derive(Serialize, ToSchema)]
pub(crate) struct UploadHeaders {
    /// Always `application/pdf`.
    #[serde(rename = "content-type")]
    #[schema(value_type = String, example = "application/pdf")]
    content_type: &'static str,
}

#[utoipa::path(
    post,
    path = "/uploads",
    tag = "jobs",
    operation_id = "create_upload",
    summary = "Get a presigned URL for a large drawing",
    request_body(
        description = "Optional: an empty body is `{}`.",
        content((UploadRequest = "application/json"))
    ),
    responses(
        (status = 201, description = "The URL to `PUT` the PDF to, valid for an hour.", body = UploadTicketBody),
        (status = 400, description = "`INVALID_REQUEST`: malformed JSON.", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: `content_length` is over the limit.", body = ErrorBody),
        (status = 501, description = "`UPLOADS_NOT_SUPPORTED`: the blob store has no presigned URLs \
            (`drawings serve`); send the PDF to `POST /process-drawing`.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]

pub(crate) async fn create_upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Result<Response, ApiError> {
    let asked: UploadRequest = read_json(request.into_body()).await?.unwrap_or_default();
    // The upload is the caller's: only the same client can submit it (see the intake).
    let ticket = state
        .intake
        .start_upload(caller.client(), asked.content_length, state.link_ttl)
        .await?;
    tracing::debug!(upload_id = %ticket.upload_id, file_name = ?asked.file_name, "Upload requested.");
    let body = UploadTicketBody {
        upload_id: ticket.upload_id.as_str().to_owned(),
        upload_url: ticket.url,
        method: "PUT",
        headers: UploadHeaders {
            content_type: "application/pdf",
        },
        // Whole seconds, truncated: never later than the URL's real expiry.
        expires_at: ticket.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        max_bytes: ticket.max_bytes,
    };
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    // The URL is a credential for the next hour: keep it out of shared caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
