//! Intake: cheap checks on an upload, then store the PDF, create the job and enqueue it.
//! Anything expensive (opening the PDF) waits for the validation stage, so a hostile file
//! never costs the intake path more than a hash.
//!
//! A file too big for the request (API Gateway and Lambda cap payloads at a few MB) comes in
//! two steps (the `uploads` submodule): [`Intake::start_upload`] hands out a presigned PUT
//! bound to the client, and [`Intake::submit_uploaded`] copies that blob to the job inside the
//! blob store (it never passes through the intake) and checks the copy, so both paths share
//! every check, the idempotency handling and job creation.

use crate::error::{ErrorClass, ErrorCode, StoreError};
use crate::job::{Job, JobId, JobInput, JobStatus};
use crate::ports::Ports;
use crate::ports::{Created, MessageKind, QueueMessage};
use bytes::Bytes;
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

mod uploads;

pub use uploads::{UploadId, UploadTicket};

/// Intake limits.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Largest upload accepted.
    pub max_upload_bytes: u64,
    /// How long the job and its files are kept.
    pub ttl: Duration,
    /// Local development (`DRAWINGS_CALLBACK_ALLOW_PRIVATE`): a `callback_url` may be plain
    /// `http` and point at loopback, private or link-local hosts (see [`crate::callback_url`]).
    pub allow_private_callbacks: bool,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            max_upload_bytes: 100 * 1024 * 1024,
            ttl: Duration::days(30),
            allow_private_callbacks: false,
        }
    }
}

/// An upload as the API received it.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The PDF bytes.
    pub body: Bytes,
    /// The client's file name.
    pub file_name: Option<String>,
    /// Optional client label.
    pub client_name: Option<String>,
    /// Optional project label.
    pub project_name: Option<String>,
    /// Optional `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// Optional completion-notice URL (see [`crate::callback_url`]).
    pub callback_url: Option<String>,
}

/// An accepted upload.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The job.
    pub job: Job,
    /// Whether this was an idempotent replay of an earlier upload.
    pub replayed: bool,
}

/// Why an upload was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The request is wrong or cannot be served as asked; nothing was stored.
    #[error("{message}")]
    Rejected {
        /// Stable code.
        code: ErrorCode,
        /// What is wrong.
        message: String,
    },
    /// The idempotency key belongs to an upload with other bytes.
    #[error("idempotency key already used for job {job_id} with a different file")]
    Conflict {
        /// The job the key belongs to.
        job_id: JobId,
    },
    /// A backend failed; the client may retry (with the same idempotency key).
    #[error("backend unavailable: {0}")]
    Unavailable(#[source] StoreError),
}

impl IntakeError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            IntakeError::Rejected { code, .. } => *code,
            IntakeError::Conflict { .. } => ErrorCode::IdempotencyConflict,
            IntakeError::Unavailable(_) => ErrorCode::ServiceUnavailable,
        }
    }

    fn rejected(code: ErrorCode, message: impl Into<String>) -> Self {
        IntakeError::Rejected {
            code,
            message: message.into(),
        }
    }
}

/// The upload's SHA-256 in hex, worked out on the blocking pool: about a millisecond a
/// megabyte, which on a request thread held the polls beside the uploads behind it (`GET
/// /status` ran at half its rate beside back-to-back uploads of 1 MiB).
async fn sha256_hex(body: &Bytes) -> Result<String, IntakeError> {
    let body = body.clone();
    tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&body)))
        .await
        .map_err(|e| IntakeError::Unavailable(StoreError::transient("upload hashing", e)))
}

/// Accepts uploads.
pub struct Intake {
    ports: Ports,
    config: IntakeConfig,
}

/// How far into a file PDF readers look for the `%PDF-` header, and so how much of an upload
/// the intake reads to check it.
pub const PDF_HEADER_WINDOW: usize = 1024;

/// Refuses a file whose first [`PDF_HEADER_WINDOW`] bytes (`head`, or more) hold no `%PDF-`.
fn check_pdf_header(head: &[u8]) -> Result<(), IntakeError> {
    let head = &head[..head.len().min(PDF_HEADER_WINDOW)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(IntakeError::rejected(
            ErrorCode::InvalidPdf,
            "the file is not a PDF (no %PDF- header)",
        ));
    }
    Ok(())
}

