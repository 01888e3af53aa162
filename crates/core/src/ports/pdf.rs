//! `PdfEngine`: what the pipeline needs from a PDF library. The engine is synchronous and
//! CPU-bound; the pipeline calls it from a blocking thread.

use crate::component::BBox;
use crate::error::{ErrorClass, ErrorCode};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::sync::Arc;

/// Limits applied by `inspect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PdfLimits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Most pages accepted.
    pub max_pages: u32,
    /// Longest page side accepted, in points (1/72 in).
    pub max_page_side_pt: f32,
}

impl Default for PdfLimits {
    fn default() -> Self {
        // 200 in is PDF's own page-size limit (14,400 pt); 500 pages covers construction sets.
        PdfLimits {
            max_bytes: 100 * 1024 * 1024,
            max_pages: 500,
            max_page_side_pt: 14_400.0,
        }
    }
}

/// How pages are rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderOptions {
    /// Target resolution.
    pub dpi: f32,
    /// Cap on width × height of the page image; the DPI is lowered to fit.
    pub max_pixels: u64,
    /// Also cut the page, rendered at the full `dpi`, into overlapping tiles (for a model
    /// that would otherwise see a large sheet shrunk below legibility). `None`: no tiles.
    #[serde(default)]
    pub tiles: Option<TileOptions>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        // 3072² is the largest image Gemini takes without downscaling it itself.
        RenderOptions {
            dpi: 150.0,
            max_pixels: 3072 * 3072,
            tiles: None,
        }
    }
}

/// How a page is cut into tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileOptions {
    /// Longest side of a tile in pixels (the model's tile size).
    pub max_side_px: u32,
    /// Pixels shared by neighbouring tiles, so a tag on a cut is whole in one of them.
    pub overlap_px: u32,
    /// Cap on the full-resolution render that tiles are cut from; the tile DPI is lowered
    /// to fit, so a huge page cannot exhaust memory.
    pub max_total_pixels: u64,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            max_side_px: 3072,
            overlap_px: 256,
            max_total_pixels: 64 * 1024 * 1024,
        }
    }
}

/// One tile of a page, with where it sits in the full-resolution render.
#[derive(Debug, Clone, PartialEq)]
pub struct PageTile {
    /// PNG bytes.
    pub png: Vec<u8>,
    /// Left edge in pixels of the full render (page point = pixel × 72 / `dpi`).
    pub x_px: u32,
    /// Top edge in pixels of the full render.
    pub y_px: u32,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
    /// Resolution of the full render the tile was cut from.
    pub dpi: f32,
}

/// One line of a page's tile manifest (`pages/{n}.tiles.json`): which blob holds a tile and
/// where it sits in the full-resolution render (page point = (offset + pixel) × 72 / `dpi`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileManifestEntry {
    /// Blob key of the tile's PNG (`pages/{n}/tiles/{k}.png` under the job).
    pub key: String,
    /// Left edge in pixels of the full render.
    pub x_px: u32,
    /// Top edge in pixels of the full render.
    pub y_px: u32,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
    /// Resolution of the full render.
    pub dpi: f32,
}

impl TileManifestEntry {
    /// The entry for `tile`, stored under `key`.
    pub fn new(key: String, tile: &PageTile) -> Self {
        TileManifestEntry {
            key,
            x_px: tile.x_px,
            y_px: tile.y_px,
            width_px: tile.width_px,
            height_px: tile.height_px,
            dpi: tile.dpi,
        }
    }
}

/// One page's geometry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    /// 0-based index.
    pub index: u32,
    /// Width of the upright page in points.
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
    /// `/Rotate` in degrees (0, 90, 180, 270).
    pub rotation: u16,
}

/// The result of validation (`inspect.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Size in bytes.
    pub bytes: u64,
    /// Number of pages.
    pub page_count: u32,
    /// Per-page geometry.
    pub pages: Vec<PageInfo>,
    /// `%PDF-x.y` header version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_version: Option<String>,
    /// `/Producer` from the info dictionary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// Problems that did not stop processing (e.g. lopdf could not parse a file PDFium opens).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A word-like run of characters with its box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextRun {
    /// The characters.
    pub text: String,
    /// Box on the upright page (see [`BBox`]).
    pub bbox: BBox,
}

/// A line of text: consecutive runs (`runs[first_run..first_run + run_count]`) and their
/// union box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    /// Box on the upright page.
    pub bbox: BBox,
    /// Index of the line's first run in [`PageText::runs`].
    pub first_run: u32,
    /// How many runs the line has.
    pub run_count: u32,
}

