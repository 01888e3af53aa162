//! Page summaries for `drawings inspect`: the upright size and rotation, how much of the
//! text layer is readable, and how many images there are — enough to tell a CAD sheet with
//! a text layer from a scan, or from a sheet whose text was exported as outlines, without
//! rendering anything.
//!
//! A page "looks scanned" when images cover most of it and it has next to no readable text:
//! that is what a scanner or a print-to-image driver produces, and it is the case where the
//! text-layer analyzer finds nothing and only a vision model can help. Coverage is measured
//! on a coarse grid of the upright page, so a scan cut into strips counts as one image
//! covering the page and overlapping images are not counted twice.

use crate::open::{load_page, open_document, require_pdf_header};
use crate::text::{CharClass, classify};
use crate::upright::UserToUpright;
use drawings_core::BBox;
use drawings_core::ports::{PageSummary, PdfError};
use pdfium_render::prelude::{
    PdfMatrix, PdfPage, PdfPageObject, PdfPageObjectCommon, PdfPageObjectsCommon, PdfPageRenderRotation,
};

/// Share of the page that images must cover for a scan: a scan has margins, and a scanner's
/// crop is rarely exact, but a logo or a photo in a title block covers far less.
const SCAN_MIN_IMAGE_COVERAGE: f32 = 0.5;
/// Readable characters a scan may still carry (a stamp, a page number, a file name printed
/// by the scanner) without having a text layer worth reading.
pub(crate) const SCAN_MAX_READABLE_CHARS: u32 = 20;
/// Cells per side of the coverage grid: 1/32 of a sheet is fine enough for "most of the
/// page" and keeps a sheet with thousands of images cheap.
const COVERAGE_GRID: usize = 32;
/// Form XObjects nest; a hostile file can nest them deeply. Images below this depth are not
/// counted (real drawings use one or two levels).
const MAX_FORM_DEPTH: usize = 8;
/// Page objects visited while looking for images, across all forms: a file that repeats a
/// form full of objects thousands of times is cut short rather than walked for minutes.
const MAX_OBJECTS_VISITED: usize = 500_000;

/// Opens `pdf` and describes page `index` (0-based) without rendering it.
pub(crate) fn summarize_page(pdf: &[u8], index: u32) -> Result<PageSummary, PdfError> {
    require_pdf_header(pdf)?;
    let document = open_document(pdf)?;
    let page = load_page(&document, index)?;
    let to_upright = UserToUpright::for_page(&page);
    let chars = count_chars(&page, index);
    let (width_pt, height_pt) = (page.width().value, page.height().value);
    let mut census = ImageCensus::new(width_pt, height_pt);
    if let Some(to_upright) = to_upright.as_ref() {
        census.visit_page(&page, to_upright);
    }
    let coverage = census.coverage();
    Ok(PageSummary {
        index,
        width_pt,
        height_pt,
        rotation: rotation(&page),
        text_chars: chars.text,
        unreadable_chars: chars.unreadable,
        images: census.images,
        looks_scanned: looks_scanned(census.images, coverage, chars.readable),
    })
}

/// How many images `page` draws and the share of the upright page they cover, 0 to 1.
pub(crate) fn image_coverage(page: &PdfPage<'_>, to_upright: &UserToUpright) -> (u32, f32) {
    let mut census = ImageCensus::new(page.width().value, page.height().value);
    census.visit_page(page, to_upright);
    (census.images, census.coverage())
}

/// Whether a page with these numbers looks like a scan (see the module docs).
pub(crate) fn looks_scanned(images: u32, coverage: f32, readable_chars: u32) -> bool {
    images > 0 && coverage >= SCAN_MIN_IMAGE_COVERAGE && readable_chars < SCAN_MAX_READABLE_CHARS
}

fn rotation(page: &PdfPage<'_>) -> u16 {
    match page.rotation() {
        Ok(PdfPageRenderRotation::Degrees90) => 90,
        Ok(PdfPageRenderRotation::Degrees180) => 180,
        Ok(PdfPageRenderRotation::Degrees270) => 270,
        Ok(PdfPageRenderRotation::None) | Err(_) => 0,
    }
}

/// Characters of PDFium's text page, leaving out the spaces and line breaks PDFium adds
/// itself (they are layout, not text the file contains).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct CharCounts {
    text: u32,
    unreadable: u32,
    readable: u32,
}

