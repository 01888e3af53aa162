//! OCR through the in-process engine: a page that is only a picture of text reads back as
//! words where the text was drawn; without a working Tesseract the page has no runs and
//! says so, and never fails or hangs. Scans are made here by rendering a text PDF with
//! PDFium and wrapping the pixels as the only content of a new PDF (the testkit's writer).

use super::*;
use crate::PdfiumEngine;
use crate::open::{load_page, open_document};
use drawings_core::BBox;
use drawings_core::ports::{PdfEngine, TextRun};
use drawings_testkit::fixtures::pdf::{self as fixtures, PageSpec, Placed, PlacedImage};
use drawings_testkit::text_layer::assert_near;
use std::path::Path;

const LETTER: (f32, f32) = (612.0, 792.0);
/// Helvetica's cap height, in em: how far capitals and digits reach above the baseline.
const CAP_HEIGHT: f32 = 0.718;

/// An image-only PDF of the first page of `pdf` as a scanner would make it at `dpi`, with
/// `stamp` (a scanner's page number, say) as the only text.
fn scan_of(pdf: &[u8], dpi: f32, stamp: Option<&str>) -> Vec<u8> {
    let document = open_document(pdf).unwrap();
    let page = load_page(&document, 0).unwrap();
    let (width_pt, height_pt) = (page.width().value, page.height().value);
    let options = RenderOptions {
        dpi,
        max_pixels: u64::MAX,
        tiles: None,
    };
    let size = render_size(width_pt, height_pt, &options).unwrap();
    let mut render = render_pixels(&page, size).unwrap();
    let gray = to_gray(&mut render.data, render.channels).to_vec();

    let media_box = [0.0, 0.0, width_pt, height_pt];
    let stamp: Vec<Placed> = stamp
        .map(|text| Placed::new(text, 10.0, 10.0, 6.0))
        .into_iter()
        .collect();
    fixtures::pages_pdf(&[PageSpec {
        images: &[PlacedImage::gray(media_box, size.width_px, size.height_px, gray)],
        ..PageSpec::new(media_box, 0, &stamp)
    }])
}

/// A Letter page of `marks` small filled squares, as line work draws a sheet, and `text`.
fn line_work_pdf(marks: usize, text: &str) -> Vec<u8> {
    let content: String = (0..marks)
        .map(|mark| format!("{} {} 2 2 re f\n", 36 + (mark % 250) * 2, 36 + (mark / 250) * 4))
        .collect();
    fixtures::pages_pdf(&[PageSpec {
        raw: &content,
        ..PageSpec::new(fixtures::LETTER, 0, &[Placed::new(text, 72.0, 700.0, 12.0)])
    }])
}

/// A Letter sheet with a few labels, as a 200 dpi scan.
fn letter_scan(stamp: Option<&str>) -> Vec<u8> {
    let labels = [
        Placed::new("SMOKE DETECTOR", 72.0, 700.0, 24.0),
        Placed::new("SD-101", 320.0, 400.0, 18.0),
        Placed::new("CARD READER", 100.0, 150.0, 16.0),
    ];
    scan_of(&fixtures::text_pdf(LETTER.0, LETTER.1, 0, &labels), 200.0, stamp)
}

fn extract(pdf: &[u8], ocr: OcrSettings) -> PageText {
    let options = RenderOptions {
        dpi: 72.0,
        ..RenderOptions::default()
    };
    PdfiumEngine::with_ocr(ocr)
        .extract_page(pdf, 0, &options)
        .unwrap_or_else(|error| panic!("extraction failed: {error}"))
        .text
}

fn require_tesseract() {
    let found = std::process::Command::new("tesseract").arg("--version").output();
    assert!(
        found.is_ok_and(|output| output.status.success()),
        "these tests need `tesseract` on PATH: run scripts/setup.sh"
    );
}

fn run<'a>(runs: &'a [TextRun], text: &str) -> &'a TextRun {
    let texts: Vec<&str> = runs.iter().map(|run| run.text.as_str()).collect();
    runs.iter()
        .find(|run| run.text == text)
        .unwrap_or_else(|| panic!("no word {text:?} in {texts:?}"))
}

/// The ink box of capitals and digits in Helvetica at `size` pt with the baseline at user
/// (`x`, `y`) on an unrotated Letter page, upright. The advance widths overshoot the ink by
/// the last glyph's right side bearing: about a point, except for the narrow `1`.
fn ink_box(text: &str, x: f32, y: f32, size: f32) -> BBox {
    let baseline = LETTER.1 - y;
    let bearing = if text.ends_with('1') { 0.197 } else { 0.0 };
    BBox {
        x0: x,
        y0: baseline - CAP_HEIGHT * size,
        x1: x + fixtures::helvetica_width(text, size) - bearing * size,
        y1: baseline,
    }
}

