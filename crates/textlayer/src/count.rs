//! Counting devices on the plan: each instance of a legend-defined tag, and each device
//! address or id. Legend and schedule rows themselves are not instances; neither is a tag
//! inside a sentence (a note that says "all P5 receptacles shall ..."). Labels printed over
//! one another at one spot (CAD often stacks two or three copies) are one instance.

use crate::address::{self, Address};
use crate::grid::Grid;
use crate::legend::{self, LegendRow};
use crate::vocabulary::{Meaning, Vocabulary};
use crate::words::Word;
use drawings_core::ports::TagLabel;
use drawings_core::{BBox, ComponentType};
use std::collections::{HashMap, HashSet};

/// Words on either side, within this many text heights, that make a label part of a phrase.
const PHRASE_GAP: f32 = 0.8;
/// A label with this many neighbours in its phrase is prose or a table row, not a plan label.
const MAX_PHRASE: usize = 3;
/// Two labels of one tag closer than this (in text heights, centre to centre) are one.
const STACKED: f32 = 0.6;
/// How far from an address a type code may be written, in text heights.
const CODE_REACH: f32 = 3.0;
/// Grid cells for stacked copies and type codes, in points: about a label's size.
const STACK_CELL: f32 = 4.0;
const CODE_CELL: f32 = 16.0;

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
fn phrase_len(words: &[Word], line: &[usize], at: usize) -> usize {
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

/// Two address labels one above the other at one symbol (a dual-address module).
fn one_above_the_other(a: BBox, b: BBox) -> bool {
    let ((ax, ay), (bx, by)) = (a.center(), b.center());
    (ax - bx).abs() <= 0.5 * a.width().min(b.width()) && (ay - by).abs() <= 1.6 * a.height().max(b.height())
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
) -> (Vec<Instance>, Vec<TagLabel>) {
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
    (found, undefined)
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

/// Addresses and device ids on the page, each once; two addresses stacked at one symbol are
/// one device (a dual-address module), listed under both. The type comes, most specific
/// first, from a table row that describes the address (`L1D001 PHOTO SMOKE DETECTOR`, in a
/// circuit table or riser), from the label itself (`L1M001`, `CAM-01`), or from a type code
/// beside the plan label. Words for which `taken` says yes are already another device's.
pub(crate) fn addressed(
    words: &[Word],
    lines: &[Vec<usize>],
    taken: &dyn Fn(usize) -> bool,
    vocabulary: &Vocabulary,
) -> Vec<Instance> {
    // Every address once: its box (the plan label's, when there is one), its described type,
    // and whether that box is a plan label.
    let mut seen: Vec<(Address, BBox, Option<Meaning>, bool)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in lines {
        for (at, &k) in line.iter().enumerate() {
            if taken(k) {
                continue;
            }
            let w = &words[k];
            let Some(a) = address::parse(&w.text).or_else(|| joined_address(words, line, at)) else {
                continue;
            };
            let described = row_description(words, line, at).and_then(|d| vocabulary.classify(&d));
            let on_plan = described.is_none() && phrase_len(words, line, at) < MAX_PHRASE;
            match index.get(&a.id) {
                Some(&i) => {
                    let entry = &mut seen[i];
                    // The plan label is where the device is; a table row only describes it.
                    if on_plan && !entry.3 {
                        entry.1 = w.bbox;
                        entry.3 = true;
                    }
                    entry.2 = entry.2.take().or(described);
                }
                None => {
                    index.insert(a.id.clone(), seen.len());
                    seen.push((a, w.bbox, described, on_plan));
                }
            }
        }
    }
    let mut codes: Grid<(ComponentType, &'static str)> = Grid::new(CODE_CELL);
    for w in words {
        if let Some(code) = address::type_code(&w.text) {
            codes.insert(w.bbox, code);
        }
    }
    let mut out: Vec<Instance> = Vec::new();
    let mut placed: Grid<usize> = Grid::new(CODE_CELL);
    for (a, bbox, described, _) in seen {
        let code = a.kind.or_else(|| nearby_code(&codes, bbox));
        let (kind, system, evidence, confidence) = match (&described, code) {
            (Some(m), _) => (
                m.kind,
                m.system.clone(),
                format!("address: {} ({}); described as {}", a.id, a.grammar, m.rule),
                0.85,
            ),
            (None, Some((k, s))) if a.kind.is_some() => {
                (k, s.to_owned(), format!("address: {} ({})", a.id, a.grammar), 0.8)
            }
            (None, Some((k, s))) => (
                k,
                s.to_owned(),
                format!("address: {} ({}); type code beside it: {}", a.id, a.grammar, k.as_str()),
                0.7,
            ),
            (None, None) => (
                ComponentType::Other,
                "fire_alarm".to_owned(),
                format!("address: {} ({}); no type given beside it", a.id, a.grammar),
                0.5,
            ),
        };
        // A second address right on top of the first names the same device.
        let reach = 1.6 * bbox.height().max(bbox.width());
        let twin = placed
            .near(bbox, reach)
            .find(|(b, i)| one_above_the_other(*b, bbox) && out[*i].id.len() < 40)
            .map(|(_, i)| *i);
        if let Some(i) = twin {
            let prev = &mut out[i];
            prev.id = format!("{}/{}", prev.id, a.id);
            prev.evidence = format!("{}; second address {}", prev.evidence, a.id);
            continue;
        }
        placed.insert(bbox, out.len());
        out.push(Instance {
            id: a.id,
            tag: None,
            kind,
            system,
            bbox,
            confidence,
            evidence,
        });
    }
    out
}

/// An address written as two words, read at its second: `NAC` `1-3` (a circuit prefix and its
/// number) or `L1` `D023` (the loop and the device).
fn joined_address(words: &[Word], line: &[usize], at: usize) -> Option<Address> {
    let prev = &words[*line.get(at.checked_sub(1)?)?];
    let w = &words[line[at]];
    if w.bbox.x0 - prev.bbox.x1 > PHRASE_GAP * w.height().max(prev.height()) {
        return None;
    }
    let prefix = prev.text.to_ascii_uppercase();
    if address::SPLIT_PREFIXES.contains(&prefix.as_str()) {
        return address::parse(&format!("{prefix}{}", w.text));
    }
    (address::is_loop(&prefix) && address::is_device(&w.text))
        .then(|| address::parse(&format!("{prefix}{}", w.text)))
        .flatten()
}

/// The words after `line[at]` up to the next address on the line: a table row's description.
fn row_description(words: &[Word], line: &[usize], at: usize) -> Option<String> {
    let rest: Vec<&str> = line[at + 1..]
        .iter()
        .map(|&k| words[k].text.as_str())
        .take_while(|t| address::parse(t).is_none())
        .take(12)
        .collect();
    (!rest.is_empty()).then(|| rest.join(" "))
}

/// The type code written closest to an address, within reach.
fn nearby_code(codes: &Grid<(ComponentType, &'static str)>, at: BBox) -> Option<(ComponentType, &'static str)> {
    let reach = CODE_REACH * at.height() + at.width() / 2.0;
    let (cx, cy) = at.center();
    codes
        .near(at, reach)
        .filter(|(b, _)| *b != at)
        .map(|(b, code)| {
            let (x, y) = b.center();
            (((x - cx).powi(2) + (y - cy).powi(2)).sqrt(), *code)
        })
        .filter(|(d, _)| *d <= reach)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
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
        let legend = rows(&words, &lines, &Vocabulary::default());
        let (found, undefined) = tag_instances(&words, &lines, &legend, 1, &|_| false);
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
        let legend = rows(&words, &lines, &Vocabulary::default());
        assert!(tag_instances(&words, &lines, &legend, 1, &|_| false).0.is_empty());
    }

    #[test]
    fn an_address_described_in_a_circuit_table_takes_the_table_type_and_its_plan_position() {
        let runs = [
            run("L1D007", 300.0, 300.0, 325.0, 306.0),
            run("L1D007", 10.0, 700.0, 35.0, 706.0),
            run("PHOTO", 50.0, 700.0, 70.0, 706.0),
            run("SMOKE", 72.0, 700.0, 92.0, 706.0),
            run("DETECTOR", 94.0, 700.0, 130.0, 706.0),
            run("CORRIDOR", 200.0, 700.0, 240.0, 706.0),
        ];
        let (words, lines) = layout(&runs);
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ComponentType::SmokeDetector);
        assert_eq!(found[0].bbox.x0, 300.0);
        assert!(
            found[0].evidence.contains("described as smoke detector"),
            "{}",
            found[0].evidence
        );
    }

    #[test]
    fn a_circuit_prefix_written_apart_joins_its_number() {
        let runs = [
            run("NAC", 100.0, 100.0, 112.0, 106.0),
            run("1-3", 114.0, 100.0, 124.0, 106.0),
            run("1-3", 400.0, 100.0, 410.0, 106.0),
        ];
        let (words, lines) = layout(&runs);
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default());
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["N1-3"]);
    }

    #[test]
    fn a_loop_and_a_device_written_apart_are_one_address() {
        let runs = [
            run("L2", 100.0, 100.0, 108.0, 106.0),
            run("M014", 110.0, 100.0, 126.0, 106.0),
        ];
        let (words, lines) = layout(&runs);
        let ids: Vec<String> = addressed(&words, &lines, &|_| false, &Vocabulary::default())
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["L2M014"]);
    }

    #[test]
    fn an_address_repeated_on_the_page_is_one_device_typed_by_the_code_beside_it() {
        let runs = [
            run("SD", 100.0, 100.0, 108.0, 106.0),
            run("L1D023", 100.0, 108.0, 125.0, 114.0),
            run("L1D023", 400.0, 600.0, 425.0, 606.0),
            run("L1M004", 200.0, 100.0, 225.0, 106.0),
            run("L1M005", 200.0, 107.0, 225.0, 113.0),
        ];
        let (words, lines) = layout(&runs);
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default());
        let kinds: std::collections::BTreeMap<&str, ComponentType> =
            found.iter().map(|f| (f.id.as_str(), f.kind)).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert_eq!(kinds["L1D023"], ComponentType::SmokeDetector);
        assert_eq!(kinds["L1M004/L1M005"], ComponentType::MonitorModule);
    }
}
