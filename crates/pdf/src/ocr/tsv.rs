//! Tesseract's TSV output (`tesseract … tsv`) read into word boxes, and the words turned
//! into text runs on the page.
//!
//! The TSV has one row per layout element: level 1 page, 2 block, 3 paragraph, 4 line,
//! 5 word, with `left top width height` in pixels of the image Tesseract read and `conf`
//! (0-100, -1 on the non-word levels). Only word rows carry text, and one word is what the
//! text layer's runs are too, so a word row becomes one run.

use drawings_core::BBox;
use drawings_core::ports::TextRun;

/// The TSV's level for a word.
const WORD_LEVEL: &str = "5";
/// Columns of a row: level page block paragraph line word left top width height conf text.
const COLUMNS: usize = 12;

/// One recognised word, in pixels of the OCR image (top-left origin, y down).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) left: u32,
    pub(crate) top: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Tesseract's confidence, 0 to 100.
    pub(crate) conf: f32,
}

/// The word rows of Tesseract's TSV. The header, the other levels and rows that do not
/// parse (a truncated last line) are skipped: a partial answer is still worth having.
pub(crate) fn parse_words(tsv: &str) -> Vec<Word> {
    tsv.lines().filter_map(parse_word).collect()
}

fn parse_word(line: &str) -> Option<Word> {
    // The text is the last column and cannot contain a tab, so a plain split is exact.
    let columns: Vec<&str> = line.split('\t').collect();
    if columns.len() != COLUMNS || columns[0] != WORD_LEVEL {
        return None;
    }
    let number = |index: usize| columns[index].trim().parse::<u32>().ok();
    Some(Word {
        left: number(6)?,
        top: number(7)?,
        width: number(8)?,
        height: number(9)?,
        conf: columns[10].trim().parse::<f32>().ok()?,
        text: columns[11].trim().to_owned(),
    })
}

/// Whether a word is worth a run: confident enough, and holding a letter or a digit.
/// Line work on a drawing (hatching, leaders, table rules) comes back as low-confidence
/// `|`, `—`, `=` and the like; no tag or description consists only of those.
pub(crate) fn is_readable(word: &Word, min_confidence: f32) -> bool {
    word.conf >= min_confidence && word.text.chars().any(char::is_alphanumeric)
}

/// The readable words as runs on the upright page, in points: the image is the whole
/// upright page, so pixels scale to points by page size over image size on each axis.
pub(crate) fn words_to_runs(
    words: &[Word],
    min_confidence: f32,
    image_px: (u32, u32),
    page_pt: (f32, f32),
) -> Vec<TextRun> {
    let (width_px, height_px) = image_px;
    if width_px == 0 || height_px == 0 {
        return Vec::new();
    }
    let scale_x = page_pt.0 / width_px as f32;
    let scale_y = page_pt.1 / height_px as f32;
    words
        .iter()
        .filter(|word| is_readable(word, min_confidence))
        .map(|word| {
            // A box reaching past the image (it should not) is clipped to the page.
            let x1 = word.left.saturating_add(word.width).min(width_px);
            let y1 = word.top.saturating_add(word.height).min(height_px);
            TextRun {
                text: word.text.clone(),
                bbox: BBox {
                    x0: word.left.min(width_px) as f32 * scale_x,
                    y0: word.top.min(height_px) as f32 * scale_y,
                    x1: x1 as f32 * scale_x,
                    y1: y1 as f32 * scale_y,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Tesseract 5.3 printed for a two-word line (trimmed to the interesting rows).
    const SAMPLE: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2550\t3300\t-1\t
2\t1\t1\t0\t0\t0\t300\t250\t800\t60\t-1\t
4\t1\t1\t1\t1\t0\t300\t250\t800\t60\t-1\t
5\t1\t1\t1\t1\t1\t300\t250\t350\t60\t96.381905\tSMOKE
5\t1\t1\t1\t1\t2\t700\t252\t400\t58\t91.5\tSD-101
5\t1\t2\t1\t1\t1\t40\t40\t5\t200\t12.0\t|
5\t1\t3\t1\t1\t1\t40\t40\t30\t30\t95\t \n5\t1\t3\t1\t1\t2\t900\t900\t30\t30\t20\tqz
5\t1\t4\t1\t1\t1\t1000\t1000";

    #[test]
    fn word_rows_are_read_and_other_levels_and_truncated_rows_skipped() {
        let words = parse_words(SAMPLE);
        let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        assert_eq!(texts, ["SMOKE", "SD-101", "|", "", "qz"]);
        assert_eq!(
            words[1],
            Word {
                text: "SD-101".into(),
                left: 700,
                top: 252,
                width: 400,
                height: 58,
                conf: 91.5,
            }
        );
    }

    #[test]
    fn runs_keep_confident_words_with_letters_or_digits_scaled_to_points() {
        // A Letter page read at 300 dpi: 2550 x 3300 px is 612 x 792 pt, 0.24 pt a pixel.
        let runs = words_to_runs(&parse_words(SAMPLE), 30.0, (2550, 3300), (612.0, 792.0));
        let texts: Vec<&str> = runs.iter().map(|run| run.text.as_str()).collect();
        assert_eq!(texts, ["SMOKE", "SD-101"], "the rule, the blank and the unsure word go");
        let bbox = runs[1].bbox;
        let expected = [700.0 * 0.24, 252.0 * 0.24, 1100.0 * 0.24, 310.0 * 0.24];
        let actual = [bbox.x0, bbox.y0, bbox.x1, bbox.y1];
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-3, "{actual:?} != {expected:?}");
        }
    }

    #[test]
    fn a_box_past_the_image_is_clipped_to_the_page() {
        let word = Word {
            text: "EDGE".into(),
            left: 90,
            top: 95,
            width: 50,
            height: 50,
            conf: 90.0,
        };
        let runs = words_to_runs(&[word], 30.0, (100, 100), (72.0, 72.0));
        assert_eq!((runs[0].bbox.x1, runs[0].bbox.y1), (72.0, 72.0));
    }
}
