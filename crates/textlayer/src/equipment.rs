//! Equipment tags: a code from the schemes' `equipment` (`SRA`, `RFP`) with a level and a
//! point number, written beside it (`SRA B2 01`) or in a box under it, as the CSEC legend of
//! the 103P3 sheet draws them (`?? XX`: floor level, point reference).

use crate::budget::{Deadline, PastDeadline};
use crate::grid::Grid;
use crate::scheme::TagSchemes;
use crate::tags::{Found, LEVEL, Rule};
use crate::words::{Word, same_strand};
use regex::Regex;
use std::sync::LazyLock;

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    // A literal checked by the tests; failing here is a programming error.
    Regex::new(r"^\d{2,3}$").unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Widest gap between the level and the number, in text heights: the box draws a bullet
/// between them (`B2 ▪ 01`).
const MAX_GAP: f32 = 1.2;
/// How far below the code the level may start, in the code's height; boxes stack tightly,
/// so glyph boxes may overlap a little.
const STACK_BELOW: (f32, f32) = (-0.4, 0.8);

const CONFIDENCE: f32 = 0.85;

/// `level` followed by `number` in the same lettering, close enough to be one reference.
fn reference(words: &[Word], at: &Grid<usize>, level: usize, used: &[bool]) -> Option<usize> {
    let l = &words[level];
    let h = l.height();
    // A number of three digits right after the gap: its centre is within this of the level's.
    let reach = l.bbox.width() / 2.0 + (MAX_GAP + 3.0) * h;
    nearby(at, l, reach).into_iter().find(|&n| {
        let w = &words[n];
        let gap = w.bbox.x0 - l.bbox.x1;
        !used[n] && NUMBER.is_match(&w.text) && same_strand(l, w) && gap >= -0.2 * h && gap <= MAX_GAP * h
    })
}

/// The words whose centres are within `reach` of `word`'s, in page order (the order a scan of
/// every word would meet them, so the result does not depend on the index).
fn nearby(at: &Grid<usize>, word: &Word, reach: f32) -> Vec<usize> {
    let mut found: Vec<usize> = at.near(word.bbox, reach).map(|(_, n)| *n).collect();
    found.sort_unstable();
    found
}

/// A cheap first look: whether a word is close enough to `code` to start its reference, so
/// the number is only searched for beside a few words.
fn near(code: &Word, word: &Word) -> bool {
    let h = code.height();
    (word.center_y() - code.center_y()).abs() <= 2.0 * h
        && (word.bbox.x0 - code.center_x()).abs() <= 3.0 * h + code.bbox.width()
}

/// Whether the reference starting at `level` sits right under `code`, centred on it, or
/// right of it on the same line.
fn placed(code: &Word, level: &Word, number: &Word) -> bool {
    let h = code.height();
    let beside = same_strand(code, level) && (0.0..=MAX_GAP * h).contains(&(level.bbox.x0 - code.bbox.x1));
    let gap = level.bbox.y0 - code.bbox.y1;
    let centre = (level.bbox.x0 + number.bbox.x1) / 2.0;
    let under = (STACK_BELOW.0 * h..=STACK_BELOW.1 * h).contains(&gap)
        && (centre - code.center_x()).abs() <= code.bbox.width().max(h) / 2.0;
    beside || under
}

/// Equipment tags whose code is on this line. `used` marks words already part of a tag;
/// matched words are marked.
pub(crate) fn equipment_tags(
    words: &[Word],
    at: &Grid<usize>,
    line: &[usize],
    schemes: &TagSchemes,
    used: &mut [bool],
    deadline: Deadline,
) -> Result<Vec<Found>, PastDeadline> {
    let mut found = Vec::new();
    for &k in line {
        let code = &words[k];
        let Some(meaning) = schemes.equipment(&code.text).filter(|_| !used[k]) else {
            continue;
        };
        // Every word near the code is a candidate level, every word near that a number: with
        // thousands of codes at one spot, each looks at all the others.
        deadline.check()?;
        // `near` reaches 3 heights past the code's centre and its width, and 2 heights down.
        let reach = 3.0 * code.height() + code.bbox.width() * 1.5;
        let parts = nearby(at, code, reach)
            .into_iter()
            .filter(|&n| !used[n] && n != k && near(code, &words[n]) && LEVEL.is_match(&words[n].text))
            .find_map(|level| {
                let number = reference(words, at, level, used)?;
                placed(code, &words[level], &words[number]).then_some((level, number))
            });
        let Some((level, number)) = parts else {
            continue;
        };
        for n in [k, level, number] {
            used[n] = true;
        }
        found.push(Found {
            id: format!("{} {} {}", code.text, words[level].text, words[number].text),
            meaning: meaning.clone(),
            bbox: code.bbox.union(words[level].bbox).union(words[number].bbox),
            confidence: CONFIDENCE,
            reason: "equipment tag: an equipment code with its level and point number",
            rule: Rule::Equipment,
            word: None,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    fn ids(runs: &[drawings_core::ports::TextRun]) -> Vec<String> {
        let (w, lines) = layout(runs);
        let mut used = vec![false; w.len()];
        let schemes = TagSchemes::default();
        let at = crate::grid::words(&w);
        lines
            .iter()
            .flat_map(|l| equipment_tags(&w, &at, l, &schemes, &mut used, Deadline::none()).unwrap())
            .map(|f| f.id)
            .collect()
    }

    #[test]
    fn the_number_pattern_compiles() {
        LazyLock::force(&NUMBER);
    }

    /// From the real drawing: the rack and the field panel in the comms room.
    #[test]
    fn an_equipment_code_over_its_level_and_number_is_a_tag() {
        let runs = [
            run("SRA", 449.9, 223.1, 455.9, 227.1),
            run("B2", 448.1, 226.2, 451.7, 230.3),
            run("01", 454.5, 226.2, 457.7, 230.3),
            run("RFP", 450.0, 231.4, 455.8, 235.4),
            run("B2", 448.1, 234.5, 451.7, 238.5),
            run("02", 454.5, 234.5, 457.7, 238.5),
        ];
        assert_eq!(ids(&runs), ["SRA B2 01", "RFP B2 02"]);
    }

    #[test]
    fn an_equipment_code_beside_its_level_and_number_is_a_tag() {
        assert_eq!(ids(&[run("LFP B1 03", 100.0, 100.0, 136.0, 106.0)]), ["LFP B1 03"]);
    }

    #[test]
    fn the_legend_placeholder_and_a_code_without_a_reference_are_not_tags() {
        assert!(ids(&[run("SRA ?? XX", 100.0, 100.0, 136.0, 106.0)]).is_empty());
        assert!(
            ids(&[
                run("SRA", 100.0, 100.0, 112.0, 106.0),
                run("B2 01", 300.0, 100.0, 320.0, 106.0)
            ])
            .is_empty()
        );
        assert!(ids(&[run("ABC B2 01", 100.0, 100.0, 136.0, 106.0)]).is_empty());
    }
}
