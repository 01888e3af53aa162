//! Room labels (`OFFICE 101`, `CORRIDOR`, `B2-05`, and names over a room-number box such as
//! `LIFE SAFETY` / `B209`). Kept conservative on purpose: a wrong location in a schedule
//! misleads an installer, a missing one only sends them to the drawing.

use crate::budget::{Deadline, PastDeadline};
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

/// Whether a word names a kind of room, in any case (schedules write `Server Room`); `extra`
/// are the schemes' own room words, in capitals.
pub(crate) fn is_room_word(word: &str, extra: &[String]) -> bool {
    let upper = word.to_ascii_uppercase();
    ROOM_WORDS.contains(&upper.as_str()) || extra.contains(&upper)
}

static ROOM_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[A-Z]{0,2}\d{1,4}[A-Z]?|[A-Z]{1,2}\d{1,2}-\d{2,3}[A-Z]?)$"));
/// A room number standing alone only counts in the level-room form (`B2-05`): bare numbers
/// are dimensions, grid lines or anything else.
static LONE_ROOM_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z]{1,2}\d{1,2}-\d{2,3}[A-Z]?$"));
/// A room code in the box under a room name (`B209`, `INFB204`): letters then digits. A bare
/// number under a word is too often a dimension under a note to name a room.
static ROOM_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z]{1,5}\d{2,4}[A-Z]?$"));
static CAPS_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z][A-Z&/]*$"));
/// A word of a room name that holds no room word (`LIFE SAFETY`, `AHU-1`, `LTHW PHX`): it only
/// names a room when a room code is stacked under it.
static NAME_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z][A-Z0-9&/-]*$"));

fn re(pattern: &str) -> Regex {
    // The patterns are literals checked by the tests; failing here is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// Most words in a label; longer runs of capitals are notes, not room names.
const MAX_LABEL_WORDS: usize = 4;
/// Most lines one stacked label spans (`CWH` / `PLANTROOM` / `B215`).
const MAX_STACK_LINES: usize = 3;
/// Widest gap between words of one label, in text heights.
const MAX_WORD_GAP: f32 = 1.2;
/// How much one line of a stacked label may differ in height from the line above.
const STACK_HEIGHT_RATIO: f32 = 1.3;

/// A room label and its box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub text: String,
    pub bbox: BBox,
}

/// What a phrase can be in a room label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A label by itself (`OFFICE 101`, `B2-05`).
    Label,
    /// Capitals with no room word (`LIFE SAFETY`): a label only over a room code.
    Name,
    /// A room code (`B209`): the last line of a stacked label, never a label alone.
    Code,
}

/// One line of a possible label.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    bbox: BBox,
    role: Role,
}

/// Room labels on the page, from words not used by tags; `extra` are the schemes' own room
/// words.
pub(crate) fn labels(
    words: &[Word],
    lines: &[Vec<usize>],
    used: &[bool],
    extra: &[String],
    deadline: Deadline,
) -> Result<Vec<Label>, PastDeadline> {
    let mut pieces: Vec<Piece> = Vec::new();
    for line in lines {
        deadline.check()?;
        // Cut the line into phrases: runs of close, unused words.
        let mut phrase: Vec<&Word> = Vec::new();
        for &k in line {
            let w = &words[k];
            if used[k] {
                // A tag in the same lettering ends the phrase; one printed across the name in
                // other lettering (`A B2 014 BB` over `LIFT PIT`) is stepped over.
                if phrase.last().is_none_or(|prev| same_strand(prev, w)) {
                    pieces.extend(piece(&phrase, extra));
                    phrase.clear();
                }
                continue;
            }
            let joins = phrase.last().is_some_and(|prev| {
                same_line(prev, w) && w.bbox.x0 - prev.bbox.x1 <= MAX_WORD_GAP * prev.height().min(w.height())
            });
            if !joins {
                pieces.extend(piece(&phrase, extra));
                phrase.clear();
            }
            phrase.push(w);
        }
        pieces.extend(piece(&phrase, extra));
    }
    stack(pieces, deadline)
}

/// What a phrase is: a label when it is a few capitalised words, one of them a room word,
/// with an optional room number at the end, or a lone level-room number; a name when it is
/// a few capitalised words without a room word; a code when it is one room code.
fn piece(phrase: &[&Word], extra: &[String]) -> Option<Piece> {
    let (last, rest) = phrase.split_last()?;
    let bbox = phrase.iter().fold(last.bbox, |b, w| b.union(w.bbox));
    let text = phrase.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let role = role(phrase, last, rest, extra)?;
    Some(Piece { text, bbox, role })
}

fn role(phrase: &[&Word], last: &Word, rest: &[&Word], extra: &[String]) -> Option<Role> {
    if rest.is_empty() && LONE_ROOM_NUMBER.is_match(&last.text) {
        return Some(Role::Label);
    }
    if rest.is_empty() && ROOM_CODE.is_match(&last.text) {
        return Some(Role::Code);
    }
    if phrase.len() > MAX_LABEL_WORDS {
        return None;
    }
    let names = if ROOM_NUMBER.is_match(&last.text) && !CAPS_WORD.is_match(&last.text) {
        rest
    } else {
        phrase
    };
    if names.is_empty() {
        return None;
    }
    if names.iter().all(|w| CAPS_WORD.is_match(&w.text)) && names.iter().any(|w| is_room_word(&w.text, extra)) {
        return Some(Role::Label);
    }
    phrase
        .iter()
        .all(|w| NAME_WORD.is_match(&w.text) && w.text.chars().filter(char::is_ascii_uppercase).count() >= 2)
        .then_some(Role::Name)
}

