//! The shared corpus of real and hostile PDFs: one root for every test and bench
//! (`../shared/corpus` beside the workspace, or `DRAWINGS_CORPUS`), and one policy when it
//! is absent.
//!
//! The policy for what tests need from outside the repository: a tool the set-up installs
//! (moto, PDFium, Tesseract, Chromium) must be there, and a test that misses one panics with
//! the set-up step to run; data the repository does not hold (this corpus) may be absent, and
//! a test that needs it prints one `SKIP` line naming it and passes.

use std::path::{Path, PathBuf};

/// The corpus root, whether or not it exists.
pub fn root() -> PathBuf {
    match std::env::var_os("DRAWINGS_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// The corpus root, or `None` after one `SKIP` line naming `test` when it is absent.
pub fn dir(test: &str) -> Option<PathBuf> {
    let root = root();
    if root.join("MANIFEST.tsv").is_file() {
        Some(root)
    } else {
        eprintln!(
            "SKIP {test}: the shared corpus is absent ({}; set DRAWINGS_CORPUS to point elsewhere)",
            root.display()
        );
        None
    }
}

/// The corpus file at `path` (relative to the root), or `None` after one `SKIP` line when
/// the corpus or the file is absent.
pub fn file(test: &str, path: &str) -> Option<PathBuf> {
    let file = dir(test)?.join(path);
    if file.is_file() {
        Some(file)
    } else {
        eprintln!("SKIP {test}: {} is not in the shared corpus", file.display());
        None
    }
}

/// The files of one `category` (the second column of `MANIFEST.tsv`: `drawing`,
/// `malformed`, `encrypted`, ...) under the corpus root `dir`.
pub fn files(dir: &Path, category: &str) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let path = columns.next()?;
            (columns.next()? == category).then(|| dir.join(path))
        })
        .filter(|path| path.is_file())
        .collect()
}
