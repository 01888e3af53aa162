//! The PDF engine of the drawings service: [`PdfiumEngine`] implements
//! [`drawings_core::ports::PdfEngine`] with PDFium (through pdfium-render) for opening,
//! rendering, the text layer (OCR'd with Tesseract when a page has none, see [`OcrSettings`])
//! and page summaries, and lopdf as a second opinion during validation.
//!
//! PDFium is loaded at run time from `libpdfium` (see [`library_candidates`] for where it is
//! looked for). All calls are blocking and CPU-bound; callers run them on a blocking thread.
//! Any input bytes give `Ok` or a [`PdfError`] with a stable code, never a panic.
#![warn(missing_docs)]

mod bind;
mod child;
mod extract;
mod heap;
mod inspect;
pub mod isolate;
mod ocr;
mod open;
mod page_window;
mod reading_order;
mod render;
mod second_opinion;
mod summary;
mod text;
mod tiles;
mod upright;

pub use bind::{LibraryOrigin, check_pdfium_present, ensure_pdfium_bound, library_candidates, use_library};
pub use heap::{LARGE_BUFFER_BYTES, return_large_buffers};
pub use isolate::{
    Confinement, Enforcement, INHERITED_VARIABLES, IsolatedPdfEngine, IsolationLimits, PAGES_PER_WORKER, WorkerCommand,
    worker_main,
};
pub use ocr::OcrSettings;
pub use second_opinion::LOPDF_MAX_BYTES;

use drawings_core::ports::{ExtractedPage, Inspection, PageSummary, PdfEngine, PdfError, PdfLimits, RenderOptions};

/// The PDFium-backed [`PdfEngine`].
///
/// Cheap to create and to clone: the library binding is process-global and made on first
/// use. If the library cannot be found, every call fails with `INTERNAL` and a message that
/// names the paths tried; call [`ensure_pdfium_bound`] at startup to find out early.
#[derive(Debug, Clone, Default)]
pub struct PdfiumEngine {
    ocr: OcrSettings,
}

impl PdfiumEngine {
    /// An engine with the default OCR settings; binds PDFium lazily on the first call.
    pub fn new() -> Self {
        PdfiumEngine::default()
    }

    /// An engine that OCRs pages without a text layer as `ocr` says.
    pub fn with_ocr(ocr: OcrSettings) -> Self {
        PdfiumEngine { ocr }
    }
}

impl PdfEngine for PdfiumEngine {
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
        open::without_panics("PDF inspection", || inspect::inspect(pdf, limits))
    }

    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        open::without_panics("page extraction", || {
            extract::extract_page(pdf, index, options, &self.ocr)
        })
    }

    fn summarize_page(&self, pdf: &[u8], index: u32) -> Result<PageSummary, PdfError> {
        open::without_panics("page summary", || summary::summarize_page(pdf, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::ErrorCode;
    use drawings_testkit::corpus;

    #[test]
    fn engine_is_send_and_sync_for_spawn_blocking() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<PdfiumEngine>();
        let _as_port: &dyn PdfEngine = &PdfiumEngine::new();
    }

    #[test]
    fn encrypted_corpus_files_are_encrypted_pdf_or_accepted() {
        let Some(dir) = corpus::dir("encrypted_corpus_files_are_encrypted_pdf_or_accepted") else {
            return;
        };
        let engine = PdfiumEngine::new();
        let files = corpus::files(&dir, "encrypted");
        assert!(!files.is_empty(), "the corpus lists encrypted files");
        let mut rejected = 0;
        for path in &files {
            let pdf = std::fs::read(path).unwrap_or_default();
            match engine.inspect(&pdf, &PdfLimits::default()) {
                Ok(_) => {}
                Err(error) if error.code == ErrorCode::EncryptedPdf => rejected += 1,
                Err(error) => eprintln!("{}: {error}", path.display()),
            }
        }
        // Most of them need a password (the MANIFEST notes say which); some open without one.
        assert!(
            rejected * 2 > files.len(),
            "only {rejected} of {} were ENCRYPTED_PDF",
            files.len()
        );
    }

    #[test]
    fn a_known_user_password_corpus_file_is_encrypted_pdf() {
        let Some(path) = corpus::file(
            "a_known_user_password_corpus_file_is_encrypted_pdf",
            "qpdf__qpdf/qpdf/qtest/qpdf/enc-R3,V2,U=view,O=master.pdf",
        ) else {
            return;
        };
        let pdf = std::fs::read(&path).unwrap();
        let error = PdfiumEngine::new().inspect(&pdf, &PdfLimits::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::EncryptedPdf, "{error}");
    }

    #[test]
    fn malformed_corpus_files_give_ok_or_a_pdf_error_without_panicking() {
        let Some(dir) = corpus::dir("malformed_corpus_files_give_ok_or_a_pdf_error_without_panicking") else {
            return;
        };
        let files = corpus::files(&dir, "malformed");
        assert!(!files.is_empty(), "the corpus lists malformed files");
        let engine = PdfiumEngine::new();
        let options = RenderOptions {
            dpi: 36.0,
            max_pixels: 1_000_000,
            tiles: None,
        };
        // A spread of about forty files across the whole list (they are grouped by source).
        for path in files.iter().step_by((files.len() / 40).max(1)) {
            let pdf = std::fs::read(path).unwrap_or_default();
            // Any Ok or PdfError is fine; a panic fails the test, and INTERNAL would mean a
            // library panicked and was caught, which is worth knowing about.
            let outcome = engine
                .inspect(&pdf, &PdfLimits::default())
                .and_then(|_| engine.extract_page(&pdf, 0, &options).map(|_| ()));
            if let Err(error) = outcome {
                assert_ne!(error.code, ErrorCode::Internal, "{}: {error}", path.display());
            }
        }
    }
}
