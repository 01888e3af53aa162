//! Owner-only files and directories: job inputs, outputs and records belong to tenants, so
//! nothing the embedded adapters write may be readable by other local users.

use std::io;
use std::path::Path;

/// Mode of every directory the adapters create or own (Unix).
pub(crate) const DIR_MODE: u32 = 0o700;
/// Mode of the database files (Unix).
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents owner-only. Directories that already exist keep their
/// mode: a parent may be the user's own (`~/.local/share`), not ours to change.
pub(crate) fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// Creates `dir` like [`create_dir_all`] and makes `dir` itself owner-only even if an earlier
/// build created it world-readable. For directories that are wholly ours (the data directory,
/// the blob root).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    create_dir_all(dir)?;
    restrict(dir, DIR_MODE)
}

/// Sets `path`'s mode (Unix only; elsewhere the platform's ACLs apply).
pub(crate) fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}
