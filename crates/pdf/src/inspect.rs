//! Validation: limits, magic bytes, encryption, page geometry (`inspect.json`).
//!
//! PDFium is the judge of whether a file can be processed, because PDFium is what renders
//! it later. Page sizes come from PDFium without parsing page content, so validating a
//! 500-sheet set stays quick; rotations and a second opinion come from lopdf (see
//! [`crate::second_opinion`]), whose complaints become warnings, never rejections.

use crate::open::{header_version, open_document, require_pdf_header};
use crate::second_opinion::{LOPDF_MAX_BYTES, LopdfOpinion, lopdf_opinion};
use drawings_core::ErrorCode;
use drawings_core::ports::{Inspection, PageInfo, PdfError, PdfLimits};
use pdfium_render::prelude::{
    PdfDocument, PdfDocumentMetadataTagType, PdfPageRenderRotation, PdfPages, PdfSecurityHandlerRevision,
};

/// Checks `pdf` against `limits` and describes its pages.
pub(crate) fn inspect(pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
    let bytes = pdf.len() as u64;
    if bytes > limits.max_bytes {
        return Err(PdfError::new(
            ErrorCode::PayloadTooLarge,
            format!("the file is {bytes} bytes; the limit is {} bytes", limits.max_bytes),
        ));
    }
    require_pdf_header(pdf)?;
    let document = open_document(pdf)?;
    let sizes = upright_page_sizes(document.pages(), limits)?;

    let mut warnings = Vec::new();
    if is_encrypted(&document) {
        warnings.push("the PDF is encrypted but opens without a password; it was processed as is".to_owned());
    }
    let opinion = if pdf.len() <= LOPDF_MAX_BYTES {
        match lopdf_opinion(pdf) {
            Ok(opinion) => Some(opinion),
            Err(complaint) => {
                warnings.push(format!(
                    "lopdf could not parse the file ({complaint}); PDFium opened it"
                ));
                None
            }
        }
    } else {
        tracing::debug!(bytes, "skipping lopdf on a large file");
        None
    };
    if let Some(how) = opinion.as_ref().and_then(|opinion| opinion.xref_repair.as_deref()) {
        warnings.push(format!(
            "the cross-reference table is damaged ({how}); the file was read after repair"
        ));
    }
    let rotations = match opinion.as_ref() {
        Some(LopdfOpinion { rotations, .. }) if rotations.len() == sizes.len() => rotations.clone(),
        Some(LopdfOpinion { rotations, .. }) => {
            warnings.push(format!(
                "lopdf counts {} pages where PDFium counts {}; the page tree may be damaged",
                rotations.len(),
                sizes.len()
            ));
            pdfium_rotations(document.pages())?
        }
        None => pdfium_rotations(document.pages())?,
    };
    let producer = document
        .metadata()
        .get(PdfDocumentMetadataTagType::Producer)
        .map(|tag| tag.value().trim().to_owned())
        .filter(|value| !value.is_empty())
        .or_else(|| opinion.and_then(|opinion| opinion.producer));

    let pages: Vec<PageInfo> = sizes
        .into_iter()
        .zip(rotations)
        .enumerate()
        .map(|(index, ((width_pt, height_pt), rotation))| PageInfo {
            index: index as u32,
            width_pt,
            height_pt,
            rotation,
        })
        .collect();
    Ok(Inspection {
        bytes,
        page_count: pages.len() as u32,
        pages,
        pdf_version: header_version(pdf),
        producer,
        warnings,
    })
}

