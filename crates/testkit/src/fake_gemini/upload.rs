//! The Files API's resumable upload: `start` opens a session and hands out its URL (on the
//! fake itself, so clients need not rewrite hosts), then `upload` / `upload, finalize` chunks
//! arrive at that URL, each checked against the bytes received so far as the service does.
//! No API key is needed on the chunks: the session URL carries the authority.

use super::Shared;
use super::auth::{authorize, query};
use super::envelope::{ApiError, json_response};
use super::files::{Session, StoredFile, file_json};
use super::proto::{field, json_object};
use super::record::UploadedFile;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn with_headers(mut response: Response, pairs: &[(&'static str, String)]) -> Response {
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}

/// `POST /upload/v1beta/files`: a session start, or a chunk when the URL names a session.
pub(crate) async fn upload(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let query = query(&uri);
    let result = match query.get("upload_id") {
        Some(id) => chunk(&shared, id, &headers, &body),
        None => start(&shared, &query, &headers, &body),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn start(
    shared: &Shared,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    authorize(shared, headers, query)?;
    let command = header(headers, "x-goog-upload-command").unwrap_or_default();
    if !command.eq_ignore_ascii_case("start") {
        return Err(ApiError::invalid_argument(format!(
            "Expected X-Goog-Upload-Command: start to open an upload session, got {command:?}."
        )));
    }
    let protocol = header(headers, "x-goog-upload-protocol").unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("resumable") {
        return Err(ApiError::invalid_argument(format!(
            "Only the resumable upload protocol is supported here, got X-Goog-Upload-Protocol {protocol:?}."
        )));
    }
    let meta = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        json_object(body)?
    };
    let file = meta.get("file").and_then(Value::as_object).cloned().unwrap_or_default();
    let display_name = field(&file, "displayName").and_then(Value::as_str).map(str::to_string);
    let mime_type = header(headers, "x-goog-upload-header-content-type")
        .map(str::to_string)
        .or_else(|| field(&file, "mimeType").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".into());
    let declared_len = match header(headers, "x-goog-upload-header-content-length") {
        Some(len) => Some(len.parse::<u64>().map_err(|_| {
            ApiError::invalid_argument(format!("Invalid X-Goog-Upload-Header-Content-Length {len:?}."))
        })?),
        None => None,
    };
    let id = {
        let mut inner = shared.lock();
        inner.files.next += 1;
        let id = inner.files.next;
        inner.files.sessions.insert(
            id,
            Session {
                display_name,
                mime_type,
                declared_len,
                received: Vec::new(),
                finalized: false,
            },
        );
        id
    };
    let url = format!(
        "{}/upload/v1beta/files?upload_id={id}&upload_protocol=resumable",
        shared.base_url
    );
    Ok(with_headers(
        ().into_response(),
        &[
            ("x-goog-upload-url", url),
            ("x-goog-upload-status", "active".into()),
            ("x-goog-upload-chunk-granularity", (8 * 1024 * 1024).to_string()),
        ],
    ))
}

fn chunk(shared: &Shared, upload_id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    let commands: Vec<String> = header(headers, "x-goog-upload-command")
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let has = |c: &str| commands.iter().any(|x| x == c);
    let mut inner = shared.lock();
    let store = &mut inner.files;
    let session = upload_id
        .parse::<u64>()
        .ok()
        .and_then(|id| store.sessions.get_mut(&id))
        .ok_or_else(|| ApiError::not_found(format!("No upload session {upload_id}.")))?;
    if session.finalized {
        let e = ApiError::invalid_argument("The upload session is already finalized.").into_response();
        return Ok(with_headers(e, &[("x-goog-upload-status", "final".into())]));
    }
    let received = session.received.len();
    let progress = |status: &str| {
        [
            ("x-goog-upload-status", status.to_string()),
            ("x-goog-upload-size-received", received.to_string()),
        ]
    };
    if has("query") {
        return Ok(with_headers(().into_response(), &progress("active")));
    }
    if !has("upload") && !has("finalize") {
        return Err(ApiError::invalid_argument(format!(
            "Unsupported X-Goog-Upload-Command {:?} for an upload session.",
            commands.join(", ")
        )));
    }
    let offset = header(headers, "x-goog-upload-offset");
    if has("upload") || !body.is_empty() {
        if offset.and_then(|o| o.parse::<usize>().ok()) != Some(received) {
            let e = ApiError::invalid_argument(format!(
                "X-Goog-Upload-Offset {} does not match the {received} bytes received so far.",
                offset.unwrap_or("(missing)")
            ));
            return Ok(with_headers(e.into_response(), &progress("active")));
        }
        session.received.extend_from_slice(body);
    }
    if !has("finalize") {
        let received = session.received.len().to_string();
        let status = [
            ("x-goog-upload-status", "active".to_string()),
            ("x-goog-upload-size-received", received),
        ];
        return Ok(with_headers(().into_response(), &status));
    }
    let total = session.received.len() as u64;
    if let Some(declared) = session.declared_len
        && declared != total
    {
        return Err(ApiError::invalid_argument(format!(
            "Failed to finalize the upload: received {total} bytes, X-Goog-Upload-Header-Content-Length said \
             {declared}."
        )));
    }
    session.finalized = true;
    let id = format!("fakefile{upload_id}");
    let stored = StoredFile {
        file: UploadedFile {
            name: format!("files/{id}"),
            uri: format!("{}/v1beta/files/{id}", shared.base_url),
            mime_type: session.mime_type.clone(),
            display_name: session.display_name.clone(),
            bytes: std::mem::take(&mut session.received),
            deleted: false,
        },
        id,
        created: Utc::now(),
        gets: 0,
    };
    let body = json!({ "file": file_json(shared, &stored) });
    store.files.push(stored);
    drop(inner);
    Ok(with_headers(
        json_response(200, &body),
        &[("x-goog-upload-status", "final".into())],
    ))
}
