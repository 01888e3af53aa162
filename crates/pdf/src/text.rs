//! The text layer of a page as word-like runs with upright boxes.
//!
//! PDFium gives characters in content order with user-space boxes. Drawings (CAD output in
//! particular) often place every glyph separately and leave out spaces, so PDFium's own
//! word breaks are not enough: consecutive glyphs are joined into a run only when they sit
//! on the same line, follow the same writing direction and the gap between them is small
//! relative to the line height. Whitespace and PDFium's generated line breaks always end a
//! run. Runs are then put in reading order: top to bottom, left to right.
//!
//! Characters PDFium cannot map to Unicode (see [`classify`]) are counted in
//! [`PageText::unreadable_chars`] and end a run like a space, rather than being emitted: a
//! run of replacement or control characters is garbage to every consumer, and splitting at
//! them keeps the readable neighbours from fusing into a false tag (`A1?02` is not `A102`).

use crate::reading_order::in_reading_order;
use crate::upright::UserToUpright;
use drawings_core::BBox;
use drawings_core::ports::{PageText, TextRun};
use pdfium_render::prelude::{PdfPage, PdfPageTextChar};

/// A gap wider than this fraction of the line height separates two words. A space in
/// Helvetica is 0.278 em and a loose glyph box is about 1.15 em tall, so a missing space
/// is about 0.24 of the box height; kerning and tracking stay well below that.
const WORD_GAP_OF_LINE_HEIGHT: f32 = 0.2;
/// Glyphs may overlap a little (kerning, bold by overprinting) and still be one word.
const MAX_OVERLAP_OF_LINE_HEIGHT: f32 = 0.5;
/// Two glyphs are on the same line when their boxes overlap across the writing direction
/// by at least this fraction of the smaller one.
const SAME_LINE_OVERLAP: f32 = 0.5;

/// Which way a glyph advances on the upright page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WritingDirection {
    LeftToRight,
    RightToLeft,
    TopToBottom,
    BottomToTop,
}

/// One visible glyph, already on the upright page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glyph {
    pub(crate) text: char,
    pub(crate) bbox: BBox,
    pub(crate) direction: WritingDirection,
}

/// A character stream item: a glyph, or something that ends the current run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TextItem {
    Glyph(Glyph),
    Break,
    /// A glyph with no Unicode meaning: ends the run and is counted, never emitted.
    Unreadable,
}

/// What one character of PDFium's text page is to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// A character with a Unicode meaning.
    Readable(char),
    /// Whitespace, including the line breaks PDFium generates: separates words, is not text.
    Space,
    /// A glyph PDFium could not map to Unicode.
    Unreadable,
}

/// Classifies PDFium's Unicode value for a character.
///
/// PDFium reports a glyph it cannot map (no ToUnicode, no usable encoding) as 0, as U+FFFD,
/// U+FFFE or U+FFFF, or by falling back to the raw character code, which for simple fonts
/// lands in the C0/C1 control ranges (an AutoCAD SHX glyph, a TeX ligature, a custom symbol
/// encoding). Symbol and icon fonts map into the Private Use Area, which has no agreed
/// meaning. None of these is text anyone can search or match a tag against.
/// Raw codes that happen to land on ordinary letters cannot be told apart by value; PDFium's
/// `FPDFText_HasUnicodeMapError` could, but pdfium-render 0.9.5 has no safe wrapper for it.
pub(crate) fn classify(value: u32) -> CharClass {
    // Surrogates and values past U+10FFFF are not characters at all.
    let Some(char) = char::from_u32(value) else {
        return CharClass::Unreadable;
    };
    if char.is_whitespace() {
        return CharClass::Space;
    }
    match char {
        '\u{0}' | '\u{FFFD}' | '\u{FFFE}' | '\u{FFFF}' => CharClass::Unreadable,
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}' => CharClass::Unreadable,
        char if char.is_control() => CharClass::Unreadable,
        char => CharClass::Readable(char),
    }
}

