//! Whether the model can read a page from its single image, or needs the tiles: the height of
//! the page's small text (from its text layer) in pixels of what the model would receive.
//!
//! A large sheet goes out as one image of at most 3072² pixels; on a 42 × 30 in sheet that is
//! about 87 dpi, where 5 pt tags are 6 px tall. The tiles `pdf_processing` cuts from the
//! full-resolution render (150 dpi by default) show the same text about twice as large. Tiles cost one call each,
//! so they are used only when the single image would shrink the small text below
//! [`LEGIBLE_TEXT_PX`] and the tiles are sharper.

use drawings_core::ports::{PageText, TextRun, TileManifestEntry};
use regex::Regex;
use std::sync::LazyLock;

/// Text smaller than this many pixels (em height) is hard for the model to read reliably.
pub const LEGIBLE_TEXT_PX: f32 = 12.0;
/// The text layer's boxes are PDFium's loose glyph boxes, about 1.15 em tall (ascent and
/// descent; see `drawings-pdf`'s text module): dividing by it gives the font size.
pub const LOOSE_BOX_EM: f32 = 1.15;
/// Share of the smallest runs ignored, so a few stray glyphs (superscripts, dimension ticks)
/// do not decide for the whole sheet.
pub const SMALL_TEXT_PERCENTILE: f32 = 0.05;
/// A page without text is sent as tiles when its single image is shrunk below this share of
/// the tiles' resolution (a scan has no text heights to judge by).
const SHRUNK_IMAGE: f32 = 0.75;

/// Tag-like runs: a short token holding letters and digits (`L4`, `CR-101`, `E3-1`, `1/12`).
static TAG_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z]+[-./:]?\d[\w./:-]*|\d+[-./:]?[A-Za-z][\w./:-]*)$")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// The em height of one run, in points; `None` when the run cannot tell (fewer than two
/// letters or digits). A vertical run's box is tall and narrow, so from three characters on the
/// shorter side is taken as its height.
pub fn run_text_pt(run: &TextRun) -> Option<f32> {
    let chars = run.text.chars().filter(|c| c.is_alphanumeric()).count();
    let (w, h) = (run.bbox.width(), run.bbox.height());
    if chars < 2 || w <= 0.0 || h <= 0.0 {
        return None;
    }
    let side = if chars >= 3 { w.min(h) } else { h };
    Some(side / LOOSE_BOX_EM)
}

/// Whether a run reads like a device tag or address.
pub fn is_tag_like(run: &TextRun) -> bool {
    let text = run.text.trim();
    text.len() <= 16 && TAG_LIKE.is_match(text)
}

/// How small the text of a set of runs is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHeights {
    /// Runs measured.
    pub runs: usize,
    /// The smallest em height, points.
    pub min_pt: f32,
    /// The [`SMALL_TEXT_PERCENTILE`] em height, points.
    pub small_pt: f32,
}

/// The heights of the runs of `text` that `keep` accepts; `None` when none can be measured.
pub fn text_heights(text: &PageText, keep: impl Fn(&TextRun) -> bool) -> Option<TextHeights> {
    let mut heights: Vec<f32> = text.runs.iter().filter(|r| keep(r)).filter_map(run_text_pt).collect();
    if heights.is_empty() {
        return None;
    }
    heights.sort_by(f32::total_cmp);
    let at = ((heights.len() - 1) as f32 * SMALL_TEXT_PERCENTILE).round() as usize;
    Some(TextHeights {
        runs: heights.len(),
        min_pt: heights[0],
        small_pt: heights[at],
    })
}

/// Width and height of a PNG, from its header.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let header = png.get(..24)?;
    if &header[..8] != b"\x89PNG\r\n\x1a\n" || &header[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    Some((word(16), word(20)))
}

/// Pixels of `text` size `pt` at `dpi`.
pub fn pixels(pt: f32, dpi: f32) -> f32 {
    pt * dpi / 72.0
}

/// Which image the model gets for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The single page image.
    WholePage,
    /// Each tile in its own call.
    Tiles,
}

/// The decision for one page, with what it was made from (for logs and warnings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// What to send.
    pub plan: Plan,
    /// The page's small text, em points (`None`: no measurable text).
    pub small_text_pt: Option<f32>,
    /// Resolution of the single page image.
    pub image_dpi: Option<f32>,
    /// Resolution of the tiles (`None`: no tiles, or only one).
    pub tile_dpi: Option<f32>,
}

impl Reading {
    /// The small text's height in pixels of what the model receives.
    pub fn received_px(&self) -> Option<f32> {
        let dpi = match self.plan {
            Plan::WholePage => self.image_dpi?,
            Plan::Tiles => self.tile_dpi?,
        };
        Some(pixels(self.small_text_pt?, dpi))
    }
}

