//! [`S3BlobStore`]: the [`BlobStore`] on one S3 bucket, with presigned URLs for direct
//! uploads and downloads.
//!
//! S3 `PutObject` is atomic (a reader sees the old or the new object, never a part), which
//! is what the port asks for. Objects are written with SSE-S3 (`AES256`) explicitly.
//! Presigned PUT URLs sign no extra headers, so a client can upload with a plain `PUT`;
//! objects uploaded that way get the bucket's default encryption (SSE-S3 on every bucket
//! since January 2023, and set by the SAM template). A presigned PUT cannot cap the size (the
//! SDK presigns no POST policy with `content-length-range`): whoever reads an uploaded object
//! reads it with [`BlobStore::get_at_most`], a ranged GET that stops at the limit.

use crate::error::{AwsError, classify};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use bytes::{Bytes, BytesMut};
use drawings_core::StoreError;
use drawings_core::ports::{BlobMeta, BlobStore};
use std::time::Duration;

const BACKEND: &str = "s3";

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
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => {
                let size = out
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        AwsError::MissingField {
                            operation: "HeadObject",
                            field: "Content-Length",
                        }
                        .into_store(BACKEND)
                    })?;
                Ok(Some(BlobMeta { size }))
            }
            Err(e) if matches!(e.as_service_error(), Some(HeadObjectError::NotFound(_))) => Ok(None),
            Err(e) => Err(classify(BACKEND, e)),
        }
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
