//! Presigned uploads: [`Intake::start_upload`] hands out a presigned PUT, and
//! [`Intake::submit_uploaded`] reads what was PUT and submits it like a direct upload.
//!
//! Two things an upload id must not let a client do:
//! - **Use another client's upload.** The id is bound to the client it was issued to by the
//!   key the PUT lands on: `uploads/{owner}/{id}.pdf`, `{owner}` a hash of the client's name.
//!   A submit looks for the id under the submitting client's own folder, so another client's
//!   id is simply not there and answers the same `NOT_FOUND` as an id never issued: it does not
//!   even reveal that the id exists. With authentication off there are no clients and no
//!   owner: the key is `uploads/{id}.pdf`, which no authenticated client's lookup reaches.
//! - **Make the intake read more than the limit.** A presigned PUT cannot carry a size cap (the
//!   SDK has no presigned POST with `content-length-range`), so the object can be any size,
//!   and it can be replaced while the URL is valid, also between the size check and the read.
//!   The size is checked (`head`) before any read, and the read then stops one byte past the
//!   limit ([`crate::ports::BlobStore::get_at_most`]), so whatever is there by then costs at
//!   most the limit and a longer body is refused all the same.

use super::{Accepted, Intake, IntakeError, Upload};
use crate::error::{ErrorClass, ErrorCode};
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
    /// another client is not found. `upload` carries the metadata and the idempotency key;
    /// its body is replaced by the uploaded bytes, which then go through [`Intake::submit`]
    /// exactly like a direct upload.
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
        // A request that cannot succeed is turned away before the upload is read.
        Self::check_idempotency_key(upload.idempotency_key.as_deref())?;
        let key = id.blob_key(owner);
        let missing = || {
            IntakeError::rejected(
                ErrorCode::NotFound,
                "upload not found; PUT the file to upload_url first",
            )
        };
        // Size first, so an oversized upload is refused without a read.
        let size = self
            .ports
            .blobs
            .head(&key)
            .await
            .map_err(IntakeError::Unavailable)?
            .ok_or_else(missing)?
            .size;
        self.check_declared_size(size)?;
        // The URL is still writable: the object may have been replaced since the `head`. One
        // byte past the limit tells a body over it, without holding more than that in memory.
        let max = self.config.max_upload_bytes;
        let body = match self.ports.blobs.get_at_most(&key, max.saturating_add(1)).await {
            Ok(body) => body,
            Err(e) if e.class() == ErrorClass::NotFound => return Err(missing()),
            Err(e) => return Err(IntakeError::Unavailable(e)),
        };
        if body.len() as u64 > max {
            return Err(IntakeError::rejected(
                ErrorCode::PayloadTooLarge,
                format!("the uploaded file exceeds the limit of {max} bytes"),
            ));
        }
        let accepted = self.submit(Upload { body, ..upload }).await?;
        info!(job_id = %accepted.job.id, upload_id = %id, replayed = accepted.replayed, "Upload submitted.");
        if let Err(e) = self.ports.blobs.delete(&key).await {
            warn!(upload_id = %id, error = %e, "Could not delete a submitted upload.");
        }
        Ok(accepted)
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
