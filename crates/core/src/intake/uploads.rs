//! Presigned uploads: [`Intake::start_upload`] hands out a presigned PUT, and
//! [`Intake::submit_uploaded`] copies what was PUT to the job and submits it like a direct
//! upload.
//!
//! The submit never holds the file: the blob store copies it to the job's own `input.pdf`
//! ([`BlobStore::copy_at_most`]: S3 `CopyObject`, a file-to-file copy on the embedded store)
//! and reports the copy's size and SHA-256 (on S3, computed by S3 as it writes). A 100 MB
//! drawing then costs the intake a few requests, not a download and an upload inside API
//! Gateway's 30 s. The cheap checks run on the job's copy: its size, and its first 1 KiB for
//! the `%PDF-` header (a ranged read); whatever needs the PDF opened is the `validation`
//! stage's, as for a direct upload.
//!
//! Two things an upload id must not let a client do:
//! - **Use another client's upload.** The id is bound to the client it was issued to by the
//!   key the PUT lands on: `uploads/{owner}/{id}.pdf`, `{owner}` a hash of the client's name.
//!   A submit looks for the id under the submitting client's own folder, so another client's
//!   id is simply not there and answers the same `NOT_FOUND` as an id never issued: it does not
//!   even reveal that the id exists. With authentication off there are no clients and no
//!   owner: the key is `uploads/{id}.pdf`, which no authenticated client's lookup reaches.
//! - **Make the intake take in more than the limit, or a file other than the one checked.** A
//!   presigned PUT cannot carry a size cap (the SDK has no presigned POST with
//!   `content-length-range`), so the object can be any size, and it can be replaced while the
//!   URL is valid. The copy refuses a source over the limit without copying it (S3: only if the
//!   object is still the one whose size was checked), and every check runs on the job's copy,
//!   which no URL can write: the bytes checked, hashed and processed are the same.
//!
//! [`BlobStore::copy_at_most`]: crate::ports::BlobStore::copy_at_most

