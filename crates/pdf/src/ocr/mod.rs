//! OCR of pages without a text layer: a scan, or a sheet whose text was drawn as outlines,
//! gets its words from Tesseract instead, as the same positioned runs the text layer gives
//! (one run per word, points on the upright page, top-left origin), so the analyzers read
//! it unchanged. [`PageText::source`] says which it was.
//!
//! The page is rendered again at an OCR resolution (300 dpi, capped by a pixel budget so a
//! 36 x 24 in sheet stays within the page's memory and time limits), handed to the
//! `tesseract` command line (Debian's `tesseract-ocr`, `scripts/setup.sh` installs it) and
//! its TSV is read back ([`tsv`]). Tesseract missing, failing or too slow is never an error:
//! the page then has no runs and the source `OcrUnavailable`, and the analyzer says so.
//!
//! Isolation: in the service Tesseract runs as a child of the PDF worker process
//! ([`crate::isolate`]). Resource limits set with `setrlimit` are inherited across `fork`
//! and `exec`, so the worker's RLIMIT_AS (address space) and RLIMIT_CPU (CPU seconds, counted
//! afresh for the child) bind Tesseract exactly as they bind PDFium. The wall clock is the
//! worker's own timeout here, which the worker sets inside its limit
//! ([`OcrSettings::within_wall`]), so Tesseract is killed and reaped before the service kills
//! the worker; were the worker killed first, the orphan would still die at its CPU limit.
//! In-process (`DRAWINGS_PDF_ISOLATION=off`) the timeout is Tesseract's only limit, as
//! PDFium has none there either.

mod tesseract;
mod tsv;

#[cfg(test)]
mod tests;

use crate::reading_order::in_reading_order;
use crate::render::{Channels, RenderSize, render_pixels, render_size};
use crate::summary::{SCAN_MAX_READABLE_CHARS, image_coverage, looks_scanned};
use crate::upright::UserToUpright;
use drawings_core::ports::{PageText, RenderOptions, TextSource};
use pdfium_render::prelude::{PdfPage, PdfPageObjectsCommon};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How pages without a text layer are OCR'd.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrSettings {
    /// Whether to OCR at all (`DRAWINGS_OCR`); off, such pages have no runs.
    pub enabled: bool,
    /// The Tesseract executable (`DRAWINGS_TESSERACT`); a bare name is looked up on `PATH`.
    pub program: PathBuf,
    /// Tesseract language(s), e.g. `eng` or `eng+deu`.
    pub language: String,
    /// Resolution of the image Tesseract reads.
    pub dpi: f32,
    /// Cap on that image's pixels; the resolution drops to fit.
    pub max_pixels: u64,
    /// Time one page's OCR may take, counted from the start of the page's extraction.
    pub timeout: Duration,
    /// Words Tesseract is less sure of than this (0-100) are dropped.
    pub min_confidence: f32,
}

impl Default for OcrSettings {
    fn default() -> Self {
        OcrSettings {
            enabled: true,
            program: PathBuf::from("tesseract"),
            language: "eng".into(),
            // Tesseract reads best with capitals 20-30 px tall: 2.5 mm drawing text at
            // 300 dpi is about 30 px.
            dpi: 300.0,
            // A 36 x 24 in sheet at 300 dpi (77.8 Mpx) fits; a 42 x 30 in one drops to
            // about 250 dpi. Measured: about 430 MB resident in Tesseract, well inside
            // the worker's 2 GiB address space.
            max_pixels: 80_000_000,
            timeout: Duration::from_secs(60),
            min_confidence: 30.0,
        }
    }
}

impl OcrSettings {
    /// The worker arguments that carry these settings (read back by [`OcrSettings::from_args`]).
    pub fn to_args(&self) -> Vec<String> {
        vec![
            "--ocr".into(),
            if self.enabled { "on" } else { "off" }.into(),
            "--tesseract".into(),
            self.program.display().to_string(),
            "--ocr-language".into(),
            self.language.clone(),
        ]
    }

    /// The settings in `args`, defaults for what they do not name.
    pub fn from_args(args: &[String]) -> OcrSettings {
        let value = |flag: &str| args.windows(2).find(|w| w[0] == flag).map(|w| w[1].clone());
        let defaults = OcrSettings::default();
        OcrSettings {
            enabled: value("--ocr").is_none_or(|v| v != "off"),
            program: value("--tesseract").map_or(defaults.program.clone(), PathBuf::from),
            language: value("--ocr-language").unwrap_or(defaults.language.clone()),
            ..defaults
        }
    }

    /// These settings with the timeout cut to three quarters of a worker's wall-clock
    /// limit: the rest is for the page render, the answer, and a margin, so OCR running
    /// long costs the page its text, not the page itself.
    pub fn within_wall(mut self, wall: Duration) -> OcrSettings {
        self.timeout = self.timeout.min(wall * 3 / 4);
        self
    }
}

/// Page objects (at the top level) from which a page with next to no text is a drawing whose
/// text is outlines: a title sheet or a cover with a logo and a few words has far fewer.
const DRAWING_MIN_OBJECTS: usize = 1000;

/// What the page render cost, to judge whether an OCR render fits the time left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderCost {
    pub(crate) took: Duration,
    pub(crate) pixels: u64,
}

