//! Intake: cheap checks on an upload, then store the PDF, create the job and enqueue it.
//! Anything expensive (opening the PDF) waits for the validation stage, so a hostile file
//! never costs the intake path more than a hash.
//!
//! A file too big for the request (API Gateway and Lambda cap payloads at a few MB) comes in
//! two steps: [`Intake::start_upload`] hands out a presigned PUT for `uploads/{id}.pdf`, and
//! [`Intake::submit_uploaded`] reads that blob and runs it through [`Intake::submit`] like a
//! direct upload, so both paths share every check, the idempotency handling and job creation.

use crate::error::{ErrorClass, ErrorCode, StoreError};
use crate::job::{Job, JobId, JobInput, JobStatus};
use crate::pipeline::Backends;
use crate::ports::{Created, MessageKind, QueueMessage};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::fmt;
use tracing::{info, warn};

/// Intake limits.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Largest upload accepted.
    pub max_upload_bytes: u64,
    /// How long the job and its files are kept.
    pub ttl: Duration,
    /// Whether a `callback_url` may be plain `http` to any host (embedded), not only to loopback.
    pub allow_http_callbacks: bool,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            max_upload_bytes: 100 * 1024 * 1024,
            ttl: Duration::days(30),
            allow_http_callbacks: false,
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

