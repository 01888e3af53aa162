//! How big a request body may be, and reading one within that.
//!
//! A body sent directly to `POST /process-drawing` meets two limits:
//! - the intake's own, `max_upload_bytes` (100 MB by default), which the presigned path
//!   (`POST /uploads`) has too;
//! - on the intake Lambda, the platform's. API Gateway's HTTP API hands the request to Lambda
//!   as one JSON event, and Lambda takes at most 6 MB of it; a PDF or multipart body is
//!   base64-encoded in the event (4 bytes for every 3). [`LAMBDA_DIRECT_UPLOAD_BYTES`] is the
//!   largest body that always fits. A bigger one that still reaches the function is refused
//!   here with `413 PAYLOAD_TOO_LARGE` whose message and `details` point at `POST /uploads`;
//!   one bigger still never reaches it, and API Gateway answers with its own error.
//!
//! Whether a request came through Lambda is read from the request: `lambda_http` puts the
//! event's `RequestContext` on every request it builds, and nothing else does. So
//! `drawings serve` keeps its own limit, and no setting can get the two hosts mixed up. The
//! check is compiled only with the `lambda` feature (the intake function's): without it no
//! request can have come through Lambda.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use drawings_core::ErrorCode;
use http_body_util::BodyExt;
use serde_json::json;

/// Lambda's limit on the request payload of a synchronous invocation: 6 MB, 6 × 2^20 bytes.
pub const LAMBDA_PAYLOAD_BYTES: u64 = 6 * 1024 * 1024;

/// Room left in the event for everything but the body. API Gateway caps the request line
/// and header values at 10,240 bytes together; the event carries them about twice
/// (`headers`, then `rawPath`, `requestContext.http.path` and `userAgent` again), JSON
/// escaping can double them, and the fixed context is about 1.5 KiB: some 43 KiB at worst.
pub const LAMBDA_EVENT_ENVELOPE_BYTES: u64 = 64 * 1024;

/// The largest body a client can send directly through API Gateway to the intake Lambda:
/// what the payload leaves after the envelope, base64-decoded,
/// (6,291,456 − 65,536) / 4 × 3 = 4,669,440 bytes (4.45 MiB).
pub const LAMBDA_DIRECT_UPLOAD_BYTES: u64 = (LAMBDA_PAYLOAD_BYTES - LAMBDA_EVENT_ENVELOPE_BYTES) / 4 * 3;

/// The limit on a direct upload's body, for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirectLimit {
    /// The intake's own limit.
    intake: u64,
    /// The platform's ceiling, when the request came through one with a lower one.
    platform: Option<u64>,
}

impl DirectLimit {
    /// The limit for `request`, given the intake's `max_upload_bytes`.
    pub(crate) fn of(request: &Request, intake: u64) -> Self {
        #[cfg(feature = "lambda")]
        let through_lambda = request
            .extensions()
            .get::<lambda_http::request::RequestContext>()
            .is_some();
        #[cfg(not(feature = "lambda"))]
        let through_lambda = {
            let _ = request;
            false
        };
        DirectLimit {
            intake,
            platform: through_lambda.then_some(LAMBDA_DIRECT_UPLOAD_BYTES),
        }
    }

    /// The platform's ceiling, when it is below the intake's limit (so `POST /uploads`,
    /// which only the intake's limit bounds, takes a bigger file).
    pub(crate) fn platform_ceiling(self) -> Option<u64> {
        self.platform.filter(|&ceiling| ceiling < self.intake)
    }

