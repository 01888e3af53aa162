//! Counting devices on the plan: each instance of a legend-defined tag, and each device
//! address or id. Legend and schedule rows themselves are not instances; neither is a tag
//! inside a sentence (a note that says "all P5 receptacles shall ..."). Labels printed over
//! one another at one spot (CAD often stacks two or three copies) are one instance.

use crate::address::{self, Address};
use crate::legend::{self, LegendRow};
use crate::vocabulary::{Meaning, Vocabulary};
use crate::words::Word;
use drawings_core::ports::TagLabel;
use drawings_core::{BBox, ComponentType};
use std::collections::HashMap;

/// Words on either side, within this many text heights, that make a label part of a phrase.
const PHRASE_GAP: f32 = 0.8;
/// A label with this many neighbours in its phrase is prose or a table row, not a plan label.
const MAX_PHRASE: usize = 3;
/// Two labels of one tag closer than this (in text heights, centre to centre) are one.
const STACKED: f32 = 0.6;
/// How far from an address a type code may be written, in text heights.
const CODE_REACH: f32 = 3.0;

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

fn inside(b: BBox, area: BBox, pad: f32) -> bool {
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

/// The plan label `text` is for `tag`: the tag alone, or followed by a circuit (`P5/2A-12`).
fn labels_tag(text: &str, tag: &str) -> bool {
    let text = text.trim_end_matches([',', ';', '.']);
    text == tag
        || text
            .strip_prefix(tag)
            .is_some_and(|rest| rest.starts_with(['/', ',', ':', '(']))
}

/// Instances of the legend's tags on the plan, page `page` (1-based), numbered per tag; and
/// the tag-shaped plan labels no legend row of this page defines (another sheet's may).
pub(crate) fn tag_instances(
    words: &[Word],
    lines: &[Vec<usize>],
    rows: &[LegendRow],
    page: u32,
) -> (Vec<Instance>, Vec<TagLabel>) {
    let mut by_tag: HashMap<&str, &LegendRow> = HashMap::new();
    for row in rows {
        // The first definition of a tag on the page wins; a later one is usually its repeat.
        by_tag.entry(row.tag.as_str()).or_insert(row);
    }
    let mut found: Vec<Instance> = Vec::new();
    let mut undefined: Vec<TagLabel> = Vec::new();
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    for line in lines {
        for (at, &k) in line.iter().enumerate() {
            let w = &words[k];
            let defined = by_tag.iter().find(|(tag, _)| labels_tag(&w.text, tag));
            let label = w.text.trim_end_matches([',', ';', '.', ':']);
            if defined.is_none() && !legend::plan_tag(label) {
                continue;
            }
            if rows.iter().any(|r| inside(w.bbox, r.bbox, 0.3 * w.height()))
                || phrase_len(words, line, at) >= MAX_PHRASE
                || beside_a_word(words, line, at)
            {
                continue;
            }
            let Some((&tag, row)) = defined else {
                if !undefined.iter().any(|u| u.tag == label && stacked(u.bbox, w.bbox)) {
                    undefined.push(TagLabel {
                        tag: label.to_owned(),
                        bbox: w.bbox,
                    });
                }
                continue;
            };
            if found
                .iter()
                .any(|f| f.tag.as_deref() == Some(tag) && stacked(f.bbox, w.bbox))
            {
                continue;
            }
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

/// Addresses and device ids on the page, each once; two addresses stacked at one symbol are
/// one device (a dual-address module), listed under both. The type comes, most specific
/// first, from a table row that describes the address (`L1D001 PHOTO SMOKE DETECTOR`, in a
/// circuit table or riser), from the label itself (`L1M001`, `CAM-01`), or from a type code
/// beside the plan label.
pub(crate) fn addressed(
    words: &[Word],
    lines: &[Vec<usize>],
    taken: &[BBox],
    vocabulary: &Vocabulary,
) -> Vec<Instance> {
    // Every occurrence: (address, box, described type), first occurrence first.
    let mut seen: Vec<(Address, BBox, Option<Meaning>, bool)> = Vec::new();
    for line in lines {
        for (at, &k) in line.iter().enumerate() {
            let w = &words[k];
            if taken.iter().any(|t| inside(w.bbox, *t, 0.0)) {
                continue;
            }
            let Some(a) = address::parse(&w.text) else { continue };
            let described = row_description(words, line, at).and_then(|d| vocabulary.classify(&d));
            let on_plan = described.is_none() && phrase_len(words, line, at) < MAX_PHRASE;
            match seen.iter_mut().find(|(f, ..)| f.id == a.id) {
                Some(entry) => {
                    // The plan label is where the device is; a table row only describes it.
                    if on_plan && !entry.3 {
                        entry.1 = w.bbox;
                        entry.3 = true;
                    }
                    entry.2 = entry.2.take().or(described);
                }
                None => seen.push((a, w.bbox, described, on_plan)),
            }
        }
    }
    let mut out: Vec<Instance> = Vec::new();
    for (a, bbox, described, _) in seen {
        let code = a.kind.or_else(|| nearby_code(words, bbox));
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
        if let Some(prev) = out
            .iter_mut()
            .find(|p| one_above_the_other(p.bbox, bbox) && p.id.len() < 40)
        {
            prev.id = format!("{}/{}", prev.id, a.id);
            prev.evidence = format!("{}; second address {}", prev.evidence, a.id);
            continue;
        }
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
fn nearby_code(words: &[Word], at: BBox) -> Option<(ComponentType, &'static str)> {
    let reach = CODE_REACH * at.height();
    let (cx, cy) = at.center();
    words
        .iter()
        .filter(|w| w.bbox != at)
        .filter_map(|w| {
            let (x, y) = w.bbox.center();
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            (d <= reach + at.width() / 2.0).then(|| address::type_code(&w.text).map(|c| (d, c)))?
        })
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
        ];
        let (words, lines) = layout(&runs);
        let legend = rows(&words, &lines, &Vocabulary::default());
        let (found, undefined) = tag_instances(&words, &lines, &legend, 1);
        assert!(undefined.is_empty());
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["L4:1:1", "L4:1:2", "L4:1:3"]);
        assert!(found.iter().all(|f| f.kind == ComponentType::Luminaire));
        assert!(found[0].evidence.starts_with("legend: L4 = LED TROFFER"));
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
        assert!(tag_instances(&words, &lines, &legend, 1).0.is_empty());
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
        let found = addressed(&words, &lines, &[], &Vocabulary::default());
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
    fn an_address_repeated_on_the_page_is_one_device_typed_by_the_code_beside_it() {
        let runs = [
            run("SD", 100.0, 100.0, 108.0, 106.0),
            run("L1D023", 100.0, 108.0, 125.0, 114.0),
            run("L1D023", 400.0, 600.0, 425.0, 606.0),
            run("L1M004", 200.0, 100.0, 225.0, 106.0),
            run("L1M005", 200.0, 107.0, 225.0, 113.0),
        ];
        let (words, lines) = layout(&runs);
        let found = addressed(&words, &lines, &[], &Vocabulary::default());
        let kinds: std::collections::BTreeMap<&str, ComponentType> =
            found.iter().map(|f| (f.id.as_str(), f.kind)).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert_eq!(kinds["L1D023"], ComponentType::SmokeDetector);
        assert_eq!(kinds["L1M004/L1M005"], ComponentType::MonitorModule);
    }
}
