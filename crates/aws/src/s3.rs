//! [`S3BlobStore`]: the [`BlobStore`] on one S3 bucket, with presigned URLs for direct
//! uploads and downloads.
//!
//! S3 `PutObject` is atomic (a reader sees the old or the new object, never a part), which
//! is what the port asks for. Objects are written with SSE-S3 (`AES256`) explicitly.
//! Presigned PUT URLs sign no extra headers, so a client can upload with a plain `PUT`;
//! objects uploaded that way get the bucket's default encryption (SSE-S3 on every bucket
//! since January 2023, and set by the SAM template). A presigned PUT cannot cap the size (the
//! SDK presigns no POST policy with `content-length-range`): whoever reads an uploaded object
//! reads it with [`BlobStore::get_at_most`], a ranged GET that stops at the limit, or copies it
//! with [`BlobStore::copy_at_most`], a `CopyObject` inside S3 conditional on the size checked.

use crate::error::{AwsError, classify};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, MetadataDirective, ServerSideEncryption};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bytes::{Bytes, BytesMut};
use drawings_core::StoreError;
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore};
use std::time::Duration;

const BACKEND: &str = "s3";

/// How many times a copy looks at its source again after finding it replaced between the
/// size check and the copy; a client re-PUTting that fast, that often, is told to retry.
const COPY_ATTEMPTS: usize = 3;

/// Blobs in one S3 bucket, keyed by the port's keys as they are.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    /// The store on `bucket`. For an emulator, build `client` with path-style addressing
    /// ([`crate::AwsClients`] does).
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3BlobStore {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The size and ETag of an object; `None` when there is none.
    async fn head_object(&self, key: &str) -> Result<Option<(u64, String)>, StoreError> {
        let out = match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) if matches!(e.as_service_error(), Some(HeadObjectError::NotFound(_))) => return Ok(None),
            Err(e) => return Err(classify(BACKEND, e)),
        };
        let missing = |field| AwsError::MissingField {
            operation: "HeadObject",
            field,
        };
        let size = out
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| missing("Content-Length").into_store(BACKEND))?;
        let etag = out.e_tag().ok_or_else(|| missing("ETag").into_store(BACKEND))?;
        Ok(Some((size, etag.to_owned())))
    }

    fn presigning(key: &str, ttl: Duration) -> Result<PresigningConfig, StoreError> {
        PresigningConfig::expires_in(ttl).map_err(|source| {
            AwsError::Presign {
                key: key.to_owned(),
                source,
            }
            .into_store(BACKEND)
        })
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| classify(BACKEND, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let out = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) if matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => {
                return Err(StoreError::not_found(format!("blob {key}")));
            }
            Err(e) => return Err(classify(BACKEND, e)),
        };
        // The body streams after the headers; a connection cut mid-body is worth a retry.
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::transient(BACKEND, e))?;
        Ok(body.into_bytes())
    }

    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        if limit == 0 {
            // No range names zero bytes; only whether the key exists is left to tell.
            return match self.head(key).await? {
                Some(_) => Ok(Bytes::new()),
                None => Err(StoreError::not_found(format!("blob {key}"))),
            };
        }
        let request = self.client.get_object().bucket(&self.bucket).key(key);
        // S3 sends no byte past the range, whatever the object became since any `head`.
        let out = match request.range(format!("bytes=0-{}", limit - 1)).send().await {
            Ok(out) => out,
            Err(e) if matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => {
                return Err(StoreError::not_found(format!("blob {key}")));
            }
            // 416: no byte of the range exists, which from byte 0 means the object is empty.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) => return Ok(Bytes::new()),
            Err(e) => return Err(classify(BACKEND, e)),
        };
        // Counted here too, so a server that ignored the range still cannot make this hold
        // more than the limit.
        let mut body = out.body;
        let mut bytes = BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| StoreError::transient(BACKEND, e))?;
            let room = usize::try_from(limit).unwrap_or(usize::MAX) - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if chunk.len() >= room {
                break;
            }
        }
        Ok(bytes.freeze())
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        Ok(self.head_object(key).await?.map(|(size, _)| BlobMeta { size }))
    }

    /// `HeadObject` of the source, then `CopyObject` on the condition that the source is still
    /// what the head saw (`x-amz-copy-source-if-match` on its ETag): a source replaced in
    /// between fails the copy with `412` instead of having a bigger object copied. S3 computes
    /// the SHA-256 of what it wrote (`x-amz-checksum-algorithm: SHA256`), so the intake never
    /// reads the bytes, and S3 keeps the checksum on the object.
    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        for _ in 0..COPY_ATTEMPTS {
            let Some((size, etag)) = self.head_object(from).await? else {
                return Err(StoreError::not_found(format!("blob {from}")));
            };
            if size > limit {
                return Ok(BlobCopy::TooLarge);
            }
            let copied = self
                .client
                .copy_object()
                .bucket(&self.bucket)
                .key(to)
                .copy_source(copy_source(&self.bucket, from))
                .copy_source_if_match(etag)
                .metadata_directive(MetadataDirective::Replace)
                .content_type(content_type)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .send()
                .await;
            let out = match copied {
                Ok(out) => out,
                // Replaced since the head: look again.
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => continue,
                Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchKey") => {
                    return Err(StoreError::not_found(format!("blob {from}")));
                }
                Err(e) => return Err(classify(BACKEND, e)),
            };
            let checksum = out
                .copy_object_result()
                .and_then(|r| r.checksum_sha256())
                .ok_or_else(|| {
                    AwsError::MissingField {
                        operation: "CopyObject",
                        field: "ChecksumSHA256",
                    }
                    .into_store(BACKEND)
                })?;
            return Ok(BlobCopy::Copied {
                size,
                sha256: sha256_hex(to, checksum)?,
            });
        }
        Err(StoreError::conflict(format!(
            "blob {from}, replaced during each of {COPY_ATTEMPTS} copies"
        )))
    }

    /// S3 answers 204 for a missing key too, which is the port's idempotent delete.
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(BACKEND, e))?;
        Ok(())
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let request = self.client.get_object().bucket(&self.bucket).key(key);
        let presigned = request.presigned(Self::presigning(key, ttl)?).await;
        Ok(Some(presigned.map_err(|e| classify(BACKEND, e))?.uri().to_owned()))
    }

    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let request = self.client.put_object().bucket(&self.bucket).key(key);
        let presigned = request.presigned(Self::presigning(key, ttl)?).await;
        Ok(Some(presigned.map_err(|e| classify(BACKEND, e))?.uri().to_owned()))
    }
}

