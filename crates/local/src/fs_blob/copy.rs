//! [`FsBlobStore::copy_at_most`](super::FsBlobStore): a file-to-file copy that hashes as it
//! goes, so the embedded store copies an upload the way S3 does, without holding it in memory.
//!
//! The source is opened once and read through that handle: a `put` renames a new file over
//! the name and leaves the opened one whole, so the copy is of one version even when the
//! source is replaced meanwhile. Its size is checked on the handle before anything is written,
//! and the read stops one byte past the limit, so a file that grows while it is read is still
//! refused without copying more than that.

use super::{FsError, io, write_atomically};
use drawings_core::ports::BlobCopy;
use sha2::{Digest, Sha256};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

/// The read buffer: large enough that the per-call overhead does not matter.
const CHUNK: usize = 64 * 1024;

/// Copies `source` (blob `key`) to `target` through a temporary file, when it is at most
/// `limit` bytes.
pub(super) fn copy_at_most(source: &Path, target: &Path, limit: u64, key: &str) -> Result<BlobCopy, FsError> {
    let not_found = |e: &std::io::Error| {
        matches!(
            e.kind(),
            ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory
        )
    };
    let file = match std::fs::File::open(source) {
        Ok(file) => file,
        Err(e) if not_found(&e) => return Err(FsError::NotFound(key.to_owned())),
        Err(e) => return Err(io("read", source)(e)),
    };
    let meta = file.metadata().map_err(io("stat", source))?;
    // Opening a directory succeeds on Unix; a directory is a prefix of other keys, not a blob.
    if meta.is_dir() {
        return Err(FsError::NotFound(key.to_owned()));
    }
    if meta.len() > limit {
        return Ok(BlobCopy::TooLarge);
    }
    let mut reader = file.take(limit.saturating_add(1));
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Why the write was abandoned, when it was not the target's fault.
    let mut abandoned: Option<Abandoned> = None;
    let written = write_atomically(target, |out| {
        let mut buffer = vec![0; CHUNK];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    abandoned = Some(Abandoned::Read(e));
                    return Err(std::io::Error::other("the source could not be read"));
                }
            };
            size += n as u64;
            if size > limit {
                abandoned = Some(Abandoned::TooLarge);
                return Err(std::io::Error::other("the source grew past the limit"));
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n])?;
        }
    });
    match (written, abandoned) {
        (Ok(()), _) => Ok(BlobCopy::Copied {
            size,
            sha256: hex::encode(hasher.finalize()),
        }),
        (Err(_), Some(Abandoned::TooLarge)) => Ok(BlobCopy::TooLarge),
        (Err(_), Some(Abandoned::Read(e))) if not_found(&e) => Err(FsError::NotFound(key.to_owned())),
        (Err(_), Some(Abandoned::Read(e))) => Err(io("read", source)(e)),
        (Err(e), None) => Err(e),
    }
}

/// Why a copy stopped before the end of its source.
enum Abandoned {
    /// The source grew past the limit while it was read.
    TooLarge,
    /// The source could not be read.
    Read(std::io::Error),
}