/// Whether a page's text needs OCR: it has (next to) no readable text, and either nothing
/// at all from the text layer on a page that draws something, or a few characters on a page
/// that images cover like a scan (scanners stamp a page number or a file name), or on a
/// sheet of line work whose labels must be outlines (a PDF editor's watermark over a CAD
/// export, say: one corpus sheet has 38,582 objects and 15 characters).
pub(crate) fn wants_ocr(page: &PdfPage<'_>, text: &PageText, to_upright: Option<&UserToUpright>) -> bool {
    let readable: usize = text.runs.iter().map(|run| run.text.chars().count()).sum();
    if readable >= SCAN_MAX_READABLE_CHARS as usize {
        return false;
    }
    let objects = page.objects().len();
    if text.runs.is_empty() {
        // A blank page has nothing to read; don't spend a render on it.
        return objects > 0;
    }
    if objects >= DRAWING_MIN_OBJECTS {
        return true;
    }
    let Some(to_upright) = to_upright else {
        return false;
    };
    let (images, coverage) = image_coverage(page, to_upright);
    looks_scanned(images, coverage, readable as u32)
}

/// Replaces `text`'s runs and lines with the words OCR finds on `page`, and sets its source.
/// `deadline` bounds the OCR render and Tesseract together; `render` is what the page
/// render just cost.
pub(crate) fn read_page(
    page: &PdfPage<'_>,
    text: &mut PageText,
    settings: &OcrSettings,
    deadline: Instant,
    render: RenderCost,
) {
    text.runs.clear();
    text.lines.clear();
    text.source = TextSource::OcrUnavailable;
    if !settings.enabled {
        tracing::info!(page = text.page, "page has no text layer and OCR is off");
        return;
    }
    let started = Instant::now();
    match recognize(page, settings, deadline, render) {
        Ok((words, runs)) => {
            let kept = runs.len();
            (text.runs, text.lines) = in_reading_order(runs);
            text.source = TextSource::Ocr;
            tracing::info!(
                page = text.page,
                words,
                kept,
                ms = started.elapsed().as_millis() as u64,
                "page has no text layer; OCR read it"
            );
        }
        Err(reason) => {
            tracing::warn!(page = text.page, %reason, "page has no text layer and OCR failed");
        }
    }
}

/// Why OCR gave no words.
#[derive(Debug, thiserror::Error)]
enum OcrError {
    #[error("no time left: the render alone would take about {estimate:?} of {left:?}")]
    NoTime { estimate: Duration, left: Duration },
    #[error("the OCR render failed: {0}")]
    Render(drawings_core::ports::PdfError),
    #[error(transparent)]
    Tesseract(#[from] tesseract::TesseractError),
}

/// Renders `page` for OCR and runs Tesseract: (words Tesseract found, runs kept).
fn recognize(
    page: &PdfPage<'_>,
    settings: &OcrSettings,
    deadline: Instant,
    render: RenderCost,
) -> Result<(usize, Vec<drawings_core::ports::TextRun>), OcrError> {
    let (width_pt, height_pt) = (page.width().value, page.height().value);
    let options = RenderOptions {
        dpi: settings.dpi,
        max_pixels: settings.max_pixels,
        tiles: None,
    };
    let size = render_size(width_pt, height_pt, &options).map_err(OcrError::Render)?;
    // PDFium cannot be interrupted, so a render that would overrun the time is not begun.
    // Render time grows at most with the pixels (a scan's image decode is a fixed part).
    let left = deadline.saturating_duration_since(Instant::now());
    let estimate = render.took.mul_f64(pixels(size) as f64 / render.pixels.max(1) as f64);
    if estimate >= left {
        return Err(OcrError::NoTime { estimate, left });
    }
    let mut pixels = render_pixels(page, size).map_err(OcrError::Render)?;
    let gray = to_gray(&mut pixels.data, pixels.channels);
    let image = tesseract::GrayImage {
        pixels: gray,
        width: size.width_px,
        height: size.height_px,
        dpi: size.dpi,
    };
    let timeout = deadline.saturating_duration_since(Instant::now());
    let tsv = tesseract::recognize(settings, &image, timeout)?;
    let words = tsv::parse_words(&tsv);
    let runs = tsv::words_to_runs(
        &words,
        settings.min_confidence,
        (size.width_px, size.height_px),
        (width_pt, height_pt),
    );
    Ok((words.len(), runs))
}

fn pixels(size: RenderSize) -> u64 {
    u64::from(size.width_px) * u64::from(size.height_px)
}

/// The render as 8-bit gray, converting RGB in place (the gray bytes take the front third of
/// the buffer) rather than allocating a second image of the sheet.
fn to_gray(data: &mut [u8], channels: Channels) -> &[u8] {
    match channels {
        Channels::Gray => data,
        Channels::Rgb => {
            let count = data.len() / 3;
            for index in 0..count {
                let (r, g, b) = (data[3 * index], data[3 * index + 1], data[3 * index + 2]);
                // ITU-R BT.601 luma in integers, as Leptonica converts RGB itself.
                data[index] = ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8) as u8;
            }
            &data[..count]
        }
    }
}