fn count_chars(page: &PdfPage<'_>, index: u32) -> CharCounts {
    let mut counts = CharCounts::default();
    let text_page = match page.text() {
        Ok(text_page) => text_page,
        Err(error) => {
            // Same as the text layer: a page without a usable text page has no text.
            tracing::warn!(page = index, error = ?error, "PDFium could not load the text layer");
            return counts;
        }
    };
    for char in text_page.chars().iter() {
        if char.is_generated().unwrap_or(false) {
            continue;
        }
        counts.text = counts.text.saturating_add(1);
        match classify(char.unicode_value()) {
            CharClass::Readable(_) => counts.readable = counts.readable.saturating_add(1),
            CharClass::Unreadable => counts.unreadable = counts.unreadable.saturating_add(1),
            CharClass::Space => {}
        }
    }
    counts
}

/// Image objects of a page and the share of the upright page they cover.
struct ImageCensus {
    images: u32,
    width_pt: f32,
    height_pt: f32,
    covered: Vec<bool>,
    visited: usize,
}

impl ImageCensus {
    fn new(width_pt: f32, height_pt: f32) -> Self {
        ImageCensus {
            images: 0,
            width_pt,
            height_pt,
            covered: vec![false; COVERAGE_GRID * COVERAGE_GRID],
            visited: 0,
        }
    }

    fn visit_page(&mut self, page: &PdfPage<'_>, to_upright: &UserToUpright) {
        let mut forms = Vec::new();
        for object in page.objects().iter() {
            if !self.visit(&object, &mut forms, to_upright) {
                break;
            }
        }
    }

    /// Counts `object` if it is an image, walks into it if it is a form. `forms` holds the
    /// matrices of the enclosing forms, outermost first. `false` once the budget is spent.
    fn visit(&mut self, object: &PdfPageObject<'_>, forms: &mut Vec<PdfMatrix>, to_upright: &UserToUpright) -> bool {
        self.visited += 1;
        if self.visited > MAX_OBJECTS_VISITED {
            tracing::debug!(visited = self.visited, "stopped counting page objects");
            return false;
        }
        if object.as_image_object().is_some() {
            self.images = self.images.saturating_add(1);
            if let Ok(bounds) = object.bounds() {
                // PDFium gives an object inside a form in the form's space; the form
                // object's matrix places that space on the page.
                let rect = forms
                    .iter()
                    .rev()
                    .fold(bounds, |quad, matrix| quad.transform(*matrix))
                    .to_rect();
                if let Some(bbox) = to_upright.bbox(rect.left(), rect.bottom(), rect.right(), rect.top()) {
                    self.cover(bbox);
                }
            }
        } else if let Some(form) = object.as_x_object_form_object() {
            if forms.len() >= MAX_FORM_DEPTH {
                return true;
            }
            let Ok(matrix) = object.matrix() else {
                return true;
            };
            forms.push(matrix);
            let mut within_budget = true;
            for index in 0..form.len() {
                let Ok(child) = form.get(index) else {
                    continue;
                };
                if !self.visit(&child, forms, to_upright) {
                    within_budget = false;
                    break;
                }
            }
            forms.pop();
            return within_budget;
        }
        true
    }

    /// Marks the grid cells whose centres lie in `bbox` (upright points).
    fn cover(&mut self, bbox: BBox) {
        let (x0, y0, x1, y1) = (bbox.x0.into(), bbox.y0.into(), bbox.x1.into(), bbox.y1.into());
        let cell_w = f64::from(self.width_pt) / COVERAGE_GRID as f64;
        let cell_h = f64::from(self.height_pt) / COVERAGE_GRID as f64;
        if !(cell_w > 0.0 && cell_h > 0.0) {
            return;
        }
        // Cell i covers [i, i + 1) * cell; its centre is inside [lo, hi] when
        // lo <= (i + 0.5) * cell <= hi.
        let range = |lo: f64, hi: f64, cell: f64| {
            let first = (lo / cell - 0.5).ceil().max(0.0);
            let last = (hi / cell - 0.5).floor().min(COVERAGE_GRID as f64 - 1.0);
            (first as usize, last as usize, first <= last)
        };
        let (col0, col1, any_col) = range(x0, x1, cell_w);
        let (row0, row1, any_row) = range(y0, y1, cell_h);
        if !(any_col && any_row) {
            return;
        }
        for row in row0..=row1 {
            self.covered[row * COVERAGE_GRID + col0..=row * COVERAGE_GRID + col1].fill(true);
        }
    }

