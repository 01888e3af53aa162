//! `POST /uploads`: a presigned PUT for a file too big to send through API Gateway and the
//! intake Lambda (their payload caps are a few MB; drawings reach 100 MB). The client PUTs
//! the PDF to `upload_url`, then submits `{"upload_id"}` to `POST /process-drawing`.

use crate::submit::read_json;
use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::json;

/// The optional body of `POST /uploads`.
#[derive(Deserialize, Default)]
struct UploadRequest {
    /// Only logged: the job's metadata comes with the submit, as the upload keeps no record.
    #[serde(default)]
    file_name: Option<String>,
    /// The size the client means to upload, checked against the limit at once.
    #[serde(default)]
    content_length: Option<u64>,
}

pub(crate) async fn create_upload(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let asked: UploadRequest = read_json(request.into_body()).await?.unwrap_or_default();
    let ticket = state.intake.start_upload(asked.content_length, state.link_ttl).await?;
    tracing::debug!(upload_id = %ticket.upload_id, file_name = ?asked.file_name, "Upload requested.");
    let body = json!({
        "upload_id": ticket.upload_id.as_str(),
        "upload_url": ticket.url,
        "method": "PUT",
        "headers": { "content-type": "application/pdf" },
        // Whole seconds, truncated: never later than the URL's real expiry.
        "expires_at": ticket.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "max_bytes": ticket.max_bytes,
    });
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    // The URL is a credential for the next hour: keep it out of shared caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