/// Whether `below` sits right under `above` in the same size of lettering, centred on it.
fn under(above: &BBox, below: &BBox) -> bool {
    let (ha, hb) = (above.height(), below.height());
    let h = ha.min(hb);
    let gap = below.y0 - above.y1;
    let half_width = above.width().max(below.width()) / 2.0;
    h > 0.0
        && ha.max(hb) / h <= STACK_HEIGHT_RATIO
        && gap >= -0.2 * h
        && gap <= h
        && (above.center().0 - below.center().0).abs() <= half_width
}

/// Joins the lines of labels written on several lines (`MEETING` over `ROOM 2`, `LIFE SAFETY`
/// over `B209`) and keeps the stacks that name a room: one with a label in it, or names over
/// a room code.
fn stack(mut pieces: Vec<Piece>, deadline: Deadline) -> Result<Vec<Label>, PastDeadline> {
    pieces.sort_by(|a, b| a.bbox.y0.total_cmp(&b.bbox.y0));
    let mut stacks: Vec<Vec<Piece>> = Vec::new();
    for p in pieces {
        // Each piece looks at every stack so far.
        deadline.check()?;
        let open = stacks.iter_mut().find(|s| {
            s.last()
                .is_some_and(|top| top.role != Role::Code && s.len() < MAX_STACK_LINES && under(&top.bbox, &p.bbox))
        });
        match open {
            Some(s) => s.push(p),
            None => stacks.push(vec![p]),
        }
    }
    Ok(stacks.into_iter().filter_map(|s| named(&s)).collect())
}

fn named(stack: &[Piece]) -> Option<Label> {
    let has_label = stack.iter().any(|p| p.role == Role::Label);
    let ends_in_code = stack.len() > 1 && stack.last().is_some_and(|p| p.role == Role::Code);
    if !(has_label || ends_in_code) {
        return None;
    }
    let (first, rest) = stack.split_first()?;
    Some(Label {
        text: stack.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" "),
        bbox: rest.iter().fold(first.bbox, |b, p| b.union(p.bbox)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    fn found(runs: &[drawings_core::ports::TextRun]) -> Vec<String> {
        let (w, l) = layout(runs);
        labels(
            &w,
            &l,
            &vec![false; w.len()],
            &["PLATFORM".to_owned()],
            Deadline::none(),
        )
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect()
    }

    #[test]
    fn the_built_in_patterns_compile() {
        for p in [&ROOM_NUMBER, &LONE_ROOM_NUMBER, &ROOM_CODE, &CAPS_WORD, &NAME_WORD] {
            LazyLock::force(p);
        }
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

    /// From the real drawing: names in grey over the room-number box, 7.2 pt lettering.
    #[test]
    fn a_name_over_a_room_code_is_a_label_even_without_a_room_word() {
        let runs = [
            run("LIFE", 316.2, 241.1, 327.4, 248.3),
            run("SAFETY", 328.9, 241.1, 349.5, 248.3),
            run("B209", 326.4, 250.2, 338.7, 257.4),
            run("CWH", 521.3, 347.3, 534.1, 354.5),
            run("PLANTROOM", 511.0, 353.3, 544.7, 360.5),
            run("B215", 521.4, 362.3, 533.8, 369.5),
            run("AHU-1", 361.2, 590.9, 377.1, 598.1),
            run("B217", 362.4, 599.9, 374.7, 607.1),
            run("CORRIDOR", 613.2, 293.5, 642.1, 300.8),
            run("B202", 620.9, 302.6, 633.3, 309.9),
        ];
        assert_eq!(
            found(&runs),
            ["LIFE SAFETY B209", "CORRIDOR B202", "CWH PLANTROOM B215", "AHU-1 B217"]
        );
    }

    #[test]
    fn a_name_without_a_room_code_under_it_or_a_code_alone_is_not_a_label() {
        assert!(found(&[run("LIFE SAFETY", 0.0, 0.0, 40.0, 7.0)]).is_empty());
        assert!(found(&[run("B209", 0.0, 0.0, 14.0, 7.0)]).is_empty());
        // A dimension under a note is not a room code.
        assert!(found(&[run("KNOCK-OUT", 0.0, 0.0, 36.0, 7.0), run("350", 10.0, 9.0, 22.0, 16.0)]).is_empty());
    }

    #[test]
    fn room_words_are_recognised_in_any_case() {
        assert!(is_room_word("Room", &[]) && is_room_word("OFFICE", &[]) && !is_room_word("Exit", &[]));
    }

    #[test]
    fn the_schemes_room_words_make_labels_too() {
        assert_eq!(found(&[run("PLATFORM 2", 0.0, 0.0, 60.0, 8.0)]), ["PLATFORM 2"]);
    }
}