use super::{Accepted, Intake, IntakeError, PDF_HEADER_WINDOW, Upload, check_pdf_header};
use crate::error::{ErrorClass, ErrorCode};
use crate::job::{JobId, JobInput};
use crate::ports::BlobCopy;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::fmt;
use tracing::{info, warn};

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

    /// Where the PUT of the client `owner` lands: `uploads/{owner}/{id}.pdf`, `{owner}` the
    /// first 32 hex digits of a sha256 of the client's name (a name may hold `/` or spaces,
    /// a hash never does); `uploads/{id}.pdf` when authentication is off (`owner` is `None`).
    pub fn blob_key(&self, owner: Option<&str>) -> String {
        match owner {
            None => format!("uploads/{}.pdf", self.0),
            Some(client) => {
                let mut hasher = Sha256::new();
                // A label of its own, so the folder name is no hash used anywhere else.
                hasher.update(b"drawings upload owner\0");
                hasher.update(client.as_bytes());
                let digest = hex::encode(hasher.finalize());
                format!("uploads/{}/{}.pdf", &digest[..32], self.0)
            }
        }
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

impl Intake {
    /// Hands out a presigned PUT for a new upload of the client `owner` (`None` with
    /// authentication off), valid for `ttl`. `declared_bytes`, when the client says how big
    /// the file is, is checked against the limit at once, so nobody uploads 100 MB only to be
    /// turned away on submit.
    pub async fn start_upload(
        &self,
        owner: Option<&str>,
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
            .ports
            .blobs
            .presign_put(&upload_id.blob_key(owner), ttl)
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

    /// Submits a file the client `owner` PUT to a presigned upload URL: an id issued to
    /// another client is not found. `upload` carries the metadata and the idempotency key (its
    /// body is ignored); the file gets the checks, idempotency handling and job creation of
    /// [`Intake::submit`].
    ///
    /// The bytes are copied to the job's own `input.pdf` rather than referenced: the upload
    /// URL stays writable until it expires, and the job's input must never change under its
    /// recorded sha256. Once a job holds the bytes the upload blob is deleted (best-effort);
    /// a rejected or failed submit leaves it for the client to fix and retry.
    pub async fn submit_uploaded(
        &self,
        upload_id: &str,
        owner: Option<&str>,
        upload: Upload,
    ) -> Result<Accepted, IntakeError> {
        let id = UploadId::parse(upload_id).ok_or_else(|| {
            IntakeError::rejected(ErrorCode::InvalidRequest, "upload_id must be 32 lowercase hex digits")
        })?;
        // A request that cannot succeed is turned away before anything is copied.
        self.check_request(&upload)?;
        let key = id.blob_key(owner);
        let job_id = JobId::generate();
        let input_key = job_id.files().input();
        let max = self.config.max_upload_bytes;
        let copied = self
            .ports
            .blobs
            .copy_at_most(&key, &input_key, max, "application/pdf")
            .await;
        let (bytes, sha256) = match copied {
            Ok(BlobCopy::Copied { size, sha256 }) => (size, sha256),
            Ok(BlobCopy::TooLarge) => {
                return Err(IntakeError::rejected(
                    ErrorCode::PayloadTooLarge,
                    format!("the uploaded file exceeds the limit of {max} bytes"),
                ));
            }
            Err(e) if e.class() == ErrorClass::NotFound => {
                return Err(IntakeError::rejected(
                    ErrorCode::NotFound,
                    "upload not found; PUT the file to upload_url first",
                ));
            }
            Err(e) => return Err(IntakeError::Unavailable(e)),
        };
        if let Err(e) = self.check_copy(&input_key, bytes).await {
            self.discard_input(&input_key).await;
            return Err(e);
        }
        let Upload {
            file_name,
            client_name,
            project_name,
            idempotency_key,
            callback_url,
            ..
        } = upload;
        let input = JobInput {
            blob_key: input_key,
            sha256,
            bytes,
            file_name,
            client_name,
            project_name,
            callback_url,
        };
        let accepted = self.register(job_id, input, idempotency_key).await?;
        info!(job_id = %accepted.job.id, upload_id = %id, replayed = accepted.replayed, "Upload submitted.");
        if let Err(e) = self.ports.blobs.delete(&key).await {
            warn!(upload_id = %id, error = %e, "Could not delete a submitted upload.");
        }
        Ok(accepted)
    }

    /// A direct upload's cheap checks on the job's copy of an upload: not empty, and the
    /// `%PDF-` header in its first bytes, read with a ranged read of those bytes only.
    async fn check_copy(&self, key: &str, bytes: u64) -> Result<(), IntakeError> {
        if bytes == 0 {
            return Err(IntakeError::rejected(
                ErrorCode::EmptyBody,
                "the uploaded file is empty",
            ));
        }
        let head = self
            .ports
            .blobs
            .get_at_most(key, PDF_HEADER_WINDOW as u64)
            .await
            .map_err(IntakeError::Unavailable)?;
        check_pdf_header(&head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_key_is_bound_to_its_owner() {
        let id = UploadId::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(id.blob_key(None), "uploads/0123456789abcdef0123456789abcdef.pdf");
        let acme = id.blob_key(Some("acme"));
        let beta = id.blob_key(Some("beta"));
        assert_ne!(acme, beta);
        assert_eq!(acme, id.blob_key(Some("acme")), "the same owner finds the same key");
        for key in [&acme, &beta] {
            let folder = key
                .strip_prefix("uploads/")
                .and_then(|k| k.strip_suffix("/0123456789abcdef0123456789abcdef.pdf"))
                .unwrap_or_else(|| panic!("{key}"));
            assert!(
                folder.len() == 32 && folder.bytes().all(|b| b.is_ascii_hexdigit()),
                "{key}"
            );
        }
        // A name that looks like a path stays one folder.
        assert_eq!(id.blob_key(Some("../a/b")).matches('/').count(), 2);
    }
}
