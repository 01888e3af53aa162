//! Words and lines: the text layer cut into whitespace-separated words, each with its own
//! box, and the words grouped into horizontal lines. PDF engines disagree on how much text
//! one run holds (`A`, `A B2`, `A B2 005 BB`, or one glyph per run when the glyphs were
//! placed one by one), so matching works on words, never on runs.

use drawings_core::BBox;
use drawings_core::ports::TextRun;

/// One word and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    pub text: String,
    pub bbox: BBox,
    /// The run the word's last character came from.
    pub run: usize,
}

impl Word {
    pub fn height(&self) -> f32 {
        self.bbox.height()
    }

    pub fn center_x(&self) -> f32 {
        self.bbox.center().0
    }

    pub fn center_y(&self) -> f32 {
        self.bbox.center().1
    }
}

/// Splits runs into words. A run's box is shared among its characters evenly: the engine
/// gives no per-character boxes, and tags are short uppercase text where widths vary little.
pub(crate) fn split(runs: &[TextRun]) -> Vec<Word> {
    let mut words = Vec::new();
    for (n, run) in runs.iter().enumerate() {
        let b = run.bbox;
        // A box with no height or a non-finite corner carries no usable position.
        if ![b.x0, b.y0, b.x1, b.y1].iter().all(|v| v.is_finite()) || b.height() <= 0.0 || b.width() < 0.0 {
            continue;
        }
        let chars: Vec<char> = run.text.chars().collect();
        if chars.is_empty() {
            continue;
        }
        let per_char = b.width() / chars.len() as f32;
        let mut start = None;
        for (i, c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    words.push(Word {
                        text: chars[s..i].iter().collect(),
                        bbox: BBox {
                            x0: b.x0 + s as f32 * per_char,
                            y0: b.y0,
                            x1: b.x0 + i as f32 * per_char,
                            y1: b.y1,
                        },
                        run: n,
                    });
                    start = None;
                }
                _ => {}
            }
        }
    }
    words
}

/// How far apart two centres may be vertically, as a share of the text height, and still
/// be on one line.
const SAME_LINE: f32 = 0.35;
/// How much taller one word may be than another on the same line.
const HEIGHT_RATIO: f32 = 1.6;

/// Whether two words sit on one horizontal line in the same size of text.
pub(crate) fn same_line(a: &Word, b: &Word) -> bool {
    let (ha, hb) = (a.height(), b.height());
    let (lo, hi) = if ha < hb { (ha, hb) } else { (hb, ha) };
    lo > 0.0 && hi / lo <= HEIGHT_RATIO && (a.center_y() - b.center_y()).abs() <= SAME_LINE * lo
}

/// How far apart two centres may be vertically, as a share of the text height, for two
/// words to be in the same lettering (one tag, one label).
const SAME_STRAND: f32 = 0.25;
/// How much taller one word may be than another in the same lettering.
const STRAND_HEIGHT_RATIO: f32 = 1.15;

/// Whether two words are in the same size of text on the same baseline: stricter than
/// [`same_line`], so a tag drawn across a room name is told apart from it.
pub(crate) fn same_strand(a: &Word, b: &Word) -> bool {
    let (ha, hb) = (a.height(), b.height());
    let (lo, hi) = if ha < hb { (ha, hb) } else { (hb, ha) };
    lo > 0.0 && hi / lo <= STRAND_HEIGHT_RATIO && (a.center_y() - b.center_y()).abs() <= SAME_STRAND * lo
}

/// Widest gap, in text heights, between glyphs of one word delivered as separate runs.
const GLUE_GAP: f32 = 0.2;
/// Most two glyphs of one word may seem to overlap, in text heights.
const GLUE_OVERLAP: f32 = 0.15;

/// Whether two touching runs look like pieces of one word rather than two words set tight:
/// a single glyph, or a cut next to a separator or digit (`A-101-` + `DR-B2`). Two whole
/// words of letters (`LTHW` `PHX`, `WATER` `TANK` in a tightly set room name) stay apart.
fn fragments(left: &str, right: &str) -> bool {
    let single = |t: &str| t.chars().nth(1).is_none();
    let letter = |c: Option<char>| c.is_some_and(char::is_alphabetic);
    single(left) || single(right) || !letter(left.chars().last()) || !letter(right.chars().next())
}

/// Joins touching words from different runs into one: an engine that does not group glyphs
/// placed one by one gives `A`,`-`,`1`,... for `A-101-DR-B2`. Words cut by whitespace inside
/// one run stay apart.
fn glue(words: Vec<Word>, lines: Vec<Vec<usize>>) -> (Vec<Word>, Vec<Vec<usize>>) {
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    let mut out_lines = Vec::with_capacity(lines.len());
    for line in lines {
        let mut glued: Vec<usize> = Vec::with_capacity(line.len());
        for k in line {
            let w = &words[k];
            let joins = glued.last().map(|&g| &out[g]).is_some_and(|prev: &Word| {
                let gap = w.bbox.x0 - prev.bbox.x1;
                let h = prev.height().min(w.height());
                prev.run != w.run
                    && fragments(&prev.text, &w.text)
                    && same_strand(prev, w)
                    && gap <= GLUE_GAP * h
                    && gap >= -GLUE_OVERLAP * h
            });
            match glued.last() {
                Some(&g) if joins => {
                    let prev = &mut out[g];
                    prev.text.push_str(&w.text);
                    prev.bbox = prev.bbox.union(w.bbox);
                    prev.run = w.run;
                }
                _ => {
                    glued.push(out.len());
                    out.push(w.clone());
                }
            }
        }
        out_lines.push(glued);
    }
    (out, out_lines)
}

