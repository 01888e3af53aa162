//! The text layer as the prompt reads it: runs grouped into phrases (runs side by side on a
//! line), and which phrases form the page's legend (a block under a legend, key, symbol,
//! schedule or keynote heading).

use super::re;
use drawings_core::BBox;
use drawings_core::ports::{PageText, TextLine, TextRun};
use regex::Regex;
use std::sync::LazyLock;

/// A legend heading: a short line naming a legend, symbols, a schedule or keynotes (`LEGEND`,
/// `SECURITY LEGEND`, `Legend of commonly used symbols`, `SYMBOL KEY`, `KEY TO SYMBOLS`,
/// `LUMINAIRE SCHEDULE`, `DOOR SCHEDULE`, `KEYNOTES`), or `KEY` alone. Not `KEY PLAN` (a
/// location plan) nor `KEY SWITCH` (a device). Schedules count because their rows teach the
/// sheet's vocabulary the way a legend does (tag, description).
pub(super) static LEGEND_HEADING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:[A-Z&/ -]*\b(?:LEGEND|SYMBOLS?|SCHEDULE|KEYNOTES?)\b[A-Z&/ -]*|KEY)\s*:?$"));
/// Headings that end a legend block below it.
pub(super) static OTHER_HEADING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:GENERAL )?(?:NOTES?|REVISIONS?|DRAWING TITLE|TITLE|ABBREVIATIONS)\s*:?$"));

/// A phrase of the text layer: runs side by side on one line, joined by spaces, left to
/// right, with each run's span. Lines span the whole sheet, so a room label and the plan
/// text at its height are one line; a wide gap splits them into phrases.
pub(super) struct Phrase {
    pub(super) text: String,
    spans: Vec<(usize, usize, BBox)>,
    pub(super) bbox: BBox,
}

/// Widest gap between the runs of one phrase, in text heights (a tag box leaves about one).
const MAX_PHRASE_GAP: f32 = 2.0;

impl Phrase {
    fn new(run: &TextRun, words: String) -> Phrase {
        Phrase {
            spans: vec![(0, words.len(), run.bbox)],
            text: words,
            bbox: run.bbox,
        }
    }

    fn push(&mut self, run: &TextRun, words: &str) {
        self.text.push(' ');
        let start = self.text.len();
        self.text.push_str(words);
        self.spans.push((start, self.text.len(), run.bbox));
        self.bbox = self.bbox.union(run.bbox);
    }

    /// The union of the runs under `start..end` of the phrase's text.
    pub(super) fn bbox_of(&self, start: usize, end: usize) -> BBox {
        self.spans
            .iter()
            .filter(|(s, e, _)| *s < end && *e > start)
            .map(|(_, _, b)| *b)
            .reduce(BBox::union)
            .unwrap_or(self.bbox)
    }
}

/// The page's phrases in reading order. Lines are the engine's own when it stored them, else
/// runs grouped the way the PDF engine does it (a run joins a line when its centre is inside
/// the line's first run).
pub(super) fn phrases(text: &PageText) -> Vec<Phrase> {
    let lines: Vec<Vec<&TextRun>> = if text.lines.is_empty() {
        let mut runs: Vec<&TextRun> = text.runs.iter().collect();
        runs.sort_by(|a, b| {
            a.bbox
                .center()
                .1
                .total_cmp(&b.bbox.center().1)
                .then(a.bbox.x0.total_cmp(&b.bbox.x0))
        });
        let mut lines: Vec<(BBox, Vec<&TextRun>)> = Vec::new();
        for run in runs {
            let y = run.bbox.center().1;
            match lines.last_mut() {
                Some((first, members)) if y >= first.y0 && y <= first.y1 => members.push(run),
                _ => lines.push((run.bbox, vec![run])),
            }
        }
        lines.into_iter().map(|(_, members)| members).collect()
    } else {
        let line_runs = |l: &TextLine| {
            let start = l.first_run as usize;
            let runs = text.runs.get(start..start.saturating_add(l.run_count as usize));
            runs.unwrap_or_default().iter().collect()
        };
        text.lines.iter().map(line_runs).collect()
    };
    let mut phrases = Vec::new();
    for mut line in lines {
        line.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        let mut current: Option<(Phrase, BBox)> = None;
        for run in line {
            let words = run.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if words.is_empty() {
                continue;
            }
            match current.as_mut() {
                Some((phrase, last))
                    if run.bbox.x0 - last.x1 <= MAX_PHRASE_GAP * last.height().min(run.bbox.height()) =>
                {
                    phrase.push(run, &words);
                    *last = run.bbox;
                }
                _ => phrases.extend(current.replace((Phrase::new(run, words), run.bbox)).map(|(p, _)| p)),
            }
        }
        phrases.extend(current.map(|(p, _)| p));
    }
    phrases
}

/// Whether a phrase heads a legend.
pub(super) fn is_legend_heading(phrase: &str) -> bool {
    phrase.split(' ').count() <= 6 && LEGEND_HEADING.is_match(phrase)
}

/// Which phrases are the legend's: below a heading, in a column from its left edge, until
/// another heading, a wide vertical gap or a third of the page down (a legend is a block, not
/// the whole sheet).
pub(super) fn legend_mask(phrases: &[Phrase], text: &PageText) -> Vec<bool> {
    let (w, h) = (text.width_pt.max(0.0), text.height_pt.max(0.0));
    let mut picked = vec![false; phrases.len()];
    for (k, head) in phrases.iter().enumerate().filter(|(_, p)| is_legend_heading(&p.text)) {
        picked[k] = true;
        let max_gap = 6.0 * head.bbox.height();
        let mut bottom = head.bbox.y1;
        for (n, p) in phrases.iter().enumerate().skip(k + 1) {
            let in_column = w == 0.0 || (p.bbox.x0 >= head.bbox.x0 - w * 0.05 && p.bbox.x0 <= head.bbox.x0 + w * 0.3);
            if !in_column || p.bbox.y0 < head.bbox.y0 {
                continue;
            }
            let too_far = p.bbox.y0 - bottom > max_gap || (h > 0.0 && p.bbox.y0 > head.bbox.y1 + h / 3.0);
            if too_far || OTHER_HEADING.is_match(&p.text) {
                break;
            }
            picked[n] = true;
            bottom = bottom.max(p.bbox.y1);
        }
    }
    picked
}
