//! Per-page extraction: the text layer (OCR'd when the page has none, see [`crate::ocr`])
//! and the render of one page (`pages/{n}.*`).

use crate::ocr::{OcrSettings, RenderCost, read_page, wants_ocr};
use crate::open::{load_page, open_document, require_pdf_header};
use crate::render::render_page;
use crate::text::page_text;
use crate::tiles::render_with_tiles;
use crate::upright::UserToUpright;
use drawings_core::ports::{ExtractedPage, PdfError, RenderOptions};
use pdfium_render::prelude::PdfDocument;
use std::time::Instant;

/// Opens `pdf`, then reads the text of page `index` (0-based) and renders it.
pub(crate) fn extract_page(
    pdf: &[u8],
    index: u32,
    options: &RenderOptions,
    ocr: &OcrSettings,
) -> Result<ExtractedPage, PdfError> {
    let started = Instant::now();
    require_pdf_header(pdf)?;
    let document = open_document(pdf)?;
    extract_from(&document, index, index, options, ocr, started)
}

/// Reads the text of page `index` of a document and renders it, from page `at` of the open
/// `document` (the same page, unless the worker opened a window of the document, see
/// `page_window.rs`): a PDF worker that serves several pages of one file opens it once and
/// comes here for each. `started` is when the request began, which OCR's deadline counts
/// from.
pub(crate) fn extract_from(
    document: &PdfDocument<'_>,
    index: u32,
    at: u32,
    options: &RenderOptions,
    ocr: &OcrSettings,
    started: Instant,
) -> Result<ExtractedPage, PdfError> {
    let page = load_page(document, at)?;
    let to_upright = UserToUpright::for_page(&page);
    let mut text = page_text(&page, index, to_upright.as_ref());
    let render_started = Instant::now();
    let (image, tiles) = match &options.tiles {
        Some(tile_options) => render_with_tiles(&page, options, tile_options)?,
        None => (render_page(&page, options)?, Vec::new()),
    };
    // OCR comes after the render the page must have, so a slow OCR can cost the page its
    // text but never its image.
    if wants_ocr(&page, &text, to_upright.as_ref()) {
        let area = |width: u32, height: u32| u64::from(width) * u64::from(height);
        let cost = RenderCost {
            took: render_started.elapsed(),
            pixels: area(image.width_px, image.height_px)
                + tiles
                    .iter()
                    .map(|tile| area(tile.width_px, tile.height_px))
                    .sum::<u64>(),
        };
        read_page(&page, &mut text, ocr, started + ocr.timeout, cost);
    }
    Ok(ExtractedPage { text, image, tiles })
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::BBox;
    use drawings_core::ErrorCode;
    use drawings_core::ports::{PageImage, TextRun};
    use drawings_testkit::fixtures::pdf::{self as fixtures, Placed};
    use drawings_testkit::text_layer::assert_near;

    fn extract(pdf: &[u8], index: u32, options: &RenderOptions) -> ExtractedPage {
        extract_page(pdf, index, options, &OcrSettings::default())
            .unwrap_or_else(|error| panic!("extract_page failed: {error}"))
    }

    fn run<'a>(runs: &'a [TextRun], text: &str) -> &'a TextRun {
        runs.iter().find(|run| run.text == text).unwrap_or_else(|| {
            panic!(
                "no run {text:?} in {:?}",
                runs.iter().map(|run| &run.text).collect::<Vec<_>>()
            )
        })
    }

    fn decoded_size(image: &PageImage) -> (u32, u32) {
        let decoder = png::Decoder::new(std::io::Cursor::new(image.png.as_slice()));
        let mut reader = decoder.read_info().expect("PNG header decodes");
        let mut buffer = vec![0; reader.output_buffer_size().expect("size fits")];
        let frame = reader.next_frame(&mut buffer).expect("PNG data decodes");
        // Gray when every pixel is gray (black text on white), RGB otherwise.
        assert!(matches!(
            frame.color_type,
            png::ColorType::Rgb | png::ColorType::Grayscale
        ));
        (frame.width, frame.height)
    }

    #[test]
    fn text_runs_land_where_the_text_was_drawn_on_an_unrotated_page() {
        let pdf = fixtures::text_pdf(
            612.0,
            792.0,
            0,
            &[
                Placed::new("A-101-DR-B2", 72.0, 700.0, 12.0),
                Placed::new("Door 7", 300.0, 100.0, 10.0),
            ],
        );
        let page = extract(&pdf, 0, &RenderOptions::default());
        assert_eq!((page.text.width_pt, page.text.height_pt), (612.0, 792.0));
        // Baseline at y=700 from the bottom is 92 pt from the top; caps reach ~8.6 pt above.
        let tag = run(&page.text.runs, "A-101-DR-B2");
        assert_near(
            tag.bbox,
            BBox {
                x0: 72.0,
                y0: 92.0 - 11.0,
                x1: 72.0 + fixtures::helvetica_width("A-101-DR-B2", 12.0),
                y1: 92.0 + 2.6,
            },
            2.5,
        );
        let door = run(&page.text.runs, "Door");
        assert!(
            (door.bbox.x0 - 300.0).abs() < 1.0 && (door.bbox.y1 - (692.0 + 2.2)).abs() < 2.5,
            "{:?}",
            door.bbox
        );
        assert_eq!(run(&page.text.runs, "7").text, "7");
        let order: Vec<&str> = page.text.runs.iter().map(|run| run.text.as_str()).collect();
        assert_eq!(order, ["A-101-DR-B2", "Door", "7"], "reading order");
    }

    #[test]
    fn text_runs_are_upright_on_a_page_rotated_90_degrees() {
        // Portrait 612x792 with /Rotate 90 (clockwise) is shown as landscape 792x612: user
        // (0,0) becomes the upright top-left, so text drawn from user (72, 100) starts at
        // upright (100, 72) and reads downwards.
        let pdf = fixtures::text_pdf(612.0, 792.0, 90, &[Placed::new("ROT90", 72.0, 100.0, 20.0)]);
        let page = extract(
            &pdf,
            0,
            &RenderOptions {
                dpi: 72.0,
                max_pixels: 10_000_000,
                tiles: None,
            },
        );
        assert_eq!((page.text.width_pt, page.text.height_pt), (792.0, 612.0));
        assert_eq!((page.image.width_px, page.image.height_px), (792, 612));
        let rotated = run(&page.text.runs, "ROT90");
        let length = fixtures::helvetica_width("ROT90", 20.0);
        // Up in user space is right on the upright page: ascenders reach past x = 100.
        assert_near(
            rotated.bbox,
            BBox {
                x0: 100.0 - 4.5,
                y0: 72.0,
                x1: 100.0 + 18.5,
                y1: 72.0 + length,
            },
            2.5,
        );
    }

    #[test]
    fn text_runs_are_upright_on_pages_rotated_180_and_270_degrees() {
        for (rotation, expected_start) in [(180, (612.0 - 72.0, 100.0)), (270, (792.0 - 100.0, 612.0 - 72.0))] {
            let pdf = fixtures::text_pdf(612.0, 792.0, rotation, &[Placed::new("TAG", 72.0, 100.0, 20.0)]);
            let page = extract(
                &pdf,
                0,
                &RenderOptions {
                    dpi: 36.0,
                    max_pixels: 10_000_000,
                    tiles: None,
                },
            );
            let tag = run(&page.text.runs, "TAG").bbox;
            let (x, y) = expected_start;
            // Upside down, user y is the distance from the upright top; a quarter turn
            // anticlockwise sends user x to the distance from the upright bottom. The
            // baseline start is one corner of the box in every orientation.
            let corners = [(tag.x0, tag.y0), (tag.x1, tag.y0), (tag.x0, tag.y1), (tag.x1, tag.y1)];
            let nearest = corners
                .iter()
                .map(|(cx, cy)| (cx - x).abs().max((cy - y).abs()))
                .fold(f32::INFINITY, f32::min);
            assert!(
                nearest < 5.0,
                "rotation {rotation}: {tag:?} has no corner near {expected_start:?}"
            );
            assert!(tag.x0 >= 0.0 && tag.y0 >= 0.0 && tag.x1 <= page.text.width_pt && tag.y1 <= page.text.height_pt);
        }
    }

    #[test]
    fn turned_text_on_a_page_rotated_270_degrees_reads_left_to_right_as_one_word() {
        // CAD sheets often draw landscape text turned a quarter clockwise on a portrait
        // MediaBox with /Rotate 270. Upright, user (x, y) lands at (792 - y, 612 - x).
        let pdf = fixtures::text_pdf(
            612.0,
            792.0,
            270,
            &[Placed::rotated("RESTROOM", 300.0, 700.0, 20.0, -90.0)],
        );
        let page = extract(
            &pdf,
            0,
            &RenderOptions {
                dpi: 72.0,
                max_pixels: 10_000_000,
                tiles: None,
            },
        );
        let word = run(&page.text.runs, "RESTROOM");
        let length = fixtures::helvetica_width("RESTROOM", 20.0);
        assert_near(
            word.bbox,
            BBox {
                x0: 92.0,
                y0: 312.0 - 18.5,
                x1: 92.0 + length,
                y1: 312.0 + 4.5,
            },
            2.5,
        );
    }

    #[test]
    fn vertical_text_on_an_unrotated_page_is_one_run_reading_upwards() {
        // A label turned a quarter anticlockwise, as on the side of a title block.
        let pdf = fixtures::text_pdf(612.0, 792.0, 0, &[Placed::rotated("DR-101", 500.0, 200.0, 10.0, 90.0)]);
        let page = extract(
            &pdf,
            0,
            &RenderOptions {
                dpi: 72.0,
                max_pixels: 10_000_000,
                tiles: None,
            },
        );
        let label = run(&page.text.runs, "DR-101");
        let length = fixtures::helvetica_width("DR-101", 10.0);
        // Baseline at user x = 500, from upright y = 592 upwards; ascenders to the left.
        assert_near(
            label.bbox,
            BBox {
                x0: 500.0 - 9.3,
                y0: 592.0 - length,
                x1: 500.0 + 2.3,
                y1: 592.0,
            },
            1.5,
        );
    }

    #[test]
    fn a_page_box_with_an_offset_origin_still_maps_to_the_top_left() {
        let pdf = fixtures::text_pdf_with_media_box(
            [100.0, 200.0, 712.0, 992.0],
            0,
            &[Placed::new("OFFSET", 172.0, 900.0, 12.0)],
        );
        let page = extract(&pdf, 0, &RenderOptions::default());
        let offset = run(&page.text.runs, "OFFSET").bbox;
        assert!(
            (offset.x0 - 72.0).abs() < 1.0 && (offset.y1 - (92.0 + 2.6)).abs() < 2.5,
            "{offset:?}"
        );
    }

    #[test]
    fn dpi_is_capped_by_max_pixels_and_the_png_decodes_to_the_reported_size() {
        let pdf = fixtures::text_pdf(1728.0, 2592.0, 0, &[Placed::new("BIG", 100.0, 100.0, 40.0)]);
        let options = RenderOptions {
            dpi: 150.0,
            max_pixels: 1_000_000,
            tiles: None,
        };
        let page = extract(&pdf, 0, &options);
        let image = &page.image;
        assert!(u64::from(image.width_px) * u64::from(image.height_px) <= options.max_pixels);
        assert!(image.dpi < 150.0 && image.dpi > 30.0, "dpi {}", image.dpi);
        assert!((image.width_px as f32 - 1728.0 * image.dpi / 72.0).abs() <= 1.0);
        assert_eq!(decoded_size(image), (image.width_px, image.height_px));
    }

    #[test]
    fn the_render_shows_the_text_where_the_text_layer_says() {
        let pdf = fixtures::text_pdf(612.0, 792.0, 90, &[Placed::new("INK", 72.0, 100.0, 40.0)]);
        let page = extract(
            &pdf,
            0,
            &RenderOptions {
                dpi: 72.0,
                max_pixels: 10_000_000,
                tiles: None,
            },
        );
        let bbox = run(&page.text.runs, "INK").bbox;
        let decoder = png::Decoder::new(std::io::Cursor::new(page.image.png.as_slice()));
        let mut reader = decoder.read_info().expect("PNG decodes");
        let mut rgb = vec![0; reader.output_buffer_size().expect("size fits")];
        let frame = reader.next_frame(&mut rgb).expect("PNG decodes");
        let samples = frame.color_type.samples() as u32;
        let dark = |x: u32, y: u32| rgb[((y * frame.width + x) * samples) as usize] < 128;
        let (mut inside, mut outside) = (0, 0);
        for y in 0..frame.height {
            for x in 0..frame.width {
                if dark(x, y) {
                    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                    if px >= bbox.x0 && px <= bbox.x1 && py >= bbox.y0 && py <= bbox.y1 {
                        inside += 1
                    } else {
                        outside += 1
                    }
                }
            }
        }
        assert!(inside > 100, "the glyphs should be drawn inside {bbox:?}");
        assert_eq!(outside, 0, "no ink outside the text box on an otherwise empty page");
    }

    #[test]
    fn an_out_of_range_page_index_is_invalid_pdf() {
        let pdf = fixtures::text_pdf(612.0, 792.0, 0, &[]);
        for index in [1, u32::MAX] {
            let error = extract_page(&pdf, index, &RenderOptions::default(), &OcrSettings::default()).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidPdf, "{error}");
        }
    }

    #[test]
    fn garbage_is_invalid_pdf_on_extraction_too() {
        let error = extract_page(
            b"\x89PNG not a pdf",
            0,
            &RenderOptions::default(),
            &OcrSettings::default(),
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidPdf);
    }
}
