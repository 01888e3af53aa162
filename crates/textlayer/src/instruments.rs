//! Lighting plots: each instrument carries a unique id, its position and unit (`E3-1` is unit
//! 1 on the third electric, `FOH2-12`, `B1-3`), often in 3 pt text and rotated along its pipe.
//! Such ids are luminaires only on a sheet that reads as a lighting plot (it names electrics,
//! booms, instruments, channels or dimmers) and only when a position holds a run of units: a
//! lone `E3-1` elsewhere is a sheet or detail reference, and circuit numbers (`EL1-13`) sit
//! on sheets without that vocabulary.

use crate::budget::{Deadline, PastDeadline};
use crate::count::Instance;
use crate::words::Word;
use drawings_core::{BBox, ComponentType};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// `E3-1`, `FOH2-12`, `B1-3`, `LX4-20`: a position name, a dash, a unit number.
static INSTRUMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Z]{1,4}\d{0,2})-(\d{1,3})$").expect("instrument id pattern"));
/// Words only a lighting plot uses.
const STRONG_PLOT_WORDS: &[&str] = &[
    "INSTRUMENT",
    "INSTRUMENTS",
    "BOOM",
    "BOOMS",
    "FOH",
    "CATWALK",
    "ELLIPSOIDAL",
    "FRESNEL",
    "LEKO",
    "GOBO",
    "GOBOS",
    "FOLLOWSPOT",
    "SPOTLIGHT",
    "PARCAN",
    "PAR64",
    "CYC",
];
/// Words a lighting plot uses, among others.
const PLOT_WORDS: &[&str] = &["ELECTRIC", "ELECTRICS", "CHANNEL", "DIMMER", "PLOT", "BATTEN", "LX"];
/// Distinct plot words a sheet needs with one of them strong, or without.
const MIN_PLOT_WORDS: usize = 2;
const MIN_WEAK_PLOT_WORDS: usize = 3;
/// Units a position needs before its ids count.
const MIN_UNITS: usize = 3;

/// The instrument ids of a lighting plot, each once, in reading order.
pub(crate) fn instruments(
    words: &[Word],
    lines: &[Vec<usize>],
    taken: &dyn Fn(usize) -> bool,
    page: u32,
    deadline: Deadline,
) -> Result<Vec<Instance>, PastDeadline> {
    let vocabulary: BTreeSet<String> = words
        .iter()
        .map(|w| w.text.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_uppercase())
        .filter(|t| PLOT_WORDS.contains(&t.as_str()) || STRONG_PLOT_WORDS.contains(&t.as_str()))
        .collect();
    let strong = vocabulary.iter().any(|t| STRONG_PLOT_WORDS.contains(&t.as_str()));
    let enough = if strong { MIN_PLOT_WORDS } else { MIN_WEAK_PLOT_WORDS };
    if vocabulary.len() < enough {
        return Ok(Vec::new());
    }
    let mut by_position: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut first: Vec<(String, String, BBox)> = Vec::new();
    for &k in lines.iter().flatten() {
        let w = &words[k];
        let Some(c) = INSTRUMENT.captures(&w.text) else {
            continue;
        };
        // `taken` looks at the boxes of devices found near the word: many at one spot is slow.
        deadline.check()?;
        if taken(k) {
            continue;
        }
        let unit: u32 = c[2].parse().unwrap_or(0);
        let id = format!("{}-{unit}", &c[1]);
        if by_position.entry(c[1].to_owned()).or_default().insert(unit) {
            first.push((id, c[1].to_owned(), w.bbox));
        }
    }
    let evidence = format!(
        "instrument id on a lighting plot (the sheet says {})",
        vocabulary.into_iter().take(3).collect::<Vec<_>>().join(", ")
    );
    Ok(first
        .into_iter()
        .filter(|(_, position, _)| by_position[position].len() >= MIN_UNITS)
        .map(|(id, _, bbox)| Instance {
            id: format!("{id}@{page}"),
            tag: None,
            kind: ComponentType::Luminaire,
            system: "lighting".to_owned(),
            bbox,
            confidence: 0.75,
            evidence: evidence.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    fn plot(extra: &[&str]) -> Vec<drawings_core::ports::TextRun> {
        let mut runs: Vec<_> = (1..=4)
            .map(|u| {
                run(
                    &format!("E3-{u}"),
                    100.0 * u as f32,
                    100.0,
                    100.0 * u as f32 + 8.0,
                    103.0,
                )
            })
            .collect();
        runs.push(run("E3-2", 200.0, 300.0, 208.0, 303.0));
        runs.push(run("A-101", 500.0, 500.0, 520.0, 506.0));
        runs.extend(
            extra
                .iter()
                .enumerate()
                .map(|(n, w)| run(w, 10.0, 600.0 + 20.0 * n as f32, 60.0, 610.0 + 20.0 * n as f32)),
        );
        runs
    }

    #[test]
    fn a_run_of_units_on_a_lighting_plot_are_luminaires_each_once() {
        let (words, lines) = layout(&plot(&["3RD", "ELECTRIC", "INSTRUMENT"]));
        let ids: Vec<String> = instruments(&words, &lines, &|_| false, 1, Deadline::none())
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, ["E3-1@1", "E3-2@1", "E3-3@1", "E3-4@1"]);
    }

    #[test]
    fn three_everyday_plot_words_make_a_lighting_plot_too() {
        let (words, lines) = layout(&plot(&["1ST", "ELECTRIC", "CHANNEL", "DIMMER"]));
        assert_eq!(
            instruments(&words, &lines, &|_| false, 1, Deadline::none())
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn the_same_ids_on_a_sheet_that_is_no_lighting_plot_are_not_devices() {
        let (words, lines) = layout(&plot(&["ELECTRIC", "CHANNEL", "PANEL"]));
        assert!(
            instruments(&words, &lines, &|_| false, 1, Deadline::none())
                .unwrap()
                .is_empty()
        );
    }
}