/// Reads the text layer of `page`. A page whose text PDFium cannot load has no runs rather
/// than failing the page: the render is still useful.
pub(crate) fn page_text(page: &PdfPage<'_>, index: u32, to_upright: Option<&UserToUpright>) -> PageText {
    let mut text = PageText {
        page: index,
        width_pt: page.width().value,
        height_pt: page.height().value,
        runs: Vec::new(),
        lines: Vec::new(),
        unreadable_chars: 0,
        source: drawings_core::ports::TextSource::Pdf,
    };
    let Some(to_upright) = to_upright else {
        tracing::warn!(page = index, "page has no usable geometry; skipping its text layer");
        return text;
    };
    let text_page = match page.text() {
        Ok(text_page) => text_page,
        Err(error) => {
            tracing::warn!(page = index, error = ?error, "PDFium could not load the text layer");
            return text;
        }
    };
    let chars = text_page.chars();
    let items: Vec<TextItem> = chars.iter().map(|char| text_item(&char, to_upright)).collect();
    let unreadable = items.iter().filter(|item| **item == TextItem::Unreadable).count();
    text.unreadable_chars = u32::try_from(unreadable).unwrap_or(u32::MAX);
    if unreadable > 0 {
        tracing::debug!(
            page = index,
            unreadable,
            "characters without a Unicode meaning were dropped"
        );
    }
    (text.runs, text.lines) = in_reading_order(group_into_runs(&items));
    text
}

fn text_item(char: &PdfPageTextChar<'_>, to_upright: &UserToUpright) -> TextItem {
    let text = match classify(char.unicode_value()) {
        CharClass::Readable(text) => text,
        CharClass::Space => return TextItem::Break,
        CharClass::Unreadable => return TextItem::Unreadable,
    };
    // The loose box spans the font's ascent and descent, so every glyph on a line gets the
    // same height; the tight box would make "a" and "T" differ and punctuation tiny.
    let Some(bbox) = char
        .loose_bounds()
        .or_else(|_| char.tight_bounds())
        .ok()
        .and_then(|rect| to_upright.bbox(rect.left(), rect.bottom(), rect.right(), rect.top()))
    else {
        return TextItem::Break;
    };
    // PDFium's angle is atan2(c, a) of the glyph matrix, i.e. measured clockwise in user
    // space: the baseline runs along (cos, -sin).
    let angle = f64::from(char.angle_radians().unwrap_or(0.0));
    let (dx, dy) = to_upright.direction(angle.cos(), -angle.sin());
    let direction = if dx.abs() >= dy.abs() {
        if dx >= 0.0 {
            WritingDirection::LeftToRight
        } else {
            WritingDirection::RightToLeft
        }
    } else if dy >= 0.0 {
        WritingDirection::TopToBottom
    } else {
        WritingDirection::BottomToTop
    };
    TextItem::Glyph(Glyph { text, bbox, direction })
}

/// Joins consecutive glyphs into runs (see the module docs).
pub(crate) fn group_into_runs(items: &[TextItem]) -> Vec<TextRun> {
    let mut runs = Vec::new();
    let mut current: Option<(TextRun, Glyph)> = None;
    for item in items {
        match item {
            TextItem::Break | TextItem::Unreadable => {
                if let Some((run, _)) = current.take() {
                    runs.push(run);
                }
            }
            TextItem::Glyph(glyph) => {
                current = match current.take() {
                    Some((mut run, previous)) if continues_word(&previous, glyph) => {
                        run.text.push(glyph.text);
                        run.bbox = run.bbox.union(glyph.bbox);
                        Some((run, glyph.clone()))
                    }
                    other => {
                        if let Some((run, _)) = other {
                            runs.push(run);
                        }
                        Some((
                            TextRun {
                                text: glyph.text.to_string(),
                                bbox: glyph.bbox,
                            },
                            glyph.clone(),
                        ))
                    }
                };
            }
        }
    }
    if let Some((run, _)) = current {
        runs.push(run);
    }
    runs
}

/// Whether `next` carries on the word that `previous` belongs to.
fn continues_word(previous: &Glyph, next: &Glyph) -> bool {
    if previous.direction != next.direction {
        return false;
    }
    let (a, b) = (previous.bbox, next.bbox);
    // Along the writing direction: the gap from the end of `previous` to the start of
    // `next`. Across it: the line height and how much the two boxes share.
    let (gap, line_height, shared, smaller) = match next.direction {
        WritingDirection::LeftToRight => (
            b.x0 - a.x1,
            a.height().max(b.height()),
            overlap(a.y0, a.y1, b.y0, b.y1),
            a.height().min(b.height()),
        ),
        WritingDirection::RightToLeft => (
            a.x0 - b.x1,
            a.height().max(b.height()),
            overlap(a.y0, a.y1, b.y0, b.y1),
            a.height().min(b.height()),
        ),
        WritingDirection::TopToBottom => (
            b.y0 - a.y1,
            a.width().max(b.width()),
            overlap(a.x0, a.x1, b.x0, b.x1),
            a.width().min(b.width()),
        ),
        WritingDirection::BottomToTop => (
            a.y0 - b.y1,
            a.width().max(b.width()),
            overlap(a.x0, a.x1, b.x0, b.x1),
            a.width().min(b.width()),
        ),
    };
    if line_height <= 0.0 {
        return false;
    }
    let same_line = shared >= SAME_LINE_OVERLAP * smaller.max(0.0);
    same_line && gap <= WORD_GAP_OF_LINE_HEIGHT * line_height && gap >= -MAX_OVERLAP_OF_LINE_HEIGHT * line_height
}

