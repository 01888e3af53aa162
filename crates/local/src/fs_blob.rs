//! [`FsBlobStore`]: blobs as files under a root directory, key `a/b/c` at `root/a/b/c`.
//!
//! A put writes a temporary file beside the target, syncs it and renames it over the
//! target, so a reader sees the old body or the new one and a crash leaves at most a stray
//! temporary file, never a half-written blob; a copy (the `copy` module) writes the same
//! way. Keys that could escape the root (`..`, absolute paths, empty segments) are refused
//! as `Invalid`. The filesystem cannot hold
//! both `a` and `a/b` as blobs, which an object store can: such a put is `Invalid` too.

use async_trait::async_trait;
use bytes::Bytes;
use drawings_core::StoreError;
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

mod copy;

const BACKEND: &str = "fs";
/// Temporary files start with this; keys may not, so a temporary file is never a blob.
const TEMP_PREFIX: &str = ".drawings-tmp-";
/// S3's limit, so a key that works here works there.
const MAX_KEY_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
enum FsError {
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("{0} is a blob, so it cannot also be a folder of blobs")]
    FileInTheWay(PathBuf),
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("cannot {op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the file task did not finish")]
    Join(#[from] tokio::task::JoinError),
}

impl From<FsError> for StoreError {
    fn from(e: FsError) -> Self {
        match e {
            FsError::NotFound(key) => StoreError::not_found(format!("blob {key}")),
            FsError::InvalidKey { .. } | FsError::FileInTheWay(_) => StoreError::Invalid {
                backend: BACKEND,
                source: e.into(),
            },
            FsError::Io { ref source, .. } => match source.kind() {
                ErrorKind::NotADirectory | ErrorKind::IsADirectory => StoreError::Invalid {
                    backend: BACKEND,
                    source: e.into(),
                },
                ErrorKind::StorageFull | ErrorKind::Interrupted | ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                    StoreError::transient(BACKEND, e)
                }
                _ => StoreError::permanent(BACKEND, e),
            },
            FsError::Join(ref join) if join.is_cancelled() => StoreError::transient(BACKEND, e),
            FsError::Join(_) => StoreError::permanent(BACKEND, e),
        }
    }
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FsError {
    let path = path.to_owned();
    move |source| FsError::Io { op, path, source }
}

/// The [`BlobStore`] on a directory tree.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// A store under `root`, created (with its parents) if missing, owner-only (0700): blobs
    /// are tenants' drawings and results.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        crate::private::ensure_private_dir(&root).map_err(io("create", &root))?;
        Ok(FsBlobStore { root })
    }

    /// The directory blobs live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, FsError> {
        let invalid = |reason| FsError::InvalidKey {
            key: key.to_owned(),
            reason,
        };
        if key.is_empty() {
            return Err(invalid("empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(invalid("longer than 1024 bytes"));
        }
        if key.contains(['\\', '\0']) {
            return Err(invalid("contains a backslash or NUL"));
        }
        let mut path = self.root.clone();
        for segment in key.split('/') {
            match segment {
                "" => return Err(invalid("absolute, or has an empty segment")),
                "." | ".." => return Err(invalid("has a . or .. segment")),
                s if s.starts_with(TEMP_PREFIX) => {
                    return Err(invalid("uses the temporary-file prefix"));
                }
                s => path.push(s),
            }
        }
        Ok(path)
    }

    /// Deletes every blob whose key starts with `prefix`, which must name a folder (end in
    /// `/`, like `jobs/{id}/`): the folder goes with everything in it. A missing folder is not
    /// an error. Embedded only: on AWS the bucket's lifecycle rule expires the objects.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let folder = prefix.strip_suffix('/').ok_or_else(|| FsError::InvalidKey {
            key: prefix.to_owned(),
            reason: "a prefix to delete must end with /",
        })?;
        let path = self.path_of(folder)?;
        Self::blocking(move || match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", &path)(e)),
        })
        .await
    }

    async fn blocking<T, F>(f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, FsError> + Send + 'static,
    {
        Ok(tokio::task::spawn_blocking(f).await.map_err(FsError::from)??)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        Self::blocking(move || write_atomically(&path, |file| file.write_all(&body))).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let path = self.path_of(key)?;
        let key = key.to_owned();
        Self::blocking(move || match std::fs::read(&path) {
            Ok(body) => Ok(Bytes::from(body)),
            // A directory is a prefix of other keys, not a blob.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory
                ) =>
            {
                Err(FsError::NotFound(key))
            }
            Err(e) => Err(io("read", &path)(e)),
        })
        .await
    }

    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        let path = self.path_of(key)?;
        let key = key.to_owned();
        Self::blocking(move || {
            let not_found = |e: &std::io::Error| {
                matches!(
                    e.kind(),
                    ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory
                )
            };
            let file = match std::fs::File::open(&path) {
                Ok(file) => file,
                Err(e) if not_found(&e) => return Err(FsError::NotFound(key)),
                Err(e) => return Err(io("read", &path)(e)),
            };
            // `take` stops at the limit however long the file is, or grows while it is read.
            let expected = file.metadata().map_or(0, |m| m.len()).min(limit);
            let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
            match file.take(limit).read_to_end(&mut body) {
                Ok(_) => Ok(Bytes::from(body)),
                // Opening a directory succeeds on Unix; reading it does not.
                Err(e) if not_found(&e) => Err(FsError::NotFound(key)),
                Err(e) => Err(io("read", &path)(e)),
            }
        })
        .await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        let path = self.path_of(key)?;
        Self::blocking(move || match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(BlobMeta { size: meta.len() })),
            Ok(_) => Ok(None),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
            Err(e) => Err(io("stat", &path)(e)),
        })
        .await
    }

    async fn copy_at_most(
        &self,
        from: &str,
        to: &str,
        limit: u64,
        _content_type: &str,
    ) -> Result<BlobCopy, StoreError> {
        let (source, target) = (self.path_of(from)?, self.path_of(to)?);
        let key = from.to_owned();
        Self::blocking(move || copy::copy_at_most(&source, &target, limit, &key)).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        Self::blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(()),
            Err(e) => Err(io("delete", &path)(e)),
        })
        .await
    }
}

