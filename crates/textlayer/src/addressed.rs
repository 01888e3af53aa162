//! Counting devices named by an address or id: each once, however often it repeats in a
//! circuit table, a riser or on another sheet; two addresses at one symbol are one device.

use crate::address::{self, Address};
use crate::budget::{Deadline, PastDeadline};
use crate::count::{Instance, MAX_PHRASE, PHRASE_GAP, phrase_len};
use crate::grid::Grid;
use crate::vocabulary::{Meaning, Vocabulary};
use crate::words::Word;
use drawings_core::{BBox, ComponentType};
use std::collections::HashMap;

/// How far from an address a type code may be written, in text heights.
const CODE_REACH: f32 = 3.0;
/// Grid cells for type codes and placed addresses, in points.
const CODE_CELL: f32 = 16.0;

/// Two address labels one above the other at one symbol (a dual-address module).
fn one_above_the_other(a: BBox, b: BBox) -> bool {
    let ((ax, ay), (bx, by)) = (a.center(), b.center());
    (ax - bx).abs() <= 0.5 * a.width().min(b.width()) && (ay - by).abs() <= 1.6 * a.height().max(b.height())
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
    deadline: Deadline,
) -> Result<Vec<Instance>, PastDeadline> {
    // Every address once: its box (the plan label's, when there is one), its described type,
    // and whether that box is a plan label.
    let mut seen: Vec<(Address, BBox, Option<Meaning>, bool)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in lines {
        for (at, &k) in line.iter().enumerate() {
            // `taken` and the phrase around the word look at its neighbours: many at one spot is slow.
            deadline.check()?;
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
        deadline.check()?;
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
    Ok(out)
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
    use crate::words::layout;
    use crate::words::tests::run;

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
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default(), Deadline::none()).unwrap();
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
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default(), Deadline::none()).unwrap();
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
        let ids: Vec<String> = addressed(&words, &lines, &|_| false, &Vocabulary::default(), Deadline::none())
            .unwrap()
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
        let found = addressed(&words, &lines, &|_| false, &Vocabulary::default(), Deadline::none()).unwrap();
        let kinds: std::collections::BTreeMap<&str, ComponentType> =
            found.iter().map(|f| (f.id.as_str(), f.kind)).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert_eq!(kinds["L1D023"], ComponentType::SmokeDetector);
        assert_eq!(kinds["L1M004/L1M005"], ComponentType::MonitorModule);
    }
}
