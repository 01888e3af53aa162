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
/// - `get` and `get_at_most` of a missing key are `NotFound`; `head` of one is `Ok(None)`.
/// - `get_at_most(key, n)` is the first `n` bytes of what `get` would return (all of it when
///   shorter), read without transferring more than that.
/// - `delete` of a missing key succeeds.
/// - `presign_*` return a URL a client can use directly for `ttl`, or `None` when the
///   backend has no such URLs (the API then serves the blob itself).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `body` under `key`, replacing any previous body.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;

    /// Reads a blob.
    async fn get(&self, key: &str) -> Result<Bytes, StoreError>;

    /// Reads at most `limit` bytes of a blob: the whole body when it is no longer, else its
    /// first `limit` bytes. Adapters stop reading at the limit, so a blob of any size costs at
    /// most `limit` bytes of memory and transfer. A caller that must refuse bodies over `max`
    /// asks for `max + 1` and refuses a longer answer: unlike a `head` then a `get`, nothing
    /// written between the two can make it read more.
    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        // Bounded in result only: for stores that are test doubles or decorators. The real
        // adapters override it to bound the read itself.
        let mut body = self.get(key).await?;
        body.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(body)
    }

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