/// Whether an idempotency key is acceptable: 1 to 128 of `A-Z a-z 0-9 - _ . :`.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl Intake {
    /// An intake service.
    pub fn new(ports: Ports, config: IntakeConfig) -> Self {
        Intake { ports, config }
    }

    /// The configured limits.
    pub fn config(&self) -> &IntakeConfig {
        &self.config
    }

    /// Rejects a declared size before the body is read.
    pub fn check_declared_size(&self, bytes: u64) -> Result<(), IntakeError> {
        if bytes > self.config.max_upload_bytes {
            return Err(IntakeError::rejected(
                ErrorCode::PayloadTooLarge,
                format!(
                    "upload of {bytes} bytes exceeds the limit of {} bytes",
                    self.config.max_upload_bytes
                ),
            ));
        }
        Ok(())
    }

    fn check(&self, upload: &Upload) -> Result<(), IntakeError> {
        if upload.body.is_empty() {
            return Err(IntakeError::rejected(ErrorCode::EmptyBody, "the request has no file"));
        }
        self.check_declared_size(upload.body.len() as u64)?;
        check_pdf_header(&upload.body)?;
        self.check_request(upload)
    }

    /// The checks that need none of the file's bytes.
    fn check_request(&self, upload: &Upload) -> Result<(), IntakeError> {
        if let Some(url) = &upload.callback_url {
            crate::callback_url::check_callback_url(url, self.config.allow_private_callbacks)
                .map_err(|e| IntakeError::rejected(ErrorCode::InvalidRequest, e.to_string()))?;
        }
        Self::check_idempotency_key(upload.idempotency_key.as_deref())
    }

    fn check_idempotency_key(key: Option<&str>) -> Result<(), IntakeError> {
        if let Some(key) = key
            && !valid_idempotency_key(key)
        {
            return Err(IntakeError::rejected(
                ErrorCode::InvalidRequest,
                "Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 - _ . :",
            ));
        }
        Ok(())
    }

    /// Stores the PDF, creates the job and enqueues it. With an idempotency key, a repeat
    /// of the same bytes returns the first job; other bytes are a conflict.
    pub async fn submit(&self, upload: Upload) -> Result<Accepted, IntakeError> {
        self.check(&upload)?;
        let Upload {
            body,
            file_name,
            client_name,
            project_name,
            idempotency_key,
            callback_url,
        } = upload;
        let id = JobId::generate();
        let sha256 = sha256_hex(&body).await?;
        let input = JobInput {
            blob_key: id.files().input(),
            sha256,
            bytes: body.len() as u64,
            file_name,
            client_name,
            project_name,
            callback_url,
        };
        self.ports
            .blobs
            .put(&input.blob_key, body, "application/pdf")
            .await
            .map_err(IntakeError::Unavailable)?;
        self.register(id, input, idempotency_key).await
    }

    /// Creates and queues the job `id` whose PDF is already stored at `input.blob_key`. With
    /// an idempotency key, a repeat of the same bytes (by sha256) returns the first job and
    /// drops the new copy; other bytes are a conflict.
    async fn register(
        &self,
        id: JobId,
        input: JobInput,
        idempotency_key: Option<String>,
    ) -> Result<Accepted, IntakeError> {
        let mut job = Job::new(id, input, idempotency_key, Utc::now(), self.config.ttl);
        job.cost.requests = crate::cost::RequestCounts::at_intake(&job);
        let created = match self.ports.jobs.create(&job).await {
            Ok(c) => c,
            Err(e) => {
                self.discard_blob(&job).await;
                return Err(IntakeError::Unavailable(e));
            }
        };
        match created {
            Created::New => {
                if let Err(e) = self.enqueue(&job).await {
                    self.abandon(&job).await;
                    return Err(IntakeError::Unavailable(e));
                }
                info!(job_id = %job.id, bytes = job.input.bytes, "Job accepted.");
                Ok(Accepted { job, replayed: false })
            }
            Created::Existing(existing) => {
                self.discard_blob(&job).await;
                if existing.input.sha256 != job.input.sha256 {
                    return Err(IntakeError::Conflict { job_id: existing.id });
                }
                // A replay of a job that never started may be one whose first enqueue failed:
                // send again; the lease makes a duplicate message harmless.
                if existing.status == JobStatus::Queued && existing.attempts == 0 {
                    self.enqueue(&existing).await.map_err(IntakeError::Unavailable)?;
                }
                Ok(Accepted {
                    job: *existing,
                    replayed: true,
                })
            }
        }
    }

    async fn enqueue(&self, job: &Job) -> Result<(), StoreError> {
        let message = QueueMessage {
            job_id: job.id.clone(),
            kind: MessageKind::Start,
        };
        self.ports
            .queue
            .send(&message, std::time::Duration::ZERO)
            .await
            .map(|_| ())
    }

    async fn discard_blob(&self, job: &Job) {
        self.discard_input(&job.input.blob_key).await;
    }

    /// Deletes a job input no job will use; best-effort, as the client's answer does not
    /// depend on it.
    async fn discard_input(&self, key: &str) {
        if let Err(e) = self.ports.blobs.delete(key).await {
            warn!(key, error = %e, "Could not delete an unused upload.");
        }
    }

    /// The job exists but could not be queued. With an idempotency key the client's retry
    /// re-sends it; without one the client will make a new job, so this one is closed as
    /// failed rather than left queued forever.
    async fn abandon(&self, job: &Job) {
        if job.idempotency_key.is_some() {
            return;
        }
        let mut failed = job.clone();
        failed.status = JobStatus::Failed;
        failed.error = Some(crate::JobError {
            code: ErrorCode::ServiceUnavailable,
            message: "the job could not be queued; submit the file again".into(),
            stage: None,
            retryable: true,
        });
        if let Err(e) = self.ports.jobs.update(&failed).await
            && e.class() != ErrorClass::NotFound
        {
            warn!(job_id = %job.id, error = %e, "Could not close a job that was never queued.");
        }
    }
}