fn overlap(a0: f32, a1: f32, b0: f32, b1: f32) -> f32 {
    a1.min(b1) - a0.max(b0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyph(text: char, x0: f32, y0: f32, width: f32, height: f32) -> TextItem {
        TextItem::Glyph(Glyph {
            text,
            bbox: BBox {
                x0,
                y0,
                x1: x0 + width,
                y1: y0 + height,
            },
            direction: WritingDirection::LeftToRight,
        })
    }

    fn texts(runs: &[TextRun]) -> Vec<&str> {
        runs.iter().map(|run| run.text.as_str()).collect()
    }

    #[test]
    fn touching_glyphs_on_a_line_form_one_run_with_the_union_box() {
        let items = [
            glyph('A', 10.0, 100.0, 6.0, 12.0),
            glyph('B', 16.5, 100.0, 6.0, 12.0),
            glyph('2', 23.0, 100.5, 6.0, 12.0),
        ];
        let runs = group_into_runs(&items);
        assert_eq!(texts(&runs), ["AB2"]);
        assert_eq!(
            runs[0].bbox,
            BBox {
                x0: 10.0,
                y0: 100.0,
                x1: 29.0,
                y1: 112.5
            }
        );
    }

    #[test]
    fn a_missing_space_sized_gap_splits_words_even_without_a_space_char() {
        // CAD text often positions glyphs one by one without space characters.
        let items = [glyph('A', 10.0, 100.0, 6.0, 12.0), glyph('B', 19.5, 100.0, 6.0, 12.0)];
        assert_eq!(texts(&group_into_runs(&items)), ["A", "B"]);
    }

    #[test]
    fn whitespace_and_line_breaks_end_a_run() {
        let items = [
            glyph('A', 10.0, 100.0, 6.0, 12.0),
            TextItem::Break,
            glyph('B', 16.0, 100.0, 6.0, 12.0),
        ];
        assert_eq!(texts(&group_into_runs(&items)), ["A", "B"]);
    }

    #[test]
    fn an_unreadable_glyph_splits_its_neighbours_and_is_never_emitted() {
        let items = [
            glyph('A', 10.0, 100.0, 6.0, 12.0),
            glyph('1', 16.0, 100.0, 6.0, 12.0),
            TextItem::Unreadable,
            glyph('0', 28.0, 100.0, 6.0, 12.0),
            glyph('2', 34.0, 100.0, 6.0, 12.0),
        ];
        assert_eq!(texts(&group_into_runs(&items)), ["A1", "02"]);
    }

    #[test]
    fn unmappable_values_are_unreadable_and_letters_are_readable() {
        for value in [
            0, 0x02, 0x1F, 0x7F, 0x93, 0xFFFD, 0xFFFE, 0xFFFF, 0xE000, 0xF041, 0x10_FFFD, 0xD800, 0x11_0000,
        ] {
            assert_eq!(classify(value), CharClass::Unreadable, "U+{value:04X}");
        }
        for (value, char) in [(0x41, 'A'), (0xB1, '±'), (0x2300, '⌀'), (0x3A9, 'Ω')] {
            assert_eq!(classify(value), CharClass::Readable(char), "U+{value:04X}");
        }
    }

    #[test]
    fn whitespace_and_pdfium_line_breaks_are_spaces_not_unreadable() {
        for value in [0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000] {
            assert_eq!(classify(value), CharClass::Space, "U+{value:04X}");
        }
    }

    #[test]
    fn glyphs_on_different_lines_do_not_join() {
        let items = [glyph('A', 10.0, 100.0, 6.0, 12.0), glyph('B', 16.0, 113.0, 6.0, 12.0)];
        assert_eq!(texts(&group_into_runs(&items)), ["A", "B"]);
    }

    #[test]
    fn vertical_text_reading_upwards_joins_along_y() {
        let up = |text, y0| {
            TextItem::Glyph(Glyph {
                text,
                bbox: BBox {
                    x0: 50.0,
                    y0,
                    x1: 62.0,
                    y1: y0 + 6.0,
                },
                direction: WritingDirection::BottomToTop,
            })
        };
        let runs = group_into_runs(&[up('D', 200.0), up('R', 194.0), up('1', 188.0)]);
        assert_eq!(texts(&runs), ["DR1"]);
    }
}
