//! Text layers written by hand, for analyzers that read a page's runs without a PDF engine:
//! runs where an engine would report them, lines of words, a sheet to hold them. And the
//! check the engine's own tests make of where text landed ([`assert_near`]).
//!
//! Boxes are in upright page points (origin top-left, y down), as [`PageText`] holds them.
//! Widths are a plain 0.6 em a character: readers place words by their boxes, so a test
//! needs boxes that are consistent, not a font's real advances.

use drawings_core::BBox;
use drawings_core::ports::{PageText, TextRun, TextSource};

/// Width of a character, in ems, for [`label`] and [`line`].
const CHAR_EM: f32 = 0.6;
/// The gap [`line`] leaves between words, in ems.
const WORD_GAP_EM: f32 = 0.4;

/// A run of `text` whose box runs from (`x0`, `y0`) to (`x1`, `y1`).
pub fn run(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> TextRun {
    TextRun {
        text: text.into(),
        bbox: BBox { x0, y0, x1, y1 },
    }
}

/// A run of `text` in `size` pt text whose left end is at (`x`, `y`), upright or turned a
/// quarter (then the box is tall: the engine reports a rotated word's box on the upright page).
pub fn label(text: &str, x: f32, y: f32, size: f32, rotated: bool) -> TextRun {
    let long = CHAR_EM * size * text.chars().count() as f32;
    let (w, h) = if rotated { (size, long) } else { (long, size) };
    run(text, x, y, x + w, y + h)
}

/// A line of words starting at (`x`, `y`), a space apart.
pub fn line(words: &str, x: f32, y: f32, size: f32) -> Vec<TextRun> {
    let mut out = Vec::new();
    let mut at = x;
    for word in words.split(' ') {
        let r = label(word, at, y, size, false);
        at = r.bbox.x1 + WORD_GAP_EM * size;
        out.push(r);
    }
    out
}

/// Page `page` of a 42 × 30 in sheet (3024 × 2160 pt, the E-size plans the readers are
/// tuned on) holding `runs` from its text layer.
pub fn sheet(page: u32, runs: Vec<TextRun>) -> PageText {
    PageText {
        page,
        width_pt: 3024.0,
        height_pt: 2160.0,
        runs,
        source: TextSource::Pdf,
        ..PageText::default()
    }
}

/// Every edge of `actual` is within `tolerance` points of `expected`.
#[track_caller]
pub fn assert_near(actual: BBox, expected: BBox, tolerance: f32) {
    let pairs = [
        (actual.x0, expected.x0),
        (actual.y0, expected.y0),
        (actual.x1, expected.x1),
        (actual.y1, expected.y1),
    ];
    assert!(
        pairs.iter().all(|(a, e)| (a - e).abs() <= tolerance),
        "{actual:?} is not within {tolerance} pt of {expected:?}"
    );
}