/// Decides how to send a page: tiles when there are several, they are sharper than the page
/// image, and the page's small text is below [`LEGIBLE_TEXT_PX`] in the page image (or, with
/// no text to measure, the page image was shrunk well below the tiles' resolution).
pub fn plan(text: &PageText, image: Option<&[u8]>, tiles: &[TileManifestEntry]) -> Reading {
    let small_text_pt = text_heights(text, |_| true).map(|h| h.small_pt);
    let image_dpi = image
        .and_then(png_size)
        .filter(|_| text.width_pt > 0.0)
        .map(|(w, _)| w as f32 * 72.0 / text.width_pt);
    let tile_dpi = (tiles.len() > 1).then(|| tiles.iter().map(|t| t.dpi).fold(f32::INFINITY, f32::min));
    let mut reading = Reading {
        plan: Plan::WholePage,
        small_text_pt,
        image_dpi,
        tile_dpi,
    };
    let (Some(tile_dpi), Some(image_dpi)) = (tile_dpi, image_dpi) else {
        // No tiles, or a page image of unknown scale: the page image is all there is to judge.
        reading.plan = if tile_dpi.is_some() && image.is_none() {
            Plan::Tiles
        } else {
            Plan::WholePage
        };
        return reading;
    };
    // Within rounding of the page image, tiles would only cost more calls.
    if tile_dpi <= image_dpi * 1.05 {
        return reading;
    }
    let small = match small_text_pt {
        Some(pt) => pixels(pt, image_dpi) < LEGIBLE_TEXT_PX,
        None => image_dpi < SHRUNK_IMAGE * tile_dpi,
    };
    if small {
        reading.plan = Plan::Tiles;
    }
    reading
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run `w` × `h` pt whose top-left corner is at (`x`, `y`).
    fn run(text: &str, x: f32, y: f32, w: f32, h: f32) -> TextRun {
        drawings_testkit::text_layer::run(text, x, y, x + w, y + h)
    }

    /// A 42 × 30 in sheet whose runs are `size_pt` text (loose boxes 1.15 em tall).
    fn sheet(size_pt: f32, runs: usize) -> PageText {
        let h = size_pt * LOOSE_BOX_EM;
        PageText {
            width_pt: 3024.0,
            height_pt: 2160.0,
            runs: (0..runs)
                .map(|k| run("CR-12", 10.0 * k as f32, 100.0, 3.0 * h, h))
                .collect(),
            ..PageText::default()
        }
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(width.to_be_bytes());
        b.extend(height.to_be_bytes());
        b
    }

    fn tiles(n: usize, dpi: f32) -> Vec<TileManifestEntry> {
        (0..n)
            .map(|k| TileManifestEntry {
                key: format!("t{k}"),
                x_px: 2816 * k as u32,
                y_px: 0,
                width_px: 3072,
                height_px: 3072,
                dpi,
            })
            .collect()
    }

    #[test]
    fn small_text_on_a_shrunk_sheet_goes_out_as_tiles() {
        // 3072 px over 42 in is 73 dpi: 3 pt text is 3 px.
        let reading = plan(&sheet(3.0, 50), Some(&png(3072, 2194)), &tiles(6, 150.0));
        assert_eq!(reading.plan, Plan::Tiles);
        assert!((reading.image_dpi.unwrap() - 73.1).abs() < 0.1);
        assert!((reading.received_px().unwrap() - 6.25).abs() < 0.01);
    }

    #[test]
    fn legible_text_or_tiles_no_sharper_keep_the_single_image() {
        let image = png(3072, 2194);
        assert_eq!(
            plan(&sheet(14.0, 50), Some(&image), &tiles(6, 150.0)).plan,
            Plan::WholePage
        );
        assert_eq!(
            plan(&sheet(3.0, 50), Some(&image), &tiles(1, 150.0)).plan,
            Plan::WholePage
        );
        assert_eq!(
            plan(&sheet(3.0, 50), Some(&image), &tiles(6, 74.0)).plan,
            Plan::WholePage
        );
        assert_eq!(plan(&sheet(3.0, 50), Some(&image), &[]).plan, Plan::WholePage);
    }

    #[test]
    fn a_sheet_without_text_uses_tiles_only_when_its_image_was_shrunk() {
        let blank = PageText {
            width_pt: 3024.0,
            height_pt: 2160.0,
            ..PageText::default()
        };
        assert_eq!(plan(&blank, Some(&png(3072, 2194)), &tiles(6, 150.0)).plan, Plan::Tiles);
        let letter = PageText {
            width_pt: 612.0,
            height_pt: 792.0,
            ..PageText::default()
        };
        assert_eq!(
            plan(&letter, Some(&png(1275, 1650)), &tiles(2, 150.0)).plan,
            Plan::WholePage
        );
    }

    #[test]
    fn a_few_tiny_runs_do_not_decide_and_vertical_runs_are_measured_across() {
        let mut text = sheet(10.0, 99);
        text.runs.push(run("x1", 0.0, 0.0, 1.0, 0.5));
        let heights = text_heights(&text, |_| true).unwrap();
        assert!((heights.small_pt - 10.0).abs() < 1e-3, "{heights:?}");
        assert!(heights.min_pt < 1.0);
        let vertical = run("E3-1", 0.0, 0.0, 3.45, 20.0);
        assert!((run_text_pt(&vertical).unwrap() - 3.0).abs() < 1e-3);
        assert_eq!(run_text_pt(&run("-", 0.0, 0.0, 2.0, 3.0)), None);
    }

    #[test]
    fn tags_are_told_from_words() {
        for tag in ["L4", "CR-101", "E3-1", "L1D12", "P5", "2A"] {
            assert!(is_tag_like(&run(tag, 0.0, 0.0, 1.0, 1.0)), "{tag}");
        }
        for word in ["LEGEND", "OFFICE", "12", "SEE NOTE 4"] {
            assert!(!is_tag_like(&run(word, 0.0, 0.0, 1.0, 1.0)), "{word}");
        }
    }
}
