//! Counting devices on the plan: each instance of a legend-defined tag (addresses and ids are
//! `addressed.rs`), and the grid marks no tag is. Legend and schedule rows themselves are not
//! instances; neither is a tag
//! inside a sentence (a note that says "all P5 receptacles shall ..."). Labels printed over
//! one another at one spot (CAD often stacks two or three copies) are one instance.

use crate::budget::{Deadline, PastDeadline};
use crate::grid::Grid;
use crate::legend::{self, LegendRow};
use crate::words::Word;
use drawings_core::ports::TagLabel;
use drawings_core::{BBox, ComponentType};
use std::collections::{HashMap, HashSet};

/// Words on either side, within this many text heights, that make a label part of a phrase.
pub(crate) const PHRASE_GAP: f32 = 0.8;
/// A label with this many neighbours in its phrase is prose or a table row, not a plan label.
pub(crate) const MAX_PHRASE: usize = 3;
/// Two labels of one tag closer than this (in text heights, centre to centre) are one.
const STACKED: f32 = 0.6;
/// Grid cells for stacked copies, in points: about a label's size.
const STACK_CELL: f32 = 4.0;

/// One device found on the plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instance {
    pub id: String,
    pub tag: Option<String>,
    pub kind: ComponentType,
    pub system: String,
    pub bbox: BBox,
    pub confidence: f32,
    pub evidence: String,
}

/// Whether a word set right beside the label is a word of text (`FP CEILING`, `2W TO`): a
/// label on a plan stands alone or with a circuit number.
fn beside_a_word(words: &[Word], line: &[usize], at: usize) -> bool {
    let w = &words[line[at]];
    let close = |o: &Word| {
        let gap = if o.bbox.x0 >= w.bbox.x1 {
            o.bbox.x0 - w.bbox.x1
        } else {
            w.bbox.x0 - o.bbox.x1
        };
        gap <= PHRASE_GAP * w.height().max(o.height())
    };
    let wordlike = |o: &Word| o.text.len() >= 2 && o.text.chars().all(char::is_alphabetic);
    [at.checked_sub(1), Some(at + 1)]
        .into_iter()
        .flatten()
        .filter_map(|k| line.get(k).map(|&i| &words[i]))
        .any(|o| close(o) && wordlike(o))
}

/// How many words sit right beside `w` on its line, chained by small gaps.
pub(crate) fn phrase_len(words: &[Word], line: &[usize], at: usize) -> usize {
    let close = |a: &Word, b: &Word| (b.bbox.x0 - a.bbox.x1) <= PHRASE_GAP * a.height().max(b.height());
    let mut n = 0;
    let mut k = at;
    while k > 0 && close(&words[line[k - 1]], &words[line[k]]) {
        n += 1;
        k -= 1;
    }
    let mut k = at;
    while k + 1 < line.len() && close(&words[line[k]], &words[line[k + 1]]) {
        n += 1;
        k += 1;
    }
    n
}

pub(crate) fn inside(b: BBox, area: BBox, pad: f32) -> bool {
    let (x, y) = b.center();
    x >= area.x0 - pad && x <= area.x1 + pad && y >= area.y0 - pad && y <= area.y1 + pad
}

/// Copies of one label printed over one another.
fn stacked(a: BBox, b: BBox) -> bool {
    let h = a.height().max(b.height());
    let ((ax, ay), (bx, by)) = (a.center(), b.center());
    (ax - bx).abs() <= STACKED * h && (ay - by).abs() <= STACKED * h
}

/// The tag a plan label names: the label itself, or what comes before a circuit (`P5/2A-12`).
fn label_tag(text: &str) -> &str {
    // `PB*`: the asterisk marks an existing device to be removed or reused; it is still one.
    let text = text.trim_end_matches([',', ';', '.', ':', '*']);
    let text = text.split(['/', ',', ':', '(']).next().unwrap_or(text);
    // `L4a`: a lowercase letter after the number is the switching leg, not another tag.
    let stem = text.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if stem.len() < text.len() && stem.len() + 2 >= text.len() && stem.ends_with(|c: char| c.is_ascii_digit()) {
        stem
    } else {
        text
    }
}