/// The upright size of every page, applying the page-count and page-size limits. PDFium
/// reports these without parsing page content.
fn upright_page_sizes(pages: &PdfPages<'_>, limits: &PdfLimits) -> Result<Vec<(f32, f32)>, PdfError> {
    let count = pages.len();
    if count <= 0 {
        return Err(PdfError::new(ErrorCode::InvalidPdf, "the PDF has no pages"));
    }
    if i64::from(count) > i64::from(limits.max_pages) {
        return Err(PdfError::new(
            ErrorCode::TooManyPages,
            format!("the PDF has {count} pages; the limit is {}", limits.max_pages),
        ));
    }
    let mut sizes = Vec::with_capacity(count as usize);
    for index in 0..count {
        let number = index + 1;
        // This fails only when the page tree names a page whose dictionary is missing or
        // broken; PDFium could not render that page either, so the file is rejected now
        // rather than after the earlier pages were paid for.
        let size = pages.page_size(index).map_err(|error| {
            tracing::debug!(page = number, error = ?error, "PDFium cannot size the page");
            PdfError::new(
                ErrorCode::InvalidPdf,
                format!("page {number} of {count} is damaged: its page dictionary cannot be read"),
            )
        })?;
        let (width_pt, height_pt) = (size.width().value, size.height().value);
        if !(width_pt.is_finite() && height_pt.is_finite() && width_pt > 0.0 && height_pt > 0.0) {
            return Err(PdfError::new(
                ErrorCode::InvalidPdf,
                format!("page {number} of {count} has no area ({width_pt} x {height_pt} pt)"),
            ));
        }
        if width_pt.max(height_pt) > limits.max_page_side_pt {
            return Err(PdfError::new(
                ErrorCode::PageTooLarge,
                format!(
                    "page {number} of {count} is {width_pt:.0} x {height_pt:.0} pt; the longest side may be at most {:.0} pt",
                    limits.max_page_side_pt
                ),
            ));
        }
        sizes.push((width_pt, height_pt));
    }
    Ok(sizes)
}

/// Each page's rotation from PDFium. Slow (every page's content is parsed), so only used
/// when lopdf could not give the rotations.
fn pdfium_rotations(pages: &PdfPages<'_>) -> Result<Vec<u16>, PdfError> {
    let count = pages.len();
    (0..count)
        .map(|index| {
            let page = pages.get(index).map_err(|error| {
                PdfError::new(
                    ErrorCode::InvalidPdf,
                    format!("page {} of {count} cannot be loaded: {error:?}", index + 1),
                )
            })?;
            Ok(match page.rotation() {
                Ok(PdfPageRenderRotation::Degrees90) => 90,
                Ok(PdfPageRenderRotation::Degrees180) => 180,
                Ok(PdfPageRenderRotation::Degrees270) => 270,
                Ok(PdfPageRenderRotation::None) | Err(_) => 0,
            })
        })
        .collect()
}

