//! The PDF engine of the drawings service: [`PdfiumEngine`] implements
//! [`drawings_core::ports::PdfEngine`] with PDFium (through pdfium-render) for opening,
//! rendering and the text layer, and lopdf as a second opinion during validation.
//!
//! PDFium is loaded at run time from `libpdfium` (see [`library_candidates`] for where it is
//! looked for). All calls are blocking and CPU-bound; callers run them on a blocking thread.
//! Any input bytes give `Ok` or a [`PdfError`] with a stable code, never a panic.
#![warn(missing_docs)]

mod bind;
mod extract;
mod inspect;
mod open;
mod render;
mod second_opinion;
mod text;
mod upright;

#[cfg(test)]
mod fixtures;

pub use bind::{LibraryOrigin, PDFIUM_LIB_ENV, ensure_pdfium_bound, library_candidates};
pub use second_opinion::LOPDF_MAX_BYTES;

use drawings_core::ports::{ExtractedPage, Inspection, PdfEngine, PdfError, PdfLimits, RenderOptions};

/// The PDFium-backed [`PdfEngine`].
///
/// Cheap to create and to clone: the library binding is process-global and made on first
/// use. If the library cannot be found, every call fails with `INTERNAL` and a message that
/// names the paths tried; call [`ensure_pdfium_bound`] at startup to find out early.
#[derive(Debug, Clone, Copy, Default)]
pub struct PdfiumEngine {
    _private: (),
}

impl PdfiumEngine {
    /// An engine; binds PDFium lazily on the first call.
    pub fn new() -> Self {
        PdfiumEngine { _private: () }
    }
}

impl PdfEngine for PdfiumEngine {
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
        open::without_panics("PDF inspection", || inspect::inspect(pdf, limits))
    }

    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        open::without_panics("page extraction", || extract::extract_page(pdf, index, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync_for_spawn_blocking() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<PdfiumEngine>();
        let _as_port: &dyn PdfEngine = &PdfiumEngine::new();
    }
}
