//! The Files API: a resumable upload (start, then 8 MiB chunks, the last one finalizing),
//! polling the file until it is `ACTIVE`, and deleting it once the page is answered (files
//! would otherwise sit in the project's 20 GB for 48 hours).

use crate::client::{GeminiClient, read_json};
use crate::error::{GeminiError, GeminiErrorKind};
use crate::wire::{File, FileEnvelope};
use bytes::Bytes;
use tokio::time::Instant;

/// The chunk size both Google SDKs use.
const CHUNK: usize = 8 << 20;

fn invalid(message: impl Into<String>) -> GeminiError {
    GeminiError::new(GeminiErrorKind::InvalidResponse, message)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
}

impl GeminiClient {
    /// Uploads `bytes` and waits until the file can be used in a request.
    pub async fn upload_file(&self, bytes: Bytes, mime_type: &str, display_name: &str) -> Result<File, GeminiError> {
        let file = self
            .with_retries(|| self.upload_once(bytes.clone(), mime_type, display_name))
            .await?;
        self.wait_until_active(file).await
    }

    async fn upload_once(&self, bytes: Bytes, mime_type: &str, display_name: &str) -> Result<File, GeminiError> {
        let start = self
            .http
            .post(self.url("upload/v1beta/files"))
            .header("X-Goog-Upload-Protocol", "resumable")
            .header("X-Goog-Upload-Command", "start")
            .header("X-Goog-Upload-Header-Content-Length", bytes.len())
            .header("X-Goog-Upload-Header-Content-Type", mime_type)
            .json(&serde_json::json!({"file": {"display_name": display_name}}));
        let started = self.send(start).await?;
        let session = started
            .headers()
            .get("x-goog-upload-url")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| invalid("the upload start answer has no X-Goog-Upload-URL"))?;
        let mut offset = 0;
        loop {
            let end = (offset + CHUNK).min(bytes.len());
            let last = end == bytes.len();
            let command = if last { "upload, finalize" } else { "upload" };
            let request = self
                .http
                .post(&session)
                .header("X-Goog-Upload-Command", command)
                .header("X-Goog-Upload-Offset", offset)
                .body(bytes.slice(offset..end));
            let response = self.send(request).await?;
            let status = header(&response, "x-goog-upload-status");
            if !last {
                if status.as_deref() != Some("active") {
                    return Err(invalid(format!("upload chunk at {offset} answered status {status:?}")));
                }
                offset = end;
                continue;
            }
            if status.as_deref() != Some("final") {
                return Err(invalid(format!("upload was not finalized (status {status:?})")));
            }
            let envelope: FileEnvelope = read_json(response).await?;
            return envelope
                .file
                .ok_or_else(|| invalid("the finalized upload returned no file"));
        }
    }

    /// `GET /v1beta/files/{id}` (`name` is `files/{id}`).
    pub async fn get_file(&self, name: &str) -> Result<File, GeminiError> {
        let url = self.url(&format!("v1beta/{name}"));
        self.with_retries(|| async { read_json(self.send(self.http.get(&url)).await?).await })
            .await
    }

    /// `DELETE /v1beta/files/{id}`.
    pub async fn delete_file(&self, name: &str) -> Result<(), GeminiError> {
        let url = self.url(&format!("v1beta/{name}"));
        self.with_retries(|| async { self.send(self.http.delete(&url)).await.map(drop) })
            .await
    }

    /// Polls until the file is `ACTIVE`; `FAILED`, or `PROCESSING` past the configured
    /// timeout, is an error.
    pub async fn wait_until_active(&self, mut file: File) -> Result<File, GeminiError> {
        let deadline = Instant::now() + self.config.file_poll_timeout;
        loop {
            match file.state.as_deref() {
                Some("ACTIVE") => return Ok(file),
                Some("FAILED") => {
                    let why = file.error.map(|e| e.message).unwrap_or_default();
                    return Err(GeminiError::new(
                        GeminiErrorKind::FileProcessing,
                        format!("file {} failed processing: {why}", file.name),
                    ));
                }
                state if Instant::now() >= deadline => {
                    return Err(GeminiError::new(
                        GeminiErrorKind::FileProcessing,
                        format!(
                            "file {} still {} after {:?}",
                            file.name,
                            state.unwrap_or("without a state"),
                            self.config.file_poll_timeout
                        ),
                    ));
                }
                _ => {
                    tokio::time::sleep(self.config.file_poll_interval).await;
                    file = self.get_file(&file.name).await?;
                }
            }
        }
    }
}