/// Whether PDFium found a security handler (it reports -1 for none, and R5/R6 as unknown).
fn is_encrypted(document: &PdfDocument<'_>) -> bool {
    !matches!(
        document.permissions().security_handler_revision(),
        Ok(PdfSecurityHandlerRevision::Unprotected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_testkit::fixtures::pdf::{self as fixtures, Placed};

    fn limits() -> PdfLimits {
        PdfLimits::default()
    }

    fn error_code(pdf: &[u8], limits: &PdfLimits) -> ErrorCode {
        match inspect(pdf, limits) {
            Ok(inspection) => panic!("expected an error, got {inspection:?}"),
            Err(error) => error.code,
        }
    }

    #[test]
    fn a_valid_pdf_is_described_page_by_page_with_upright_sizes() {
        let pdf = fixtures::sized_pages_pdf(&[
            ([0.0, 0.0, 612.0, 792.0], 0),
            ([0.0, 0.0, 612.0, 792.0], 90),
            ([0.0, 0.0, 2592.0, 1728.0], 270),
        ]);
        let inspection = inspect(&pdf, &limits()).unwrap();
        assert_eq!(inspection.bytes, pdf.len() as u64);
        assert_eq!(inspection.page_count, 3);
        let geometry: Vec<(u32, f32, f32, u16)> = inspection
            .pages
            .iter()
            .map(|page| (page.index, page.width_pt, page.height_pt, page.rotation))
            .collect();
        assert_eq!(
            geometry,
            [(0, 612.0, 792.0, 0), (1, 792.0, 612.0, 90), (2, 1728.0, 2592.0, 270)]
        );
        assert_eq!(inspection.pdf_version.as_deref(), Some("1.7"));
        assert_eq!(inspection.producer.as_deref(), Some(fixtures::PRODUCER));
        assert!(inspection.warnings.is_empty(), "{:?}", inspection.warnings);
    }

    #[test]
    fn lopdf_and_pdfium_agree_on_page_rotations() {
        let letter = [0.0, 0.0, 612.0, 792.0];
        let pdf = fixtures::sized_pages_pdf(&[
            (letter, 0),
            (letter, 90),
            (letter, 180),
            (letter, 270),
            (letter, -90),
            (letter, 450),
        ]);
        let document = open_document(&pdf).unwrap();
        let from_pdfium = pdfium_rotations(document.pages()).unwrap();
        assert_eq!(from_pdfium, [0, 90, 180, 270, 270, 90]);
        assert_eq!(lopdf_opinion(&pdf).unwrap().rotations, from_pdfium);
    }

    #[test]
    fn an_inherited_rotation_is_reported_with_the_upright_size() {
        let pdf = fixtures::inherited_rotation_pdf(90);
        let inspection = inspect(&pdf, &limits()).unwrap();
        let page = &inspection.pages[0];
        assert_eq!((page.width_pt, page.height_pt, page.rotation), (792.0, 612.0, 90));
    }

    #[test]
    fn a_file_over_the_byte_limit_is_payload_too_large() {
        let pdf = fixtures::blank_pages_pdf(1);
        let limits = PdfLimits {
            max_bytes: 100,
            ..limits()
        };
        assert_eq!(error_code(&pdf, &limits), ErrorCode::PayloadTooLarge);
    }

    #[test]
    fn garbage_and_truncated_files_are_invalid_pdf() {
        assert_eq!(error_code(b"", &limits()), ErrorCode::InvalidPdf);
        assert_eq!(
            error_code(b"PK\x03\x04 this is a zip file", &limits()),
            ErrorCode::InvalidPdf
        );
        assert_eq!(
            error_code(b"%PDF-1.7\n% nothing else\n", &limits()),
            ErrorCode::InvalidPdf
        );
        let pdf = fixtures::blank_pages_pdf(1);
        assert_eq!(error_code(&pdf[..40], &limits()), ErrorCode::InvalidPdf);
    }

    #[test]
    fn more_pages_than_the_limit_is_too_many_pages() {
        let pdf = fixtures::blank_pages_pdf(4);
        let limits = PdfLimits {
            max_pages: 3,
            ..limits()
        };
        assert_eq!(error_code(&pdf, &limits), ErrorCode::TooManyPages);
        assert!(inspect(&pdf, &PdfLimits { max_pages: 4, ..limits }).is_ok());
    }

    #[test]
    fn a_page_longer_than_the_limit_is_page_too_large_and_named() {
        let pdf = fixtures::sized_pages_pdf(&[([0.0, 0.0, 612.0, 792.0], 0), ([0.0, 0.0, 3000.0, 1000.0], 90)]);
        let error = inspect(
            &pdf,
            &PdfLimits {
                max_page_side_pt: 2000.0,
                ..limits()
            },
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::PageTooLarge);
        assert!(
            error.message.contains("page 2 of 2") && error.message.contains("1000 x 3000"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_pdf_with_no_pages_is_invalid_pdf() {
        let pdf = fixtures::blank_pages_pdf(0);
        assert_eq!(error_code(&pdf, &limits()), ErrorCode::InvalidPdf);
    }

    #[test]
    fn a_pdf_that_needs_a_password_is_encrypted_pdf() {
        let pdf = fixtures::encrypted_pdf("user-password");
        let error = inspect(&pdf, &limits()).unwrap_err();
        assert_eq!(error.code, ErrorCode::EncryptedPdf, "{error}");
    }

    #[test]
    fn a_pdf_encrypted_with_an_empty_user_password_is_accepted_with_a_warning() {
        let pdf = fixtures::encrypted_pdf("");
        let inspection = inspect(&pdf, &limits()).unwrap();
        assert_eq!(inspection.page_count, 1);
        assert!(
            inspection.warnings.iter().any(|warning| warning.contains("encrypted")),
            "{:?}",
            inspection.warnings
        );
    }

    #[test]
    fn a_file_pdfium_repairs_is_accepted_and_lopdf_doubts_become_warnings() {
        // Point startxref at the header instead of the cross-reference stream: PDFium
        // rebuilds the table by scanning and opens the file, so it must not be rejected,
        // whatever lopdf thinks of it.
        let mut pdf = fixtures::text_pdf(612.0, 792.0, 0, &[Placed::new("REPAIRED", 72.0, 700.0, 12.0)]);
        let marker = pdf
            .windows(10)
            .rposition(|bytes| bytes == b"startxref\n")
            .expect("a startxref")
            + 10;
        let digits = pdf[marker..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        pdf[marker..marker + digits].fill(b'0');
        let inspection = inspect(&pdf, &limits()).unwrap();
        assert_eq!(inspection.page_count, 1);
        assert!(
            inspection
                .warnings
                .iter()
                .any(|warning| warning.contains("cross-reference")),
            "{:?}",
            inspection.warnings
        );
    }
}
