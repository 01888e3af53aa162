//! `BlobStore`: the PDF and every stage output.

use crate::error::StoreError;
use async_trait::async_trait;
use bytes::Bytes;
use std::time::Duration;

/// What `head` tells about a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size in bytes.
    pub size: u64,
}

/// Keyed byte storage.
///
/// Semantics every adapter keeps:
/// - `put` is atomic: a reader sees the whole new body or the old one (or none), never a
///   partial write, and a crash in the middle leaves no half-written blob under the key.
/// - `get` of a missing key is `NotFound`; `head` of one is `Ok(None)`.
/// - `delete` of a missing key succeeds.
/// - `presign_*` return a URL a client can use directly for `ttl`, or `None` when the
///   backend has no such URLs (the API then serves the blob itself).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `body` under `key`, replacing any previous body.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;

    /// Reads a blob.
    async fn get(&self, key: &str) -> Result<Bytes, StoreError>;

    /// Whether a blob exists, and its size.
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError>;

    /// Removes a blob.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// A URL to download the blob directly, if the backend has them.
    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let _ = (key, ttl);
        Ok(None)
    }

    /// A URL to upload the blob directly, if the backend has them.
    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let _ = (key, ttl);
        Ok(None)
    }
}
