//! Room labels (`OFFICE 101`, `CORRIDOR`, `B2-05`) and the nearest one to a tag. Kept
//! conservative on purpose: a wrong location in a schedule misleads an installer, a missing
//! one only sends them to the drawing.

use crate::words::{Word, same_line, same_strand};
use drawings_core::BBox;
use regex::Regex;
use std::sync::LazyLock;

/// Words that name a kind of room on building drawings.
const ROOM_WORDS: &[&str] = &[
    "ATRIUM",
    "BATHROOM",
    "BAY",
    "BEDROOM",
    "CAFE",
    "CANTEEN",
    "CHANGING",
    "CLEANER",
    "CLEANERS",
    "CLOAKROOM",
    "COMMS",
    "CONFERENCE",
    "CORRIDOR",
    "CUPBOARD",
    "DINING",
    "ENTRANCE",
    "FOYER",
    "GYM",
    "HALL",
    "HALLWAY",
    "KITCHEN",
    "KITCHENETTE",
    "LAB",
    "LABORATORY",
    "LIBRARY",
    "LIFT",
    "LOBBY",
    "LOCKER",
    "LOCKERS",
    "LOUNGE",
    "MAILROOM",
    "MEETING",
    "OFFICE",
    "OFFICES",
    "PANTRY",
    "PLANT",
    "PLANTROOM",
    "RECEPTION",
    "RISER",
    "ROOM",
    "SERVER",
    "SHOWER",
    "SHOWERS",
    "STAIR",
    "STAIRCASE",
    "STAIRS",
    "STORAGE",
    "STORE",
    "STOREROOM",
    "STUDIO",
    "TOILET",
    "TOILETS",
    "WAREHOUSE",
    "WC",
    "WORKSHOP",
];

static ROOM_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[A-Z]{0,2}\d{1,4}[A-Z]?|[A-Z]{1,2}\d{1,2}-\d{2,3}[A-Z]?)$"));
/// A room number standing alone only counts in the level-room form (`B2-05`): bare numbers
/// are dimensions, grid lines or anything else.
static LONE_ROOM_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z]{1,2}\d{1,2}-\d{2,3}[A-Z]?$"));
static CAPS_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z][A-Z&/]*$"));

fn re(pattern: &str) -> Regex {
    // The patterns are literals checked by the tests; failing here is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// Most words in a label; longer runs of capitals are notes, not room names.
const MAX_LABEL_WORDS: usize = 4;
/// Widest gap between words of one label, in text heights.
const MAX_WORD_GAP: f32 = 1.2;
/// Farthest a label may be from a tag and still name its room: rooms scale with the drawing,
/// and so does its lettering, so the reach is counted in tag heights, capped in points.
const MAX_DISTANCE_HEIGHTS: f32 = 25.0;
const MAX_DISTANCE_PT: f32 = 150.0;

/// A room label and its box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub text: String,
    pub bbox: BBox,
}

/// Room labels on the page, from words not used by tags.
pub(crate) fn labels(words: &[Word], lines: &[Vec<usize>], used: &[bool]) -> Vec<Label> {
    let mut out: Vec<Label> = Vec::new();
    for line in lines {
        // Cut the line into phrases: runs of close, unused words.
        let mut phrase: Vec<&Word> = Vec::new();
        for &k in line {
            let w = &words[k];
            if used[k] {
                // A tag in the same lettering ends the phrase; one printed across the name in
                // other lettering (`A B2 014 BB` over `LIFT PIT`) is stepped over.
                if phrase.last().is_none_or(|prev| same_strand(prev, w)) {
                    out.extend(label(&phrase));
                    phrase.clear();
                }
                continue;
            }
            let joins = phrase.last().is_some_and(|prev| {
                same_line(prev, w) && w.bbox.x0 - prev.bbox.x1 <= MAX_WORD_GAP * prev.height().min(w.height())
            });
            if !joins {
                out.extend(label(&phrase));
                phrase.clear();
            }
            phrase.push(w);
        }
        out.extend(label(&phrase));
    }
    stack(out)
}