/// The id of a presigned upload: 32 lowercase hex digits, random, so it cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    /// A fresh random id.
    pub fn generate() -> Self {
        UploadId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Parses an id received from a client; `None` when it cannot be one of ours, so a
    /// malformed id never reaches a backend as a key.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| UploadId(s.to_owned()))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the client's PUT lands (`uploads/{id}.pdf`).
    pub fn blob_key(&self) -> String {
        format!("uploads/{}.pdf", self.0)
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A presigned upload handed to a client.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    /// The id to submit once the file is there.
    pub upload_id: UploadId,
    /// The presigned URL to `PUT` the PDF to.
    pub url: String,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
    /// The largest file a submit accepts.
    pub max_bytes: u64,
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

/// Accepts uploads.
pub struct Intake {
    backends: Backends,
    config: IntakeConfig,
}

/// Whether an idempotency key is acceptable: 1 to 128 of `A-Z a-z 0-9 - _ . :`.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl Intake {
    /// An intake service.
    pub fn new(backends: Backends, config: IntakeConfig) -> Self {
        Intake { backends, config }
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
        // PDF readers accept the header anywhere in the first 1024 bytes.
        let head = &upload.body[..upload.body.len().min(1024)];
        if !head.windows(5).any(|w| w == b"%PDF-") {
            return Err(IntakeError::rejected(
                ErrorCode::InvalidPdf,
                "the file is not a PDF (no %PDF- header)",
            ));
        }
        if let Some(url) = &upload.callback_url {
            crate::callback_url::check_callback_url(url, self.config.allow_http_callbacks)
                .map_err(|message| IntakeError::rejected(ErrorCode::InvalidRequest, message))?;
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

    /// Hands out a presigned PUT for a new upload, valid for `ttl`. `declared_bytes`, when the
    /// client says how big the file is, is checked against the limit at once, so nobody
    /// uploads 100 MB only to be turned away on submit.
    pub async fn start_upload(
        &self,
        declared_bytes: Option<u64>,
        ttl: std::time::Duration,
    ) -> Result<UploadTicket, IntakeError> {
        if let Some(bytes) = declared_bytes {
            self.check_declared_size(bytes)?;
        }
        let upload_id = UploadId::generate();
        // Taken before presigning, so the advertised expiry is never later than the real one.
        let now = Utc::now();
        let url = self
            .backends
            .blobs
            .presign_put(&upload_id.blob_key(), ttl)
            .await
            .map_err(IntakeError::Unavailable)?
            .ok_or_else(|| {
                IntakeError::rejected(
                    ErrorCode::UploadsNotSupported,
                    "this deployment has no presigned uploads; send the PDF directly to POST /process-drawing",
                )
            })?;
        let expires_at = now + Duration::from_std(ttl).unwrap_or(Duration::MAX);
        info!(%upload_id, "Upload URL issued.");
        Ok(UploadTicket {
            upload_id,
            url,
            expires_at,
            max_bytes: self.config.max_upload_bytes,
        })
    }

    /// Submits a file the client PUT to a presigned upload URL. `upload` carries the metadata
    /// and the idempotency key; its body is replaced by the uploaded bytes, which then go
    /// through [`Intake::submit`] exactly like a direct upload.
    ///
    /// The bytes are copied to the job's own `input.pdf` rather than referenced: the upload
    /// URL stays writable until it expires, and the job's input must never change under its
    /// recorded sha256. Once a job holds the bytes the upload blob is deleted (best-effort);
    /// a rejected or failed submit leaves it for the client to fix and retry.
    pub async fn submit_uploaded(&self, upload_id: &str, upload: Upload) -> Result<Accepted, IntakeError> {
        let id = UploadId::parse(upload_id).ok_or_else(|| {
            IntakeError::rejected(ErrorCode::InvalidRequest, "upload_id must be 32 lowercase hex digits")
        })?;
        // A request that cannot succeed is turned away before the upload is read.
        Self::check_idempotency_key(upload.idempotency_key.as_deref())?;
        let key = id.blob_key();
        let missing = || {
            IntakeError::rejected(
                ErrorCode::NotFound,
                "upload not found; PUT the file to upload_url first",
            )
        };
        // Check the size before reading: a presigned PUT does not stop a client from storing
        // far more than the limit, and the intake must not load that into memory.
        let size = self
            .backends
            .blobs
            .head(&key)
            .await
            .map_err(IntakeError::Unavailable)?
            .ok_or_else(missing)?
            .size;
        self.check_declared_size(size)?;
        let body = match self.backends.blobs.get(&key).await {
            Ok(body) => body,
            Err(e) if e.class() == ErrorClass::NotFound => return Err(missing()),
            Err(e) => return Err(IntakeError::Unavailable(e)),
        };
        let accepted = self.submit(Upload { body, ..upload }).await?;
        info!(job_id = %accepted.job.id, upload_id = %id, replayed = accepted.replayed, "Upload submitted.");
        if let Err(e) = self.backends.blobs.delete(&key).await {
            warn!(upload_id = %id, error = %e, "Could not delete a submitted upload.");
        }
        Ok(accepted)
    }

    /// Stores the PDF, creates the job and enqueues it. With an idempotency key, a repeat
    /// of the same bytes returns the first job; other bytes are a conflict.
    pub async fn submit(&self, upload: Upload) -> Result<Accepted, IntakeError> {
        self.check(&upload)?;
        let sha256 = hex::encode(Sha256::digest(&upload.body));
        let id = JobId::generate();
        let input = JobInput {
            blob_key: id.blob_key("input.pdf"),
            sha256,
            bytes: upload.body.len() as u64,
            file_name: upload.file_name,
            client_name: upload.client_name,
            project_name: upload.project_name,
            callback_url: upload.callback_url,
        };
        let blobs = &self.backends.blobs;
        blobs
            .put(&input.blob_key, upload.body, "application/pdf")
            .await
            .map_err(IntakeError::Unavailable)?;
        let mut job = Job::new(id, input, upload.idempotency_key, Utc::now(), self.config.ttl);
        job.cost.requests = crate::cost::RequestCounts::at_intake(&job);
        let created = match self.backends.jobs.create(&job).await {
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
        self.backends
            .queue
            .send(&message, std::time::Duration::ZERO)
            .await
            .map(|_| ())
    }

    async fn discard_blob(&self, job: &Job) {
        if let Err(e) = self.backends.blobs.delete(&job.input.blob_key).await {
            warn!(job_id = %job.id, error = %e, "Could not delete an unused upload.");
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
        if let Err(e) = self.backends.jobs.update(&failed).await
            && e.class() != ErrorClass::NotFound
        {
            warn!(job_id = %job.id, error = %e, "Could not close a job that was never queued.");
        }
    }
}