    /// Share of grid cells covered by some image, 0 to 1.
    fn coverage(&self) -> f32 {
        self.covered.iter().filter(|covered| **covered).count() as f32 / self.covered.len() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::page_text;
    use drawings_core::ErrorCode;
    use drawings_testkit::fixtures::pdf::{self as fixtures, PageSpec, Placed, PlacedCodes, PlacedImage};

    const LETTER: [f32; 4] = [0.0, 0.0, 612.0, 792.0];

    fn summary(pdf: &[u8], index: u32) -> PageSummary {
        summarize_page(pdf, index).unwrap_or_else(|error| panic!("summarize_page failed: {error}"))
    }

    fn one_page(spec: PageSpec<'_>) -> Vec<u8> {
        fixtures::pages_pdf(&[spec])
    }

    fn census(pdf: &[u8]) -> ImageCensus {
        let document = open_document(pdf).unwrap();
        let page = load_page(&document, 0).unwrap();
        let mut census = ImageCensus::new(page.width().value, page.height().value);
        census.visit_page(&page, &UserToUpright::for_page(&page).unwrap());
        census
    }

    fn census_of(pdf: &[u8]) -> (u32, f32) {
        let census = census(pdf);
        (census.images, census.coverage())
    }

    #[test]
    fn a_text_page_reports_upright_size_rotation_and_its_characters() {
        let texts = [
            Placed::new("A-101-DR-B2", 72.0, 700.0, 12.0),
            Placed::new("Door 7", 72.0, 600.0, 12.0),
        ];
        let pdf = fixtures::pages_pdf(&[PageSpec::new(LETTER, 0, &texts), PageSpec::new(LETTER, 90, &texts)]);
        let first = summary(&pdf, 0);
        assert_eq!(
            (first.index, first.width_pt, first.height_pt, first.rotation),
            (0, 612.0, 792.0, 0)
        );
        // 11 + 6 characters drawn, the space included; PDFium's own line break is not text.
        assert_eq!((first.text_chars, first.unreadable_chars, first.images), (17, 0, 0));
        assert!(!first.looks_scanned);
        let turned = summary(&pdf, 1);
        assert_eq!((turned.width_pt, turned.height_pt, turned.rotation), (792.0, 612.0, 90));
    }

    #[test]
    fn a_page_covered_by_an_image_without_text_looks_scanned() {
        let images = [PlacedImage::new([36.0, 36.0, 576.0, 756.0])];
        let pdf = one_page(PageSpec {
            images: &images,
            ..PageSpec::new(LETTER, 0, &[])
        });
        let page = summary(&pdf, 0);
        assert_eq!((page.images, page.text_chars), (1, 0));
        assert!(page.looks_scanned, "{page:?}");
    }

    #[test]
    fn a_scan_with_a_text_layer_or_a_small_logo_does_not_look_scanned() {
        let full = [PlacedImage::new([0.0, 0.0, 612.0, 792.0])];
        let texts = [Placed::new("OCR TEXT LAYER OF THE SCANNED SHEET", 72.0, 700.0, 12.0)];
        let ocr = one_page(PageSpec {
            images: &full,
            ..PageSpec::new(LETTER, 0, &texts)
        });
        assert!(!summary(&ocr, 0).looks_scanned);
        let logo = [PlacedImage::new([500.0, 20.0, 600.0, 80.0])];
        let logo_only = one_page(PageSpec {
            images: &logo,
            ..PageSpec::new(LETTER, 0, &[])
        });
        let page = summary(&logo_only, 0);
        assert_eq!(page.images, 1);
        assert!(!page.looks_scanned, "{page:?}");
    }

    #[test]
    fn a_scan_cut_into_strips_covers_the_page_once() {
        let strips: Vec<PlacedImage> = (0..8)
            .map(|strip| PlacedImage::new([0.0, strip as f32 * 99.0, 612.0, (strip + 1) as f32 * 99.0]))
            .collect();
        let pdf = one_page(PageSpec {
            images: &strips,
            ..PageSpec::new(LETTER, 0, &[])
        });
        let (images, coverage) = census_of(&pdf);
        assert_eq!(images, 8);
        assert!((coverage - 1.0).abs() < 1e-6, "coverage {coverage}");
        assert!(summary(&pdf, 0).looks_scanned);
    }

    #[test]
    fn images_inside_form_xobjects_are_counted_where_the_form_puts_them() {
        // Left half of the page, drawn through a form with its own /Matrix under a `cm`.
        let images = [PlacedImage::in_form([0.0, 0.0, 306.0, 792.0])];
        let pdf = one_page(PageSpec {
            images: &images,
            ..PageSpec::new(LETTER, 0, &[])
        });
        let census = census(&pdf);
        assert_eq!(census.images, 1);
        assert!((census.coverage() - 0.5).abs() < 1e-6, "coverage {}", census.coverage());
        // Exactly the left half: a transform applied twice or not at all would shift it off
        // the left column or the bottom row.
        let cell = |row: usize, col: usize| census.covered[row * COVERAGE_GRID + col];
        assert!(cell(0, 0) && cell(COVERAGE_GRID - 1, 0) && cell(COVERAGE_GRID - 1, COVERAGE_GRID / 2 - 1));
        assert!(!cell(0, COVERAGE_GRID / 2));
    }

    #[test]
    fn image_coverage_is_measured_on_the_upright_page() {
        // The bottom quarter of a portrait page is its right quarter once turned by 90.
        let images = [PlacedImage::new([0.0, 0.0, 612.0, 198.0])];
        let pdf = one_page(PageSpec {
            images: &images,
            ..PageSpec::new(LETTER, 90, &[])
        });
        let (_, coverage) = census_of(&pdf);
        assert!((coverage - 0.25).abs() < 0.04, "coverage {coverage}");
    }

    #[test]
    fn shx_glyphs_without_unicode_are_counted_as_unreadable_and_left_out_of_runs() {
        let texts = [Placed::new("DOOR", 72.0, 700.0, 12.0)];
        let shx = [PlacedCodes::new(&[1, 2, 3, 4, 1], 72.0, 500.0, 12.0)];
        let pdf = one_page(PageSpec {
            shx: &shx,
            ..PageSpec::new(LETTER, 0, &texts)
        });
        let page = summary(&pdf, 0);
        assert_eq!((page.text_chars, page.unreadable_chars), (9, 5), "{page:?}");
        let document = open_document(&pdf).unwrap();
        let loaded = load_page(&document, 0).unwrap();
        let text = page_text(&loaded, 0, UserToUpright::for_page(&loaded).as_ref());
        let runs: Vec<&str> = text.runs.iter().map(|run| run.text.as_str()).collect();
        assert_eq!(runs, ["DOOR"]);
        assert_eq!(text.unreadable_chars, 5);
    }

    #[test]
    fn a_scan_may_carry_a_few_readable_characters_and_a_sheet_may_not() {
        assert!(looks_scanned(1, 0.9, 0));
        assert!(looks_scanned(1, 0.9, SCAN_MAX_READABLE_CHARS - 1));
        assert!(!looks_scanned(1, 0.9, SCAN_MAX_READABLE_CHARS));
        assert!(!looks_scanned(0, 1.0, 0), "no images, no scan");
        assert!(!looks_scanned(3, 0.2, 0), "images in a corner are not a scan");
    }

    #[test]
    fn an_out_of_range_page_or_garbage_is_invalid_pdf() {
        let pdf = fixtures::blank_pages_pdf(1);
        assert_eq!(summarize_page(&pdf, 1).unwrap_err().code, ErrorCode::InvalidPdf);
        assert_eq!(summarize_page(b"not a pdf", 0).unwrap_err().code, ErrorCode::InvalidPdf);
    }

    #[test]
    fn the_security_plan_fixture_has_text_a_turned_page_and_a_scan() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/security-plan.pdf");
        let pdf = std::fs::read(&path).unwrap();
        let pages: Vec<PageSummary> = (0..4).map(|index| summary(&pdf, index)).collect();
        assert!(
            pages[0].text_chars > 400 && pages[0].unreadable_chars == 0,
            "{:?}",
            pages[0]
        );
        assert!(!pages[0].looks_scanned);
        assert_eq!(pages[2].rotation, 90);
        assert_eq!((pages[3].images, pages[3].text_chars), (1, 0));
        assert!(pages[3].looks_scanned, "{:?}", pages[3]);
    }
}
