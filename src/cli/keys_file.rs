//! The key file's I/O for `drawings keys`: an exclusive lock held for a command's whole
//! read-modify-write, and an atomic replace, so commands run at once (two operators, a
//! provisioning script creating keys in parallel) neither lose a create nor undo a revoke.
//!
//! The lock is an advisory `flock` on a sibling file (`api-keys.json.lock`), not on the key
//! file itself: the replace renames a new file over the old one, so a lock on the old file's
//! inode would not exclude a command that opened the new one. Readers that do not change the
//! file (`drawings serve`) need no lock: the rename means they see the old file or the new one,
//! never a part.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Held for the whole command; dropping it (closing the file) releases the lock, also when the
/// process dies, so a crashed command never leaves the file locked.
#[must_use = "the lock is released when this is dropped"]
pub struct KeysFileLock {
    _file: File,
}

/// Takes the exclusive lock of the key file at `path`, waiting for any other `keys` command
/// holding it. Creates the file's directory (owner-only when new) and the lock file (0600).
pub fn lock(path: &Path) -> Result<KeysFileLock> {
    let dir = parent(path);
    create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock_path = sibling(path, ".lock");
    let mut options = std::fs::OpenOptions::new();
    // Never truncated: the lock file's content is nothing, its inode is the lock.
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    // Called through the trait: toolchains from 1.89 have an inherent `File::lock` of their
    // own, newer than the workspace's rust-version.
    fs4::FileExt::lock(&file).with_context(|| format!("locking {}", lock_path.display()))?;
    Ok(KeysFileLock { _file: file })
}

/// Writes the file whole through a synced temporary file in the same directory (mode 0600 from
/// its creation), renames it over the old one and syncs the directory, so a reader sees the
/// old file or the new one and a crash leaves at most a stray temporary file. Call it while
/// holding [`lock`], or a concurrent command may replace the file with one built from an older
/// read.
pub fn save(path: &Path, json: &str) -> Result<()> {
    let dir = parent(path);
    create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("api-keys.json");
    let write = || -> std::io::Result<()> {
        // `tempfile` creates it 0600 with a random name and removes it if anything fails.
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        temp.write_all(json.as_bytes())?;
        // On disk before the rename, or a crash could leave the new name on empty content.
        temp.as_file().sync_all()?;
        temp.persist(path).map_err(|e| e.error)?;
        sync_dir(dir)
    };
    write().with_context(|| format!("writing {}", path.display()))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// Missing directories are made owner-only; existing ones keep their mode (the key file may
/// live in a directory that is not ours, named by `DRAWINGS_API_KEYS_FILE`).
fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the rename durable. Directories cannot be opened for syncing on Windows, where NTFS
/// journals the rename itself.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_excludes_a_second_holder_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-keys.json");
        let held = lock(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let _second = lock(&path).unwrap();
                tx.send(()).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300)).is_err(),
            "a second lock was granted while the first was held"
        );
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the second lock once the first was released");
        waiter.join().unwrap();
    }

    #[test]
    fn save_replaces_the_file_owner_only_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/api-keys.json");
        save(&path, "{\"keys\":[]}\n").unwrap();
        save(&path, "{\"keys\":[ ]}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"keys\":[ ]}\n");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["api-keys.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }
}