/// Instances of the legend's tags on the plan, page `page` (1-based), numbered per tag; and
/// the tag-shaped plan labels no legend row of this page defines (another sheet's may).
pub(crate) fn tag_instances(
    words: &[Word],
    lines: &[Vec<usize>],
    rows: &[LegendRow],
    page: u32,
    taken: &dyn Fn(usize) -> bool,
    deadline: Deadline,
) -> Result<(Vec<Instance>, Vec<TagLabel>), PastDeadline> {
    let mut by_tag: HashMap<&str, &LegendRow> = HashMap::new();
    for row in rows {
        // The first definition of a tag on the page wins; a later one is usually its repeat.
        by_tag.entry(row.tag.as_str()).or_insert(row);
    }
    let in_rows: HashSet<usize> = rows.iter().flat_map(|r| r.words.iter().copied()).collect();
    let mut found: Vec<Instance> = Vec::new();
    let mut undefined: Vec<TagLabel> = Vec::new();
    // Labels already taken, by tag, to fold copies printed over one another.
    let mut placed: Grid<&str> = Grid::new(STACK_CELL);
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    for line in lines {
        for (at, &k) in line.iter().enumerate() {
            // The phrase around a label and the stacked copies under it are its neighbours:
            // many at one spot is slow.
            deadline.check()?;
            let w = &words[k];
            let label = label_tag(&w.text);
            let defined = by_tag.get_key_value(label);
            if defined.is_none() && !legend::plan_tag(label) {
                continue;
            }
            if in_rows.contains(&k)
                || taken(k)
                || phrase_len(words, line, at) >= MAX_PHRASE
                || beside_a_word(words, line, at)
            {
                continue;
            }
            let tag = defined.map_or(label, |(tag, _)| *tag);
            if placed
                .near(w.bbox, STACKED * w.height())
                .any(|(b, t)| *t == tag && stacked(*b, w.bbox))
            {
                continue;
            }
            placed.insert(w.bbox, tag);
            let Some((_, row)) = defined else {
                undefined.push(TagLabel {
                    tag: label.to_owned(),
                    bbox: w.bbox,
                });
                continue;
            };
            let n = numbers.entry(tag).or_insert(0);
            *n += 1;
            found.push(Instance {
                id: format!("{tag}:{page}:{n}"),
                tag: Some(tag.to_owned()),
                kind: row.meaning.kind,
                system: row.meaning.system.clone(),
                bbox: w.bbox,
                confidence: if row.headed { 0.85 } else { 0.75 },
                evidence: format!("legend: {tag} = {} ({})", row.description, row.meaning.rule),
            });
        }
    }
    Ok((found, undefined))
}