/// A phrase is a label when it is a few capitalised words, one of them a room word, with an
/// optional room number at the end; or a lone level-room number.
fn label(phrase: &[&Word]) -> Option<Label> {
    let (last, rest) = phrase.split_last()?;
    let bbox = phrase.iter().fold(last.bbox, |b, w| b.union(w.bbox));
    let text = || phrase.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    if rest.is_empty() && LONE_ROOM_NUMBER.is_match(&last.text) {
        return Some(Label { text: text(), bbox });
    }
    let names = if ROOM_NUMBER.is_match(&last.text) && !CAPS_WORD.is_match(&last.text) {
        rest
    } else {
        phrase
    };
    let is_label = !names.is_empty()
        && phrase.len() <= MAX_LABEL_WORDS
        && names.iter().all(|w| CAPS_WORD.is_match(&w.text))
        && names.iter().any(|w| ROOM_WORDS.contains(&w.text.as_str()));
    is_label.then(|| Label { text: text(), bbox })
}

/// Joins labels written on two lines (`MEETING` over `ROOM 2`) into one.
fn stack(mut labels: Vec<Label>) -> Vec<Label> {
    labels.sort_by(|a, b| a.bbox.y0.total_cmp(&b.bbox.y0));
    let mut out: Vec<Label> = Vec::new();
    for l in labels {
        let above = out.iter_mut().find(|a| {
            let h = a.bbox.height().min(l.bbox.height());
            let gap = l.bbox.y0 - a.bbox.y1;
            let half_width = a.bbox.width().max(l.bbox.width()) / 2.0;
            gap >= -0.2 * h && gap <= h && (a.bbox.center().0 - l.bbox.center().0).abs() <= half_width
        });
        match above {
            Some(a) => {
                a.text = format!("{} {}", a.text, l.text);
                a.bbox = a.bbox.union(l.bbox);
            }
            None => out.push(l),
        }
    }
    out
}

fn distance(b: &BBox, x: f32, y: f32) -> f32 {
    let dx = (b.x0 - x).max(x - b.x1).max(0.0);
    let dy = (b.y0 - y).max(y - b.y1).max(0.0);
    dx.hypot(dy)
}

/// The label closest to a tag, if one is near enough.
pub(crate) fn nearest(labels: &[Label], tag: BBox) -> Option<String> {
    let (x, y) = tag.center();
    let reach = (MAX_DISTANCE_HEIGHTS * tag.height()).min(MAX_DISTANCE_PT);
    labels
        .iter()
        .map(|l| (distance(&l.bbox, x, y), l))
        .filter(|(d, _)| *d <= reach)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, l)| l.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    fn found(runs: &[drawings_core::ports::TextRun]) -> Vec<String> {
        let (w, l) = layout(runs);
        labels(&w, &l, &vec![false; w.len()])
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn room_words_with_a_number_are_a_label() {
        assert_eq!(
            found(&[run("OFFICE", 0.0, 0.0, 48.0, 8.0), run("101", 52.0, 0.0, 70.0, 8.0)]),
            ["OFFICE 101"]
        );
        assert_eq!(found(&[run("IT ROOM 102", 0.0, 0.0, 88.0, 8.0)]), ["IT ROOM 102"]);
        assert_eq!(found(&[run("B2-05", 0.0, 0.0, 40.0, 8.0)]), ["B2-05"]);
    }

    #[test]
    fn notes_titles_and_bare_numbers_are_not_labels() {
        assert!(found(&[run("REFER TO OFFICE FIT OUT DRAWINGS", 0.0, 0.0, 250.0, 8.0)]).is_empty());
        assert!(found(&[run("Office", 0.0, 0.0, 48.0, 8.0)]).is_empty());
        assert!(found(&[run("101", 0.0, 0.0, 24.0, 8.0)]).is_empty());
        assert!(found(&[run("LEVEL B2", 0.0, 0.0, 60.0, 8.0)]).is_empty());
    }

    #[test]
    fn a_label_on_two_lines_is_one_label() {
        assert_eq!(
            found(&[
                run("MEETING", 0.0, 0.0, 56.0, 8.0),
                run("ROOM 2", 8.0, 10.0, 50.0, 18.0)
            ]),
            ["MEETING ROOM 2"]
        );
    }

    #[test]
    fn a_far_label_names_no_room() {
        let l = vec![Label {
            text: "STORE".into(),
            bbox: BBox {
                x0: 500.0,
                y0: 500.0,
                x1: 540.0,
                y1: 508.0,
            },
        }];
        assert_eq!(
            nearest(
                &l,
                BBox {
                    x0: 0.0,
                    y0: 0.0,
                    x1: 10.0,
                    y1: 10.0
                }
            ),
            None
        );
        assert_eq!(
            nearest(
                &l,
                BBox {
                    x0: 450.0,
                    y0: 480.0,
                    x1: 470.0,
                    y1: 488.0
                }
            )
            .as_deref(),
            Some("STORE")
        );
    }
}
