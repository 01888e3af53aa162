//! `POST /process-drawing`: a raw `application/pdf` body, multipart with the file in
//! `drawing_file` (and optional `client_name`, `project_name`), or JSON naming a file already
//! PUT to a presigned upload (`{"upload_id", "file_name"?, "client_name"?, "project_name"?}`).
//! Oversized bodies are turned away from their `Content-Length` before they are read. On the
//! intake Lambda a body also meets the platform's ceiling, about 4.45 MiB, and a bigger one is
//! told to go through `POST /uploads` (see the `payload` module).
//!
//! Each form takes an optional `callback_url` (multipart field, JSON field, or the
//! `X-Callback-Url` header with a raw body): the completion notice goes there once the job
//! is finished. The intake checks it (absolute http(s), at most 2048 bytes; https only on AWS
//! unless the host is loopback) and answers `400 INVALID_REQUEST` otherwise.
//!
//! With authentication on, the job belongs to the key's client: its `input.client_name` is
//! the key's client whatever the form or JSON says (the field is then ignored, not an
//! error), and the `Idempotency-Key` is scoped to the client, so two clients using the same
//! key never meet each other's jobs. With authentication off the job belongs to no client:
//! the form's `client_name` is ignored too (it would otherwise make whoever named a client
//! that client's owner once keys are configured), and the open callers' keys have a scope of
//! their own, so none can pre-claim a client's.
//!
//! File names and labels are limited to 256 bytes (see the `labels` module); a body that
//! stalls or drags past the server's limits is a `408 REQUEST_TIMEOUT` (see the `edge` module).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::read_json;
use crate::labels::{MAX_LABEL_BYTES, file_name_header, label, multipart_error, text_field};
use crate::payload::{DirectLimit, discard, read_limited, too_large};
use crate::state::AppState;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use drawings_core::callback_url::MAX_CALLBACK_URL_BYTES;
use drawings_core::intake::{Accepted, Upload};
use drawings_core::{ErrorCode, JobId, JobStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The JSON form of `POST /process-drawing`: a file already `PUT` to an upload URL, with the
/// same metadata as the multipart form.
#[derive(Deserialize, ToSchema)]
pub(crate) struct UploadedSubmit {
    /// The `upload_id` from `POST /uploads`: 32 lowercase hex digits.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    upload_id: String,
    /// The file's name, shown in the status: at most 256 bytes of UTF-8.
    #[serde(default)]
    file_name: Option<String>,
    /// Ignored (at most 256 bytes): the job belongs to the API key's client, to none with
    /// authentication off.
    #[serde(default)]
    client_name: Option<String>,
    /// A label for the job: at most 256 bytes of UTF-8.
    #[serde(default)]
    project_name: Option<String>,
    /// Where the completion notice is POSTed: an absolute http(s) URL of at most 2048 bytes.
    #[serde(default)]
    #[schema(max_length = 2048, pattern = "^https?://")]
    callback_url: Option<String>,
}

/// The multipart form of `POST /process-drawing`; other fields are ignored.
// Only described: `read_multipart` reads the form field by field.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct SubmitForm {
    /// The PDF.
    #[schema(value_type = String, format = Binary)]
    drawing_file: Vec<u8>,
    /// Ignored (at most 256 bytes): the job belongs to the API key's client, to none with
    /// authentication off. The file part's filename, at most 256 bytes, is the job's file name.
    #[schema(nullable = false)]
    client_name: Option<String>,
    /// A label for the job: at most 256 bytes of UTF-8.
    #[schema(nullable = false)]
    project_name: Option<String>,
    /// Where the completion notice is POSTed: an absolute http(s) URL of at most 2048 bytes.
    #[schema(nullable = false, max_length = 2048, pattern = "^https?://")]
    callback_url: Option<String>,
}

/// The body of a `202` from `POST /process-drawing`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptedBody {
    /// The new job, or the earlier one for a repeated `Idempotency-Key`.
    job_id: JobId,
    /// `queued` for a new job; a replay shows the job's status now.
    status: JobStatus,
    /// Where to poll: `/status/{job_id}`.
    status_url: String,
    /// When the job was accepted.
    created_at: DateTime<Utc>,
}