    /// The `413` for a body of `bytes` (`None`: not known, only that it is too big) over the
    /// platform's ceiling; `None` when the ceiling does not refuse it, so the intake's own
    /// checks decide.
    pub(crate) fn refuse(self, bytes: Option<u64>) -> Option<ApiError> {
        let ceiling = self.platform_ceiling()?;
        if bytes.is_some_and(|n| n <= ceiling || n > self.intake) {
            // Within the ceiling, or over the intake's limit too: `POST /uploads` would not
            // take it either, and the intake's own 413 says so.
            return None;
        }
        let size = bytes.map_or_else(|| "the body is".to_owned(), |n| format!("the body of {n} bytes is"));
        let message = format!(
            "{size} over the limit of {ceiling} bytes for a file sent directly to this deployment \
             (what API Gateway and Lambda carry): upload it with POST /uploads, then submit its \
             upload_id to POST /process-drawing (files up to {} bytes)",
            self.intake
        );
        let details = json!({
            "max_bytes": ceiling,
            "upload_with": "POST /uploads",
            "upload_max_bytes": self.intake,
        });
        Some(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, message).with_details(details))
    }

    /// On a platform with a ceiling below the intake's limit, the request with its body read
    /// within that ceiling (Lambda hands over the whole event at once, so this waits for
    /// nothing): every form of the body then meets the ceiling at once. Elsewhere, the request
    /// as it came, read as it streams.
    pub(crate) async fn within_platform(self, request: Request) -> Result<Request, ApiError> {
        let Some(ceiling) = self.platform_ceiling() else {
            return Ok(request);
        };
        let (parts, body) = request.into_parts();
        let too_large = || self.refuse(None).unwrap_or_else(|| too_large(ceiling as usize));
        let bytes = read_limited(body, ceiling as usize, too_large).await?;
        Ok(Request::from_parts(parts, Body::from(bytes)))
    }
}

/// Reads a body of at most `limit` bytes; past that, drains the rest and answers
/// `too_large()`.
pub(crate) async fn read_limited(
    mut body: Body,
    limit: usize,
    too_large: impl FnOnce() -> ApiError,
) -> Result<Bytes, ApiError> {
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let data = match frame {
            Ok(frame) => frame.into_data().unwrap_or_default(),
            Err(e) if crate::edge::is_timeout(&e) => return Err(crate::edge::body_timed_out()),
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidRequest,
                    "the upload was interrupted",
                ));
            }
        };
        if buffer.len() + data.len() > limit {
            discard(body).await;
            return Err(too_large());
        }
        buffer.extend_from_slice(&data);
    }
    Ok(buffer.freeze())
}

/// Reads and drops what is left of a rejected body, within bounds, so the client is still
/// reading when the error answer arrives.
pub(crate) async fn discard(mut body: Body) {
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

/// The `413` of a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the body exceeds the limit of {limit} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_ceiling_is_the_payload_less_the_envelope_base64_decoded() {
        assert_eq!(LAMBDA_DIRECT_UPLOAD_BYTES, 4_669_440);
        // Its base64 and the envelope fit the payload; three bytes more would not leave the
        // envelope its room.
        let encoded = |n: u64| n.div_ceil(3) * 4;
        assert!(encoded(LAMBDA_DIRECT_UPLOAD_BYTES) + LAMBDA_EVENT_ENVELOPE_BYTES <= LAMBDA_PAYLOAD_BYTES);
        assert!(encoded(LAMBDA_DIRECT_UPLOAD_BYTES + 3) + LAMBDA_EVENT_ENVELOPE_BYTES > LAMBDA_PAYLOAD_BYTES);
    }

    #[test]
    fn the_ceiling_refuses_only_what_post_uploads_would_take() {
        let lambda = DirectLimit {
            intake: 100 << 20,
            platform: Some(LAMBDA_DIRECT_UPLOAD_BYTES),
        };
        assert!(lambda.refuse(Some(LAMBDA_DIRECT_UPLOAD_BYTES)).is_none());
        assert!(lambda.refuse(Some(LAMBDA_DIRECT_UPLOAD_BYTES + 1)).is_some());
        assert!(lambda.refuse(None).is_some());
        assert!(lambda.refuse(Some((100 << 20) + 1)).is_none(), "the intake's own 413");
        // An intake limit below the ceiling leaves nothing for the ceiling to refuse.
        let small = DirectLimit {
            intake: 4096,
            platform: Some(LAMBDA_DIRECT_UPLOAD_BYTES),
        };
        assert!(small.platform_ceiling().is_none() && small.refuse(None).is_none());
        let serve = DirectLimit {
            intake: 100 << 20,
            platform: None,
        };
        assert!(serve.refuse(Some(LAMBDA_DIRECT_UPLOAD_BYTES + 1)).is_none());
    }
}