/// Writes `path` through a synced temporary file in the same directory (a rename is only
/// atomic within one filesystem). If `write` fails, the temporary file is removed when it
/// drops and `path` is untouched.
fn write_atomically(path: &Path, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<(), FsError> {
    let dir = path.parent().ok_or_else(|| FsError::InvalidKey {
        key: path.display().to_string(),
        reason: "no parent",
    })?;
    // Owner-only (0700); the file itself is created 0600 by `tempfile`, and the rename keeps it.
    crate::private::create_dir_all(dir).map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists | ErrorKind::NotADirectory => FsError::FileInTheWay(dir.to_owned()),
        _ => io("create", dir)(e),
    })?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(io("create a file in", dir))?;
    write(temp.as_file_mut()).map_err(io("write", temp.path()))?;
    // Data on disk before the rename, or a crash could leave the new name on empty content.
    temp.as_file().sync_all().map_err(io("sync", temp.path()))?;
    temp.persist(path).map_err(|e| io("rename over", path)(e.error))?;
    sync_dir(dir)
}

/// Makes the rename itself durable. Directories cannot be opened for syncing on Windows;
/// NTFS journals renames itself.
fn sync_dir(dir: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn failed_write_leaves_no_blob_and_no_temporary_file() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("jobs/x/input.pdf");
        let result = write_atomically(&path, |file| {
            file.write_all(b"%PDF-1.7 half a fi")?;
            Err(std::io::Error::other("disk yanked"))
        });
        assert!(matches!(result, Err(FsError::Io { op: "write", .. })), "{result:?}");
        assert!(!path.exists(), "a failed put must leave nothing at the key");
        assert!(
            leftovers(path.parent().unwrap()).is_empty(),
            "a failed put must clean up its temporary file"
        );
    }

    #[test]
    fn failed_overwrite_keeps_the_old_body() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("blob");
        write_atomically(&path, |f| f.write_all(b"old")).unwrap();
        let result = write_atomically(&path, |f| {
            f.write_all(b"ne")?;
            Err(std::io::Error::other("crash"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert!(leftovers(root.path()).is_empty());
    }

    #[test]
    fn successful_write_leaves_no_temporary_file() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("a/b.png");
        write_atomically(&path, |f| f.write_all(b"png")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"png");
        assert!(leftovers(&root.path().join("a")).is_empty());
    }
}
