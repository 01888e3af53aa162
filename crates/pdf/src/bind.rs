//! Finding and binding `libpdfium` once per process.
//!
//! pdfium-render keeps its function table in a process-global cell and `FPDF_InitLibrary`
//! must run once, so the binding lives in a `OnceLock` shared by every engine. The library
//! is looked for in a fixed order so that a binary finds it with no extra environment on a
//! developer machine (`scripts/setup.sh` puts it in `.pdfium/`), next to a packaged binary,
//! and in a Lambda package or layer.

use drawings_core::ErrorCode;
use drawings_core::ports::PdfError;
use pdfium_render::prelude::Pdfium;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The library file a binary's configuration names (e.g. from `PDFIUM_LIB`), tried before
/// any other location. Set once, before the first PDFium call.
static LIBRARY_OVERRIDE: OnceLock<PathBuf> = OnceLock::new();

/// Names the library file to try first. Returns `false` if one was already set or PDFium is
/// already bound (the call then has no effect).
pub fn use_library(path: PathBuf) -> bool {
    BINDING.get().is_none() && LIBRARY_OVERRIDE.set(path).is_ok()
}

/// A bound PDFium and where it came from.
pub(crate) struct BoundPdfium {
    pub(crate) pdfium: Pdfium,
    pub(crate) origin: LibraryOrigin,
}

/// Where the bound library was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibraryOrigin {
    /// A file at this path.
    File(PathBuf),
    /// The dynamic loader's search path (`LD_LIBRARY_PATH`, system directories).
    SystemSearchPath,
}

impl std::fmt::Display for LibraryOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LibraryOrigin::File(path) => write!(f, "{}", path.display()),
            LibraryOrigin::SystemSearchPath => f.write_str("the system library search path"),
        }
    }
}

/// The outcome of the one binding attempt; a failure is kept (as its message) so every
/// later call reports the same thing instead of retrying `dlopen` on each page.
static BINDING: OnceLock<Result<BoundPdfium, String>> = OnceLock::new();

/// The places searched for the library, in order (the system search path comes last and is
/// not listed). Public so a CLI `doctor` command or a startup log can show them.
pub fn library_candidates() -> Vec<PathBuf> {
    let file_name = Pdfium::pdfium_platform_library_name();
    let mut candidates = Vec::new();
    if let Some(path) = LIBRARY_OVERRIDE.get() {
        candidates.push(path.clone());
    }
    // A packaged binary ships the library beside itself or in a sibling `lib/`.
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        candidates.push(exe_dir.join(&file_name));
        candidates.push(exe_dir.join("..").join("lib").join(&file_name));
    }
    // Lambda: a layer is mounted at /opt, the function package at /var/task.
    candidates.push(Path::new("/opt/lib").join(&file_name));
    candidates.push(Path::new("/var/task/lib").join(&file_name));
    // Where scripts/setup.sh installs it in this checkout; only meaningful for binaries
    // built and run on the same machine (tests, `cargo run`).
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.pdfium")
            .join(&file_name),
    );
    candidates
}

/// The bound library, binding it on first use.
pub(crate) fn bound_pdfium() -> Result<&'static BoundPdfium, PdfError> {
    BINDING
        .get_or_init(bind_first_available)
        .as_ref()
        .map_err(|message| PdfError::new(ErrorCode::Internal, message.clone()))
}

/// Binds now (if not yet bound) and says where the library came from. Call it at startup
/// to fail fast with a clear message instead of on the first page.
pub fn ensure_pdfium_bound() -> Result<LibraryOrigin, PdfError> {
    bound_pdfium().map(|bound| bound.origin.clone())
}

/// Whether PDFium can be found, for a host to say so at start instead of after a job's
/// retries: `Ok` as soon as a candidate file exists (the PDF workers load it; the caller
/// need not), otherwise whether it binds from the system search path, with the message that
/// names every place tried.
pub fn check_pdfium_present() -> Result<(), PdfError> {
    present(&library_candidates(), || ensure_pdfium_bound().map(drop))
}

fn present(candidates: &[PathBuf], bind: impl FnOnce() -> Result<(), PdfError>) -> Result<(), PdfError> {
    if candidates.iter().any(|path| path.is_file()) {
        return Ok(());
    }
    bind()
}

fn bind_first_available() -> Result<BoundPdfium, String> {
    let mut attempts: Vec<String> = Vec::new();
    for path in library_candidates() {
        if !path.is_file() {
            attempts.push(format!("{} (not found)", path.display()));
            continue;
        }
        match Pdfium::bind_to_library(&path) {
            Ok(bindings) => {
                tracing::info!(library = %path.display(), "bound PDFium");
                return Ok(BoundPdfium {
                    pdfium: Pdfium::new(bindings),
                    origin: LibraryOrigin::File(path),
                });
            }
            Err(error) => {
                // A file that exists but does not bind (wrong architecture, older PDFium
                // missing symbols) is worth a warning: someone put it there on purpose.
                tracing::warn!(library = %path.display(), error = ?error, "found PDFium but could not bind it");
                attempts.push(format!("{} ({error:?})", path.display()));
            }
        }
    }
    match Pdfium::bind_to_system_library() {
        Ok(bindings) => {
            tracing::info!("bound PDFium from the system library search path");
            Ok(BoundPdfium {
                pdfium: Pdfium::new(bindings),
                origin: LibraryOrigin::SystemSearchPath,
            })
        }
        Err(error) => {
            attempts.push(format!("system library search path ({error:?})"));
            let message = format!(
                "PDFium library not available; run scripts/setup.sh to install it, or set PDFIUM_LIB \
                 to the path of libpdfium. Tried: {}",
                attempts.join("; ")
            );
            Err(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_end_with_the_checkout_library_installed_by_setup() {
        let candidates = library_candidates();
        let last = candidates
            .last()
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(last.ends_with("/../../.pdfium/libpdfium.so"), "{last}");
        assert!(candidates.iter().any(|path| path.starts_with("/var/task/lib")));
        assert!(candidates.iter().any(|path| path.starts_with("/opt/lib")));
    }

    #[test]
    fn a_library_file_among_the_candidates_is_enough_and_none_asks_the_system() {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let missing = PathBuf::from("/nonexistent/libpdfium.so");
        let never = || -> Result<(), PdfError> { panic!("a file was there; nothing should bind") };
        assert!(present(&[missing.clone(), here], never).is_ok());
        let refused = || {
            Err(PdfError::new(
                ErrorCode::Internal,
                "PDFium library not available; run scripts/setup.sh",
            ))
        };
        let error = present(&[missing], refused).unwrap_err();
        assert!(error.message.contains("scripts/setup.sh"), "{error}");
        assert!(check_pdfium_present().is_ok(), "the checkout's library is found");
    }

    #[test]
    fn binding_succeeds_without_extra_environment() {
        // The workspace's .pdfium/libpdfium.so (scripts/setup.sh) must be found on its own.
        let origin = ensure_pdfium_bound().expect("PDFium binds; run scripts/setup.sh if it is missing");
        assert_ne!(origin.to_string(), "");
    }
}