/// The words of a page and its lines (indices into the words, left to right; lines top to
/// bottom).
pub(crate) fn layout(runs: &[TextRun]) -> (Vec<Word>, Vec<Vec<usize>>) {
    let words = split(runs);
    let lines = lines(&words);
    glue(words, lines)
}

struct OpenLine {
    center_y: f32,
    height: f32,
    words: Vec<usize>,
}

/// Groups words into lines, each ordered left to right by centre; lines come top to bottom.
/// Words of very different heights at the same level are different lines: a tag is written
/// in one size of text.
pub(crate) fn lines(words: &[Word]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by(|&a, &b| words[a].center_y().total_cmp(&words[b].center_y()));
    let mut done: Vec<OpenLine> = Vec::new();
    let mut open: Vec<OpenLine> = Vec::new();
    for i in order {
        let w = &words[i];
        // Words arrive by increasing centre, so a line this word is already below stays closed.
        let (still, closed): (Vec<_>, Vec<_>) = open
            .into_iter()
            .partition(|l| w.center_y() - l.center_y <= SAME_LINE * l.height);
        done.extend(closed);
        open = still;
        let best = open
            .iter_mut()
            .filter(|l| {
                let (lo, hi) = (l.height.min(w.height()), l.height.max(w.height()));
                hi / lo <= HEIGHT_RATIO && (w.center_y() - l.center_y).abs() <= SAME_LINE * lo
            })
            .min_by(|a, b| {
                (w.center_y() - a.center_y)
                    .abs()
                    .total_cmp(&(w.center_y() - b.center_y).abs())
            });
        match best {
            Some(line) => line.words.push(i),
            None => open.push(OpenLine {
                center_y: w.center_y(),
                height: w.height(),
                words: vec![i],
            }),
        }
    }
    done.extend(open);
    done.sort_by(|a, b| a.center_y.total_cmp(&b.center_y));
    done.into_iter()
        .map(|mut l| {
            l.words
                .sort_by(|&a, &b| words[a].center_x().total_cmp(&words[b].center_x()));
            l.words
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run whose box is corner to corner (the testkit's, shared by the modules' tests).
    pub(crate) use drawings_testkit::text_layer::run;

    #[test]
    fn a_run_with_spaces_splits_into_words_sharing_its_box_by_character() {
        let w = split(&[run("A B2 005 BB", 0.0, 0.0, 110.0, 10.0)]);
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["A", "B2", "005", "BB"]);
        assert_eq!((w[1].bbox.x0, w[1].bbox.x1), (20.0, 40.0));
        assert_eq!((w[3].bbox.x0, w[3].bbox.x1), (90.0, 110.0));
    }

    #[test]
    fn runs_without_height_are_ignored() {
        assert!(split(&[run("A", 0.0, 5.0, 10.0, 5.0), run("B", f32::NAN, 0.0, 1.0, 1.0)]).is_empty());
    }

    #[test]
    fn words_at_one_level_form_a_line_ordered_left_to_right() {
        let w = split(&[
            run("BB", 50.0, 0.2, 60.0, 10.2),
            run("A", 0.0, 0.0, 8.0, 10.0),
            run("X", 0.0, 30.0, 8.0, 40.0),
        ]);
        assert_eq!(lines(&w), vec![vec![1, 0], vec![2]]);
    }

    #[test]
    fn much_larger_text_at_the_same_level_is_another_line() {
        let w = split(&[run("A", 0.0, 0.0, 8.0, 10.0), run("TITLE", 20.0, -10.0, 120.0, 20.0)]);
        assert_eq!(lines(&w).len(), 2);
    }

    fn texts(words: &[Word], line: &[usize]) -> Vec<String> {
        line.iter().map(|&k| words[k].text.clone()).collect()
    }

    #[test]
    fn glyphs_delivered_one_run_each_are_glued_into_words() {
        let glyphs = "A-101".chars().enumerate().map(|(i, c)| {
            let x = 4.0 * i as f32;
            run(&c.to_string(), x, 0.0, x + 4.0, 8.0)
        });
        let mut runs: Vec<TextRun> = glyphs.collect();
        runs.push(run("B2", 24.0, 0.0, 32.0, 8.0));
        let (w, l) = layout(&runs);
        assert_eq!(texts(&w, &l[0]), ["A-101", "B2"]);
    }

    #[test]
    fn two_whole_words_set_tight_in_separate_runs_stay_apart() {
        // From the real drawing: room names whose words are 1.4 pt apart in 7.2 pt lettering.
        let (w, l) = layout(&[
            run("LTHW", 693.2, 360.2, 708.3, 367.5),
            run("PHX", 709.7, 360.2, 720.8, 367.5),
        ]);
        assert_eq!(texts(&w, &l[0]), ["LTHW", "PHX"]);
        let (w, l) = layout(&[run("A-101-", 0.0, 0.0, 24.0, 8.0), run("DR", 24.2, 0.0, 32.0, 8.0)]);
        assert_eq!(texts(&w, &l[0]), ["A-101-DR"]);
    }

    #[test]
    fn words_of_one_run_are_never_glued() {
        let (w, l) = layout(&[run("A B", 0.0, 0.0, 3.0, 8.0)]);
        assert_eq!(texts(&w, &l[0]), ["A", "B"]);
    }
}