/// `CopySource`: the bucket and the key as a URL path, the key percent-encoded but for its
/// `/` (the SDK sends the value as it is).
fn copy_source(bucket: &str, key: &str) -> String {
    let mut source = format!("{bucket}/");
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            source.push(char::from(byte));
        } else {
            source.push_str(&format!("%{byte:02X}"));
        }
    }
    source
}

/// The lowercase hex of the base64 SHA-256 S3 reports for the object `key`. Anything but 32
/// bytes (a composite checksum of parts, `...-N`) cannot be the file's hash, and is refused
/// rather than recorded.
fn sha256_hex(key: &str, base64: &str) -> Result<String, StoreError> {
    match aws_smithy_types::base64::decode(base64) {
        Ok(digest) if digest.len() == 32 => Ok(digest.iter().map(|b| format!("{b:02x}")).collect()),
        _ => Err(AwsError::Corrupt {
            key: key.to_owned(),
            reason: format!("CopyObject reported {base64:?}, not the SHA-256 of one object"),
        }
        .into_store(BACKEND)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_source_encodes_the_key_but_keeps_its_folders() {
        assert_eq!(copy_source("b", "uploads/ab/c.pdf"), "b/uploads/ab/c.pdf");
        assert_eq!(copy_source("b", "a b/ü+?.pdf"), "b/a%20b/%C3%BC%2B%3F.pdf");
    }

    #[test]
    fn only_a_whole_sha256_is_taken_from_s3() {
        // sha256("") in base64 and in hex.
        let empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(
            sha256_hex("k", empty).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for bad in ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=-3", "AAAA", "not base64!"] {
            let err = sha256_hex("k", bad).unwrap_err();
            assert_eq!(err.class(), drawings_core::ErrorClass::Permanent, "{bad}");
        }
    }
}