/// Grid marks: single letters that run in alphabetical order along a line (`A 4000 B 4000 C`)
/// or down a column. A bare-letter tag of a legend (`C` for camera) is never one of them.
pub(crate) fn grid_marks(words: &[Word], lines: &[Vec<usize>]) -> HashSet<usize> {
    let letter = |k: usize| {
        let mut chars = words[k].text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => Some(c),
            _ => None,
        }
    };
    // Runs of three or more letters, each the next after the one before it, in `order`.
    let runs = |order: &[usize]| -> Vec<usize> {
        let letters: Vec<(usize, char)> = order.iter().filter_map(|&k| letter(k).map(|c| (k, c))).collect();
        let mut marks = Vec::new();
        let mut start = 0;
        for end in 1..=letters.len() {
            let continues = end < letters.len() && letters[end].1 as u32 == letters[end - 1].1 as u32 + 1;
            if !continues {
                if end - start >= 3 {
                    marks.extend(letters[start..end].iter().map(|(k, _)| *k));
                }
                start = end;
            }
        }
        marks
    };
    let mut marks: HashSet<usize> = lines.iter().flat_map(|line| runs(line)).collect();
    // Columns: single letters sharing a centre x (to a point), top to bottom.
    let mut columns: HashMap<i64, Vec<usize>> = HashMap::new();
    for (k, w) in words.iter().enumerate() {
        if letter(k).is_some() {
            columns.entry(w.center_x().round() as i64).or_default().push(k);
        }
    }
    for column in columns.values_mut() {
        column.sort_by(|a, b| words[*a].center_y().total_cmp(&words[*b].center_y()));
        marks.extend(runs(column));
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legend::rows;
    use crate::vocabulary::Vocabulary;
    use crate::words::layout;
    use crate::words::tests::run;

    #[test]
    fn each_plan_label_of_a_legend_tag_is_one_instance_and_the_legend_row_is_none() {
        let runs = [
            run("L4", 10.0, 10.0, 20.0, 16.0),
            run("LED", 40.0, 10.0, 55.0, 16.0),
            run("TROFFER", 57.0, 10.0, 90.0, 16.0),
            run("L4", 300.0, 200.0, 310.0, 206.0),
            run("L4", 300.2, 200.1, 310.2, 206.1),
            run("L4", 500.0, 200.0, 510.0, 206.0),
            run("L4/2A-12", 500.0, 400.0, 530.0, 406.0),
            run("L4a", 700.0, 400.0, 712.0, 406.0),
        ];
        let (words, lines) = layout(&runs);
        let legend = rows(&words, &lines, &Vocabulary::default(), Deadline::none()).unwrap();
        let (found, undefined) = tag_instances(&words, &lines, &legend, 1, &|_| false, Deadline::none()).unwrap();
        assert!(undefined.is_empty());
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["L4:1:1", "L4:1:2", "L4:1:3", "L4:1:4"]);
        assert!(found.iter().all(|f| f.kind == ComponentType::Luminaire));
        assert!(found[0].evidence.starts_with("legend: L4 = LED TROFFER"));
    }

    #[test]
    fn letters_in_alphabetical_runs_along_a_line_or_down_a_column_are_grid_marks() {
        let runs = [
            run("A", 10.0, 10.0, 16.0, 18.0),
            run("4000", 60.0, 10.0, 80.0, 18.0),
            run("B", 110.0, 10.0, 116.0, 18.0),
            run("C", 210.0, 10.0, 216.0, 18.0),
            run("C", 500.0, 300.0, 506.0, 306.0),
            run("1", 900.0, 100.0, 906.0, 108.0),
            run("X", 1000.0, 100.0, 1006.0, 108.0),
            run("Y", 1000.0, 200.0, 1006.0, 208.0),
            run("Z", 1000.0, 300.0, 1006.0, 308.0),
        ];
        let (words, lines) = layout(&runs);
        let marks = grid_marks(&words, &lines);
        let mut texts: Vec<&str> = marks.iter().map(|&k| words[k].text.as_str()).collect();
        texts.sort();
        assert_eq!(texts, ["A", "B", "C", "X", "Y", "Z"]);
        assert!(
            !marks.iter().any(|&k| words[k].bbox.x0 == 500.0),
            "a lone C on the plan is no grid mark"
        );
    }

    #[test]
    fn a_tag_inside_a_sentence_is_not_an_instance() {
        let runs = [
            run("P5", 10.0, 10.0, 20.0, 16.0),
            run("RECEPTACLE", 40.0, 10.0, 90.0, 16.0),
            run("ALL", 10.0, 100.0, 25.0, 106.0),
            run("P5", 27.0, 100.0, 37.0, 106.0),
            run("OUTLETS", 39.0, 100.0, 70.0, 106.0),
            run("ARE", 72.0, 100.0, 85.0, 106.0),
        ];
        let (words, lines) = layout(&runs);
        let legend = rows(&words, &lines, &Vocabulary::default(), Deadline::none()).unwrap();
        assert!(
            tag_instances(&words, &lines, &legend, 1, &|_| false, Deadline::none())
                .unwrap()
                .0
                .is_empty()
        );
    }
}