/// The text layer of one page (`pages/{n}.text.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    /// 0-based page index.
    pub page: u32,
    /// Width of the upright page in points.
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
    /// Runs in reading order.
    pub runs: Vec<TextRun>,
    /// The runs grouped into lines, top to bottom.
    #[serde(default)]
    pub lines: Vec<TextLine>,
    /// How many characters were dropped from the runs because they have no Unicode meaning
    /// (glyphs PDFium cannot map: SHX or custom-encoded fonts without a ToUnicode map,
    /// control and private-use codes). Text on the page that the runs do not show.
    #[serde(default)]
    pub unreadable_chars: u32,
    /// Where the runs came from: the PDF's own text layer, or OCR of the rendered page.
    #[serde(default)]
    pub source: TextSource,
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// The PDF's text layer.
    #[default]
    Pdf,
    /// OCR of the rendered page: the page had no text layer.
    Ocr,
    /// The page had no text layer and OCR was not available or failed (the runs are empty).
    OcrUnavailable,
}

/// A rendered page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageImage {
    /// PNG bytes.
    pub png: Vec<u8>,
    /// Pixel width.
    pub width_px: u32,
    /// Pixel height.
    pub height_px: u32,
    /// The resolution used, after the pixel cap.
    pub dpi: f32,
}

/// What `extract_page` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedPage {
    /// The text layer.
    pub text: PageText,
    /// The render.
    pub image: PageImage,
    /// Overlapping full-resolution tiles, when asked for (row by row, top-left first).
    pub tiles: Vec<PageTile>,
}

/// What `summarize_page` tells about a page (`drawings inspect`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSummary {
    /// 0-based index.
    pub index: u32,
    /// Width of the upright page in points.
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
    /// `/Rotate` in degrees.
    pub rotation: u16,
    /// Characters in the text layer.
    pub text_chars: u32,
    /// Characters the text layer has but cannot map to Unicode (SHX outlines, custom
    /// encodings without a ToUnicode map): text a reader would see as garbage.
    pub unreadable_chars: u32,
    /// Image objects on the page.
    pub images: u32,
    /// Whether the page looks like a scan: images and no (readable) text.
    pub looks_scanned: bool,
}

/// A PDF that cannot be processed, with its stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{code}: {message}")]
pub struct PdfError {
    /// `INVALID_PDF`, `ENCRYPTED_PDF`, `TOO_MANY_PAGES`, `PAGE_TOO_LARGE`, ...
    pub code: ErrorCode,
    /// What is wrong, for a person.
    pub message: String,
}

impl PdfError {
    /// Builds one.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        PdfError {
            code,
            message: message.into(),
        }
    }

    /// A bad file fails the same way every time; only an engine fault is worth a retry.
    pub fn class(&self) -> ErrorClass {
        match self.code {
            ErrorCode::Internal | ErrorCode::ServiceUnavailable => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }
}

/// A document held for the page calls of one job ([`PdfEngine::hold`]). Cheap to clone.
#[derive(Clone)]
pub enum HeldPdf {
    /// The document's bytes.
    Bytes(Bytes),
    /// The engine's own copy, which only the engine that made it can read.
    Engine(Arc<dyn Any + Send + Sync>),
}

impl std::fmt::Debug for HeldPdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeldPdf::Bytes(bytes) => write!(f, "HeldPdf::Bytes({} bytes)", bytes.len()),
            HeldPdf::Engine(_) => f.write_str("HeldPdf::Engine"),
        }
    }
}

/// A PDF library.
///
/// Semantics every engine keeps: any input bytes give `Ok` or a [`PdfError`] with a stable
/// code; never a panic. `inspect` applies `limits` and fails with `INVALID_PDF` only when
/// the renderer cannot open the file (a stricter parser's complaint is a warning).
pub trait PdfEngine: Send + Sync {
    /// Validates a file and describes its pages.
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError>;

    /// Extracts the text layer of page `index` (0-based) and renders it.
    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError>;

    /// Takes `pdf` for the page calls of one job ([`PdfEngine::extract_held`]), so that the
    /// caller keeps no bytes of its own while the pages are read: an engine that copies a
    /// document somewhere of its own (the isolated engine's memory file its workers share)
    /// keeps only that copy. The default holds the bytes.
    fn hold(&self, pdf: Bytes) -> Result<HeldPdf, PdfError> {
        Ok(HeldPdf::Bytes(pdf))
    }

    /// [`PdfEngine::extract_page`] on a document this engine holds.
    fn extract_held(&self, pdf: &HeldPdf, index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        match pdf {
            HeldPdf::Bytes(bytes) => self.extract_page(bytes, index, options),
            HeldPdf::Engine(_) => Err(PdfError::new(
                ErrorCode::Internal,
                "the document is held by another PDF engine",
            )),
        }
    }

    /// Describes page `index` without rendering it.
    fn summarize_page(&self, pdf: &[u8], index: u32) -> Result<PageSummary, PdfError>;
}
