//! `BlobStore`: the PDF and every stage output.

use crate::error::StoreError;
use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// What `head` tells about a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size in bytes.
    pub size: u64,
}

/// What [`BlobStore::copy_at_most`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobCopy {
    /// The copy is in place.
    Copied {
        /// Its size in bytes.
        size: u64,
        /// The lowercase hex SHA-256 of the bytes now under the target key.
        sha256: String,
    },
    /// The source is longer than the limit; nothing was written.
    TooLarge,
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
/// - `copy_at_most(from, to, limit, _)` puts what `get(from)` would return under `to`, as
///   atomically as `put`, when it is at most `limit` bytes, and reports the size and SHA-256
///   of exactly the bytes now under `to` (whatever `from` becomes meanwhile); `from` is left
///   as it was. A longer source is `TooLarge` with nothing written, found out without
///   transferring more than `limit + 1` bytes; a missing one is `NotFound`.
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

    /// Copies the blob `from` to `to` (replacing any blob there) when it is at most `limit`
    /// bytes, and tells the copy's size and SHA-256. Adapters copy inside the backend (S3
    /// `CopyObject`, a file-to-file copy), so a 100 MB upload never passes through the caller.
    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        // Through the caller, within the limit: for stores that are test doubles or
        // decorators. The real adapters override it to copy inside the backend.
        let body = self.get_at_most(from, limit.saturating_add(1)).await?;
        let size = body.len() as u64;
        if size > limit {
            return Ok(BlobCopy::TooLarge);
        }
        let sha256 = hex::encode(Sha256::digest(&body));
        self.put(to, body, content_type).await?;
        Ok(BlobCopy::Copied { size, sha256 })
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