/// A stand-in for Tesseract: a shell script at a fresh path.
fn fake_tesseract(name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("drawings-ocr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn with_program(program: &Path) -> OcrSettings {
    OcrSettings {
        program: program.to_path_buf(),
        ..OcrSettings::default()
    }
}

#[test]
fn a_page_that_is_only_an_image_of_text_reads_back_as_words_where_the_text_is() {
    require_tesseract();
    let text = extract(&letter_scan(None), OcrSettings::default());
    assert_eq!(text.source, TextSource::Ocr);
    assert_eq!((text.width_pt, text.height_pt), LETTER);
    for (word, x, y, size) in [
        ("SMOKE", 72.0, 700.0, 24.0),
        ("SD-101", 320.0, 400.0, 18.0),
        ("CARD", 100.0, 150.0, 16.0),
    ] {
        // Tesseract boxes the ink; a glyph's side bearing is a point or so.
        assert_near(run(&text.runs, word).bbox, ink_box(word, x, y, size), 3.0);
    }
    let detector = run(&text.runs, "DETECTOR").bbox;
    let smoke_width = fixtures::helvetica_width("SMOKE ", 24.0);
    assert!((detector.x0 - (72.0 + smoke_width)).abs() < 3.0, "{detector:?}");
    run(&text.runs, "READER");
    // One line per label, top to bottom, as the text layer would give them.
    let order: Vec<&str> = text.runs.iter().map(|run| run.text.as_str()).collect();
    assert_eq!(order, ["SMOKE", "DETECTOR", "SD-101", "CARD", "READER"]);
    assert_eq!(text.lines.len(), 3);
}

#[test]
fn a_scan_with_a_stray_stamped_character_is_still_ocrd() {
    require_tesseract();
    let text = extract(&letter_scan(Some("1")), OcrSettings::default());
    assert_eq!(text.source, TextSource::Ocr);
    run(&text.runs, "SD-101");
}

#[test]
fn without_tesseract_a_scan_has_no_runs_and_says_ocr_was_unavailable() {
    let text = extract(
        &letter_scan(Some("1")),
        with_program(Path::new("/nonexistent/tesseract")),
    );
    assert_eq!(text.source, TextSource::OcrUnavailable);
    assert!(text.runs.is_empty() && text.lines.is_empty(), "{:?}", text.runs);
}

#[test]
fn a_failing_tesseract_or_ocr_switched_off_gives_ocr_unavailable() {
    let scan = letter_scan(None);
    let failing = fake_tesseract("failing", "echo 'Error opening data file eng.traineddata' >&2; exit 1");
    assert_eq!(
        extract(&scan, with_program(&failing)).source,
        TextSource::OcrUnavailable
    );
    let off = OcrSettings {
        enabled: false,
        ..OcrSettings::default()
    };
    assert_eq!(extract(&scan, off).source, TextSource::OcrUnavailable);
}

#[test]
fn a_tesseract_that_hangs_is_killed_at_the_timeout() {
    let hanging = fake_tesseract("hanging", "echo $$ > \"$0.pid\"; exec sleep 60");
    let settings = OcrSettings {
        timeout: Duration::from_secs(3),
        ..with_program(&hanging)
    };
    let started = Instant::now();
    let text = extract(&letter_scan(None), settings);
    assert_eq!(text.source, TextSource::OcrUnavailable);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let pid = std::fs::read_to_string(hanging.with_extension("pid")).unwrap();
    assert!(
        !Path::new("/proc").join(pid.trim()).exists(),
        "the stopped Tesseract was reaped"
    );
}

#[test]
fn an_ocr_render_that_would_overrun_the_deadline_is_not_begun() {
    let never = fake_tesseract("never", "touch \"$0.ran\"; exit 1");
    let pdf = letter_scan(None);
    let document = open_document(&pdf).unwrap();
    let page = load_page(&document, 0).unwrap();
    let mut text = PageText::default();
    // The page render took 2 s for a thousand pixels: millions would take hours.
    let slow = RenderCost {
        took: Duration::from_secs(2),
        pixels: 1_000,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    read_page(&page, &mut text, &with_program(&never), deadline, slow);
    assert_eq!(text.source, TextSource::OcrUnavailable);
    assert!(!never.with_extension("ran").exists(), "Tesseract was not started");
}

#[test]
fn pages_with_a_text_layer_or_with_nothing_drawn_are_not_ocrd() {
    let absent = with_program(Path::new("/nonexistent/tesseract"));
    let drawn = fixtures::text_pdf(612.0, 792.0, 0, &[Placed::new("SD-101", 72.0, 700.0, 12.0)]);
    let text = extract(&drawn, absent.clone());
    assert_eq!((text.source, text.runs.len()), (TextSource::Pdf, 1));
    let blank = extract(&fixtures::blank_pages_pdf(1), absent);
    assert_eq!((blank.source, blank.runs.len()), (TextSource::Pdf, 0));
}

#[test]
fn a_sheet_of_line_work_with_only_a_watermark_is_ocrd_but_a_sparse_page_is_not() {
    // Without Tesseract, "OCR was wanted" shows as OcrUnavailable.
    let absent = with_program(Path::new("/nonexistent/tesseract"));
    let drawing = extract(&line_work_pdf(DRAWING_MIN_OBJECTS, "PDF EDITOR"), absent.clone());
    assert_eq!(drawing.source, TextSource::OcrUnavailable);
    let cover = extract(&line_work_pdf(20, "PDF EDITOR"), absent);
    assert_eq!((cover.source, cover.runs.len()), (TextSource::Pdf, 2));
}

#[test]
fn settings_travel_to_a_worker_as_arguments() {
    let settings = OcrSettings {
        enabled: false,
        program: "/opt/bin/tesseract".into(),
        language: "eng+deu".into(),
        ..OcrSettings::default()
    };
    let mut args = vec!["--pdfium-lib".to_owned(), "/x/libpdfium.so".to_owned()];
    args.extend(settings.to_args());
    assert_eq!(OcrSettings::from_args(&args), settings);
    assert_eq!(OcrSettings::from_args(&[]), OcrSettings::default());
    let capped = OcrSettings::default().within_wall(Duration::from_secs(20));
    assert_eq!(capped.timeout, Duration::from_secs(15));
}

#[test]
fn rgb_renders_become_gray_in_place() {
    let mut data = vec![255, 255, 255, 0, 0, 0, 255, 0, 0];
    assert_eq!(to_gray(&mut data, Channels::Rgb), [255, 0, 76]);
}
