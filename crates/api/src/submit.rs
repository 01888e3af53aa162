//! `POST /process-drawing`: a raw `application/pdf` body, or multipart with the file in
//! `drawing_file` (and optional `client_name`, `project_name`). Oversized bodies are turned
//! away from their `Content-Length` before they are read.

use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use drawings_core::ErrorCode;
use drawings_core::intake::{Accepted, Upload};
use http_body_util::BodyExt;
use serde_json::json;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub(crate) async fn process_drawing(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let headers = request.headers().clone();
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && let Err(e) = state.intake.check_declared_size(len)
    {
        discard(request.into_body()).await;
        return Err(e.into());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut upload = if content_type.starts_with("multipart/form-data") {
        read_multipart(&state, request).await?
    } else if content_type.starts_with("application/pdf") || content_type.starts_with("application/octet-stream") {
        let body = read_limited(
            request.into_body(),
            state.intake.config().max_upload_bytes as usize,
            &state,
        )
        .await?;
        Upload {
            body,
            file_name: header_text(&headers, "x-file-name"),
            ..Default::default()
        }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the PDF as application/pdf, or as multipart/form-data with the file in `drawing_file`",
        ));
    };
    upload.idempotency_key = header_text(&headers, IDEMPOTENCY_KEY);
    let accepted = state.intake.submit(upload).await?;
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

/// Reads a body of at most `limit` bytes; past that, drains the rest and answers 413.
async fn read_limited(mut body: Body, limit: usize, state: &AppState) -> Result<Bytes, ApiError> {
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map(|f| f.into_data().unwrap_or_default()) else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                "the upload was interrupted",
            ));
        };
        if buffer.len() + data.len() > limit {
            discard(body).await;
            return Err(too_large(state));
        }
        buffer.extend_from_slice(&data);
    }
    Ok(buffer.freeze())
}

/// Reads and drops what is left of a rejected body, within bounds, so the client is still
/// reading when the error answer arrives.
async fn discard(mut body: Body) {
    const MAX_BYTES: usize = 1 << 30;
    let drain = async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > MAX_BYTES {
                break;
            }
        }
    };
    if tokio::time::timeout(std::time::Duration::from_secs(30), drain)
        .await
        .is_err()
    {
        tracing::debug!("Stopped draining a rejected upload after 30 s.");
    }
}

fn too_large(state: &AppState) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "the upload exceeds the limit of {} bytes",
            state.intake.config().max_upload_bytes
        ),
    )
}

async fn read_multipart(state: &AppState, request: Request) -> Result<Upload, ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message);
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| bad(format!("malformed multipart body: {e}")))?;
    let mut upload = Upload::default();
    let mut file: Option<Bytes> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(state)),
            Err(e) => return Err(bad(format!("malformed multipart body: {e}"))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let data = match field.bytes().await {
            Ok(data) => data,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(state)),
            Err(e) => return Err(bad(format!("malformed multipart field `{name}`: {e}"))),
        };
        let text = || {
            String::from_utf8(data.to_vec())
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && s.len() <= 256)
        };
        match name.as_str() {
            "drawing_file" => {
                upload.file_name = file_name;
                file = Some(data.clone());
            }
            "client_name" => upload.client_name = text(),
            "project_name" => upload.project_name = text(),
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
    let body = json!({
        "job_id": job.id,
        "status": job.status,
        "status_url": status_url,
        "created_at": job.created_at,
    });
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
