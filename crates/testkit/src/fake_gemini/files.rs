//! The Files API's files: what an upload ([`super::upload`]) produced, `GET` with a scripted
//! sequence of states (PROCESSING… then ACTIVE or FAILED), `DELETE`, the list, and the lookup
//! that `generateContent` does for `fileData` parts.

use super::Shared;
use super::auth::{authorize, query};
use super::envelope::{ApiError, json_response};
use super::record::UploadedFile;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The upload sessions and the files they produced.
#[derive(Default)]
pub(crate) struct FileStore {
    pub(crate) next: u64,
    pub(crate) sessions: HashMap<u64, Session>,
    pub(crate) files: Vec<StoredFile>,
}

pub(crate) struct Session {
    pub(crate) display_name: Option<String>,
    pub(crate) mime_type: String,
    pub(crate) declared_len: Option<u64>,
    pub(crate) received: Vec<u8>,
    pub(crate) finalized: bool,
}

pub(crate) struct StoredFile {
    pub(crate) id: String,
    pub(crate) file: UploadedFile,
    pub(crate) created: DateTime<Utc>,
    /// `GET`s so far: the n-th one reports the n-th configured state.
    pub(crate) gets: usize,
}

impl FileStore {
    pub(crate) fn uploaded(&self) -> Vec<UploadedFile> {
        self.files.iter().map(|f| f.file.clone()).collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.files.len()
    }

    fn live(&mut self, id: &str) -> Option<&mut StoredFile> {
        self.files.iter_mut().find(|f| f.id == id && !f.file.deleted)
    }
}

fn state_of(shared: &Shared, gets: usize) -> super::FileState {
    let states = &shared.options.file_states;
    let index = gets.max(1) - 1;
    states
        .get(index)
        .or(states.last())
        .copied()
        .unwrap_or(super::FileState::Active)
}

pub(crate) fn file_json(shared: &Shared, f: &StoredFile) -> Value {
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    let state = state_of(shared, f.gets);
    let mut v = json!({
        "name": f.file.name,
        "mimeType": f.file.mime_type,
        "sizeBytes": f.file.bytes.len().to_string(),
        "createTime": stamp(f.created),
        "updateTime": stamp(f.created),
        "expirationTime": stamp(f.created + ChronoDuration::hours(48)),
        "uri": f.file.uri,
        "state": state.as_wire(),
        "source": "UPLOADED",
    });
    if let Some(name) = &f.file.display_name {
        v["displayName"] = json!(name);
    }
    if state == super::FileState::Failed {
        v["error"] = json!({"code": 13, "message": "The file could not be processed."});
    }
    v
}

/// `GET /v1beta/files/{id}`: the File itself (not wrapped), in its next scripted state.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = authorize(&shared, &headers, &query(&uri)).and_then(|_| {
        let mut inner = shared.lock();
        let file = inner
            .files
            .live(&id)
            .ok_or_else(|| ApiError::file_permission_denied(&id))?;
        file.gets += 1;
        Ok(json_response(200, &file_json(&shared, file)))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /v1beta/files/{id}`: `{}`.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = authorize(&shared, &headers, &query(&uri)).and_then(|_| {
        let mut inner = shared.lock();
        let file = inner
            .files
            .live(&id)
            .ok_or_else(|| ApiError::file_permission_denied(&id))?;
        file.file.deleted = true;
        Ok(json_response(200, &json!({})))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v1beta/files`: every live file on one page (the fake never paginates).
pub(crate) async fn list(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let result = authorize(&shared, &headers, &query(&uri)).map(|_| {
        let inner = shared.lock();
        let files: Vec<Value> = inner
            .files
            .files
            .iter()
            .filter(|f| !f.file.deleted)
            .map(|f| file_json(&shared, f))
            .collect();
        json_response(200, &json!({ "files": files }))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The bytes and MIME type behind a `fileData.fileUri`, as `generateContent` needs them: an
/// unknown or deleted file is a 403 as on the service, one not ACTIVE a 400.
pub(crate) fn resolve(shared: &Shared, uri: &str) -> Result<(String, Vec<u8>), ApiError> {
    let id = uri
        .rsplit_once("files/")
        .map(|(_, rest)| rest.split(['?', '#', '/']).next().unwrap_or_default())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid_argument(format!("Invalid or unsupported file uri: {uri}")))?;
    let mut inner = shared.lock();
    let file = inner
        .files
        .live(id)
        .ok_or_else(|| ApiError::file_permission_denied(id))?;
    if state_of(shared, file.gets) != super::FileState::Active {
        return Err(ApiError::new(
            400,
            "FAILED_PRECONDITION",
            format!("The File {id} is not in an ACTIVE state and usage is not allowed."),
        ));
    }
    Ok((file.file.mime_type.clone(), file.file.bytes.clone()))
}