#[utoipa::path(
    post,
    path = "/process-drawing",
    tag = "jobs",
    operation_id = "process_drawing",
    summary = "Submit a drawing",
    description = "Accepts a PDF and answers at once with a queued job to poll. The PDF comes as the \
        raw body (`application/pdf` or `application/octet-stream`, with optional `X-File-Name` and \
        `X-Callback-Url` headers), as multipart with the file in `drawing_file`, or as JSON naming \
        a file already `PUT` to the URL from `POST /uploads`. Intake only checks the size and the \
        `%PDF-` header; whatever needs the PDF opened fails the job in its `validation` stage.",
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = r"^[A-Za-z0-9\-_.:]{1,128}$",
            description = "The same key with the same bytes answers the same job (`Idempotent-Replayed: true`); \
                with other bytes, `409 IDEMPOTENCY_CONFLICT`."),
        ("X-File-Name" = Option<String>, Header, nullable = false, description = "The file's name, with a raw body: at most 256 bytes."),
        ("X-Callback-Url" = Option<String>, Header, nullable = false, max_length = 2048, pattern = "^https?://",
            description = "Where the completion notice is POSTed, with a raw body."),
    ),
    request_body(
        description = "The drawing, in one of four forms.",
        content(
            (crate::schema::Binary = "application/pdf"),
            (crate::schema::Binary = "application/octet-stream", example = json!("%PDF-1.7\n%%EOF\n")),
            (SubmitForm = "multipart/form-data"),
            (UploadedSubmit = "application/json"),
        )
    ),
    responses(
        (status = 202, description = "Accepted: a job to poll.", body = AcceptedBody, headers(
            ("Location" = String, description = "`/status/{job_id}`"),
            ("Retry-After" = u32, description = "Seconds to wait before the first poll."),
            ("Idempotent-Replayed" = String, description = "`true` when an earlier job was answered again."),
        ), links(
            ("status" = (operation_id = "job_status", parameters(("job_id" = "$response.body#/job_id")),
                description = "Poll the job.")),
            ("cancel" = (operation_id = "cancel_job", parameters(("job_id" = "$response.body#/job_id")),
                description = "Cancel the job.")),
            ("results" = (operation_id = "result_file", parameters(("job_id" = "$response.body#/job_id")),
                description = "Download a result once the job has completed.")),
        )),
        (status = 400, description = "`EMPTY_BODY`, `INVALID_PDF` (no `%PDF-` header) or `INVALID_REQUEST` \
            (malformed JSON or multipart, bad header, bad `callback_url` or `upload_id`, a file name or label \
            over 256 bytes: `details` `{\"field\", \"max_bytes\"}`).", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no file was `PUT` for that `upload_id`, or it is another \
            client's.", body = ErrorBody),
        (status = 409, description = "`IDEMPOTENCY_CONFLICT`: the key was used with other bytes; \
            `details.job_id` names the first job.", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: over the limit, decided from a `Content-Length` \
            before the body is read. On AWS a body sent directly is limited to 4,669,440 bytes (what API \
            Gateway and Lambda carry): over that, the message and `details` \
            `{\"max_bytes\", \"upload_with\": \"POST /uploads\", \"upload_max_bytes\"}` point to the \
            presigned upload, which takes files up to the intake's limit.", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: none of the four forms.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]

pub(crate) async fn process_drawing(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers().clone();
    let limit = DirectLimit::of(&request, state.intake.config().max_upload_bytes);
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        let refused = limit
            .refuse(Some(len))
            .map(Err)
            .unwrap_or_else(|| state.intake.check_declared_size(len).map_err(ApiError::from));
        if let Err(e) = refused {
            discard(request.into_body()).await;
            return Err(e);
        }
    }
    let request = limit.within_platform(request).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let idempotency_key = header_text(&headers, IDEMPOTENCY_KEY);
    if content_type.starts_with("application/json") {
        let submit: UploadedSubmit = read_json(request.into_body())
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::EmptyBody, "the JSON body is empty"))?;
        let upload = Upload {
            body: Bytes::new(),
            file_name: label("file_name", submit.file_name)?,
            client_name: label("client_name", submit.client_name)?,
            project_name: label("project_name", submit.project_name)?,
            idempotency_key,
            callback_url: submit.callback_url.and_then(url_text),
        };
        let upload = caller.take_ownership(upload)?;
        let accepted = state
            .intake
            .submit_uploaded(&submit.upload_id, caller.client(), upload)
            .await?;
        return Ok(accepted_response(&accepted));
    }
    let mut upload = if content_type.starts_with("multipart/form-data") {
        read_multipart(&state, request).await?
    } else if content_type.starts_with("application/pdf") || content_type.starts_with("application/octet-stream") {
        // Checked before the body is read: a refused name costs the client no upload.
        let file_name = file_name_header(&headers)?;
        let max = state.intake.config().max_upload_bytes as usize;
        let body = read_limited(request.into_body(), max, || too_large(max)).await?;
        Upload {
            body,
            file_name,
            callback_url: header_text(&headers, "x-callback-url"),
            ..Default::default()
        }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the PDF as application/pdf, as multipart/form-data with the file in `drawing_file`, \
             or as application/json with the `upload_id` of a file PUT to the URL from POST /uploads",
        ));
    };
    upload.idempotency_key = idempotency_key;
    let accepted = state.intake.submit(caller.take_ownership(upload)?).await?;
    Ok(accepted_response(&accepted))
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A callback URL as given, trimmed; dropped when empty (the intake checks the rest).
fn url_text(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn read_multipart(state: &AppState, request: Request) -> Result<Upload, ApiError> {
    let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            format!("malformed multipart body: {e}"),
        )
    })?;
    let limit = state.intake.config().max_upload_bytes as usize;
    let mut upload = Upload::default();
    let mut file: Option<Bytes> = None;
    // Fields other than these are skipped unread (the parser drains them).
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, None, limit))?
    {
        match field.name().unwrap_or_default() {
            "drawing_file" => {
                upload.file_name = label("file_name", field.file_name().map(str::to_owned))?;
                let data = field.bytes().await;
                file = Some(data.map_err(|e| multipart_error(e, Some("drawing_file"), limit))?);
            }
            "client_name" => {
                let text = text_field(&mut field, "client_name", MAX_LABEL_BYTES, limit).await?;
                upload.client_name = label("client_name", text)?;
            }
            "project_name" => {
                let text = text_field(&mut field, "project_name", MAX_LABEL_BYTES, limit).await?;
                upload.project_name = label("project_name", text)?;
            }
            "callback_url" => {
                let text = text_field(&mut field, "callback_url", MAX_CALLBACK_URL_BYTES, limit).await?;
                upload.callback_url = text.and_then(url_text);
            }
            _ => {}
        }
    }
    upload.body = file.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::EmptyBody,
            "the multipart body has no `drawing_file` field",
        )
    })?;
    Ok(upload)
}

fn accepted_response(accepted: &Accepted) -> Response {
    let job = &accepted.job;
    let status_url = format!("/status/{}", job.id);
    let body = AcceptedBody {
        job_id: job.id.clone(),
        status: job.status,
        status_url: status_url.clone(),
        created_at: job.created_at,
    };
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    if accepted.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
