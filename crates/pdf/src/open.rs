//! Opening a PDF with PDFium and turning its failures into stable error codes.
//!
//! Both `inspect` and `extract_page` start here, so a file gets the same verdict (not a
//! PDF, encrypted, unreadable) from both.

use crate::bind::bound_pdfium;
use drawings_core::ErrorCode;
use drawings_core::ports::PdfError;
use pdfium_render::prelude::{PdfDocument, PdfPage, PdfiumError, PdfiumInternalError};
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

/// How far into the file the `%PDF-` marker may appear. PDF readers tolerate leading
/// garbage (mail headers, BOMs); 1024 bytes is what Acrobat accepts.
pub(crate) const HEADER_SEARCH_BYTES: usize = 1024;

/// Held around "load, then read the last error". PDFium records the reason a load failed
/// in one process-wide slot and pdfium-render locks each FFI call separately, so without
/// this another thread's load could overwrite the reason (and turn "needs a password" into
/// "corrupt") between the two calls.
static LOAD_LOCK: Mutex<()> = Mutex::new(());

/// Where `%PDF-` starts within the first [`HEADER_SEARCH_BYTES`], if it does.
pub(crate) fn find_pdf_header(pdf: &[u8]) -> Option<usize> {
    let window = &pdf[..pdf.len().min(HEADER_SEARCH_BYTES)];
    window.windows(5).position(|bytes| bytes == b"%PDF-")
}

/// The `x.y` of a `%PDF-x.y` header, if the header is there and looks like a version.
pub(crate) fn header_version(pdf: &[u8]) -> Option<String> {
    let start = find_pdf_header(pdf)? + 5;
    let version: String = pdf
        .get(start..pdf.len().min(start + 8))?
        .iter()
        .take_while(|byte| byte.is_ascii_digit() || **byte == b'.')
        .map(|byte| char::from(*byte))
        .collect();
    (version.contains('.') && !version.starts_with('.') && !version.ends_with('.')).then_some(version)
}

/// Rejects bytes that are not a PDF before PDFium sees them: it would also refuse them, but
/// with a vaguer "format error".
pub(crate) fn require_pdf_header(pdf: &[u8]) -> Result<(), PdfError> {
    if pdf.is_empty() {
        return Err(PdfError::new(ErrorCode::InvalidPdf, "the file is empty"));
    }
    match find_pdf_header(pdf) {
        Some(_) => Ok(()),
        None => Err(PdfError::new(
            ErrorCode::InvalidPdf,
            format!("not a PDF: no %PDF- header in the first {HEADER_SEARCH_BYTES} bytes"),
        )),
    }
}

/// Opens `pdf` with PDFium without a password (a file encrypted with an empty user password
/// opens; one that needs a real password is `ENCRYPTED_PDF`).
pub(crate) fn open_document(pdf: &[u8]) -> Result<PdfDocument<'_>, PdfError> {
    let pdfium = &bound_pdfium()?.pdfium;
    let loaded = {
        // A poisoned lock only means another load panicked; the guard protects no data.
        let _serialized = LOAD_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pdfium.load_pdf_from_byte_slice(pdf, None)
    };
    loaded.map_err(load_error)
}

/// Opens a document PDFium reads through `reader` (a serving worker's shared memory file, see
/// `isolate/shared.rs`): PDFium reads the parts it needs as it needs them, so the worker
/// never holds the whole file. The same checks and verdicts as [`open_document`].
pub(crate) fn open_reader<'a, R: Read + Seek + Send + 'a>(mut reader: R) -> Result<PdfDocument<'a>, PdfError> {
    let mut head = Vec::with_capacity(HEADER_SEARCH_BYTES);
    (&mut reader)
        .take(HEADER_SEARCH_BYTES as u64)
        .read_to_end(&mut head)
        .and_then(|_| reader.seek(SeekFrom::Start(0)))
        .map_err(|e| PdfError::new(ErrorCode::Internal, format!("reading the shared document: {e}")))?;
    require_pdf_header(&head)?;
    let pdfium = &bound_pdfium()?.pdfium;
    let loaded = {
        let _serialized = LOAD_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pdfium.load_pdf_from_reader(reader, None)
    };
    loaded.map_err(load_error)
}

/// Loads page `index`, with `INVALID_PDF` for an index past the end or a broken page.
pub(crate) fn load_page<'a>(document: &PdfDocument<'a>, index: u32) -> Result<PdfPage<'a>, PdfError> {
    let pages = document.pages();
    let count = pages.len().max(0);
    let page_index = i32::try_from(index)
        .ok()
        .filter(|page_index| *page_index < count)
        .ok_or_else(|| {
            PdfError::new(
                ErrorCode::InvalidPdf,
                format!("page index {index} is out of range: the PDF has {count} pages"),
            )
        })?;
    pages.get(page_index).map_err(|error| {
        PdfError::new(
            ErrorCode::InvalidPdf,
            format!("page {} cannot be loaded: {error:?}", u64::from(index) + 1),
        )
    })
}

fn load_error(error: PdfiumError) -> PdfError {
    match error {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => PdfError::new(
            ErrorCode::EncryptedPdf,
            "the PDF is encrypted and needs a password to open; remove the password and upload it again",
        ),
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => PdfError::new(
            ErrorCode::EncryptedPdf,
            "the PDF uses an unsupported security handler and cannot be decrypted",
        ),
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => PdfError::new(
            ErrorCode::InvalidPdf,
            "the PDF is damaged beyond repair: PDFium could not read its structure",
        ),
        other => PdfError::new(
            ErrorCode::InvalidPdf,
            format!("PDFium could not open the PDF: {other:?}"),
        ),
    }
}

/// Runs `work`, turning a panic inside a PDF library into an `INTERNAL` error, so that a
/// hostile file cannot take down a worker thread. Our own code does not panic on data; this
/// guards lopdf and pdfium-render, which are large and parse untrusted input.
pub(crate) fn without_panics<T>(what: &str, work: impl FnOnce() -> Result<T, PdfError>) -> Result<T, PdfError> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(what, detail, "PDF library panicked");
            Err(PdfError::new(
                ErrorCode::Internal,
                format!("{what} failed unexpectedly: {detail}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_found_after_leading_garbage_but_not_after_1024_bytes() {
        let mut pdf = b"garbage\n%PDF-1.7\n".to_vec();
        assert_eq!(find_pdf_header(&pdf), Some(8));
        assert_eq!(header_version(&pdf).as_deref(), Some("1.7"));
        pdf = vec![b' '; HEADER_SEARCH_BYTES];
        pdf.extend_from_slice(b"%PDF-1.4");
        assert_eq!(find_pdf_header(&pdf), None);
    }

    #[test]
    fn header_without_a_version_number_has_no_version() {
        assert_eq!(header_version(b"%PDF-"), None);
        assert_eq!(header_version(b"%PDF-x.y"), None);
        assert_eq!(header_version(b"%PDF-2.0\r"), Some("2.0".to_owned()));
    }

    #[test]
    fn empty_and_headerless_bytes_are_invalid_pdf() {
        for bytes in [&b""[..], b"hello world", b"%PD"] {
            let error = require_pdf_header(bytes).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidPdf);
        }
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let result: Result<(), PdfError> = without_panics("test work", || panic!("boom"));
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::Internal);
        assert!(error.message.contains("boom"), "{}", error.message);
    }
}
