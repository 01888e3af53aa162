//! Limits on the strings a client attaches to a job (the file name, `client_name`,
//! `project_name`), checked at the API edge for every form they come in: JSON fields,
//! multipart fields and filenames, and the `X-File-Name` header. Each is stored on the job and
//! echoed in every status, listing and completion notice, so one over [`MAX_LABEL_BYTES`] is
//! a `400 INVALID_REQUEST` naming the field (`details: {"field", "max_bytes"}`), never
//! silently cut or dropped.

use crate::error::ApiError;
use crate::payload::too_large;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderMap, StatusCode};
use drawings_core::ErrorCode;
use serde_json::json;

/// The longest file name or label accepted, in bytes of UTF-8.
pub const MAX_LABEL_BYTES: usize = 256;

/// The most bytes read of a multipart text field: a label or a callback URL is far shorter,
/// and the rest of a longer one is not kept in memory only to be refused.
const MAX_TEXT_FIELD_BYTES: usize = 8 * 1024;

/// A label as given: trimmed, `None` when empty, refused when longer than [`MAX_LABEL_BYTES`].
pub(crate) fn label(field: &'static str, text: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let text = text.trim();
    if text.len() > MAX_LABEL_BYTES {
        return Err(too_long(field, MAX_LABEL_BYTES));
    }
    Ok(Some(text.to_owned()).filter(|t| !t.is_empty()))
}

/// The file name of a raw upload, from `X-File-Name` (UTF-8; other bytes are replaced).
pub(crate) fn file_name_header(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("x-file-name") else {
        return Ok(None);
    };
    if value.len() > MAX_LABEL_BYTES {
        return Err(too_long("file_name", MAX_LABEL_BYTES));
    }
    label(
        "file_name",
        Some(String::from_utf8_lossy(value.as_bytes()).into_owned()),
    )
}

/// Reads a multipart text field, at most [`MAX_TEXT_FIELD_BYTES`]; `None` when it is not UTF-8.
/// A longer field is refused as longer than `max_bytes` (the field's own limit, checked
/// exactly by its reader) without reading the rest; `upload_limit` words the answer when the
/// body as a whole is over its limit.
pub(crate) async fn text_field(
    field: &mut Field<'_>,
    name: &'static str,
    max_bytes: usize,
    upload_limit: usize,
) -> Result<Option<String>, ApiError> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES.max(max_bytes) {
                    return Err(too_long(name, max_bytes));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(String::from_utf8(bytes).ok()),
            Err(e) => return Err(multipart_error(e, Some(name), upload_limit)),
        }
    }
}

fn too_long(field: &'static str, max_bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidRequest,
        format!("{field} is longer than {max_bytes} bytes"),
    )
    .with_details(json!({ "field": field, "max_bytes": max_bytes }))
}

/// The answer to a multipart body that could not be read: 413 past the body limit (`limit`
/// is the upload limit it stands for), 408 when it stalled, else 400 naming the field
/// (`None`: between fields).
pub(crate) fn multipart_error(e: MultipartError, field: Option<&'static str>, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(limit);
    }
    if crate::edge::is_timeout(&e) {
        return crate::edge::body_timed_out();
    }
    let message = match field {
        Some(name) => format!("malformed multipart field `{name}`: {e}"),
        None => format!("malformed multipart body: {e}"),
    };
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_empty_ones_dropped_and_long_ones_refused_by_bytes_not_chars() {
        assert_eq!(
            label("client_name", Some("  Acme ".into())).unwrap().as_deref(),
            Some("Acme")
        );
        assert_eq!(label("client_name", Some("   ".into())).unwrap(), None);
        assert_eq!(label("client_name", None).unwrap(), None);
        let fits = "é".repeat(MAX_LABEL_BYTES / 2);
        assert_eq!(label("project_name", Some(fits.clone())).unwrap(), Some(fits.clone()));
        let error = label("project_name", Some(fits + "x")).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn the_file_name_header_is_checked_on_its_raw_bytes() {
        let mut headers = HeaderMap::new();
        assert_eq!(file_name_header(&headers).unwrap(), None);
        headers.insert("x-file-name", "plan.pdf".parse().unwrap());
        assert_eq!(file_name_header(&headers).unwrap().as_deref(), Some("plan.pdf"));
        headers.insert("x-file-name", "p".repeat(MAX_LABEL_BYTES + 1).parse().unwrap());
        assert!(file_name_header(&headers).is_err());
    }
}
