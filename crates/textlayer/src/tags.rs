//! The tag rules: tag boxes (`A B2 005 BB`, four words side by side), id-style tags
//! (`A-101-DR-B2`, one word or touching words) and, when the schemes list their letters,
//! short ids (`A-101`).

use crate::budget::{Deadline, PastDeadline};
use crate::scheme::{TagMeaning, TagSchemes};
use crate::words::{Word, same_line, same_strand};
use drawings_core::{BBox, ComponentType};
use regex::Regex;
use std::sync::LazyLock;

/// Which rule found a tag: it decides how far the tag's position says where the device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    TagBox,
    Id,
    Short,
    Equipment,
}

/// A tag before it becomes a component.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub id: String,
    pub meaning: TagMeaning,
    pub bbox: BBox,
    pub confidence: f32,
    pub reason: &'static str,
    pub rule: Rule,
    /// The word on its line that holds the tag (for id-style and short tags).
    pub word: Option<usize>,
}

pub(crate) static LEVEL: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:[A-Z]?\d{1,2}|[A-Z]{1,2}\d?)$"));
static POINT: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{3}$"));
static PACKAGE: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Z]{2}$"));
static ID: LazyLock<Regex> =
    LazyLock::new(|| re(r"^([A-Z]{1,3})([-._])(\d{2,4})([-._])([A-Z]{2,4})([-._])([A-Z0-9]{1,3})$"));
/// A bare id: system letter, a dash and a three-digit point, the form the synthetic variations
/// of security-design-assistant use (`A-101`, `C-101`, `I-201`). Not `A.602`: that is how
/// architectural drawings write detail and sheet references (nine of them on one corpus plan).
static SHORT_ID: LazyLock<Regex> = LazyLock::new(|| re(r"^([A-Z])-(\d{3})$"));

fn re(pattern: &str) -> Regex {
    // The patterns are literals checked by the tests; failing here is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// Widest gap between the parts of a tag box, in text heights. Real tag boxes leave about
/// one height; wider gaps are table columns or unrelated labels.
const MAX_PART_GAP: f32 = 1.6;
/// How far estimated word boxes may overlap. Per-character boxes are estimates when an engine
/// hands back several parts as one run, so neighbours can appear to overlap a little.
const MAX_PART_OVERLAP: f32 = 1.0;

const TAG_BOX_CONFIDENCE: f32 = 0.95;
const ID_CONFIDENCE: f32 = 0.9;
const ID_UNKNOWN_CODE_CONFIDENCE: f32 = 0.6;
/// Lower than a full id even when the schemes ask for short ids: `A-101` has no device code
/// and looks like a sheet or detail reference.
const SHORT_ID_CONFIDENCE: f32 = 0.75;

fn close_enough(a: &Word, b: &Word, max_gap: f32) -> bool {
    let h = a.height().min(b.height());
    let gap = b.bbox.x0 - a.bbox.x1;
    same_line(a, b) && gap <= max_gap * h && gap >= -MAX_PART_OVERLAP * h
}

/// The next part of a tag box after `prev`: the first word to its right in the same lettering,
/// stepping over text of another size or baseline drawn across the tag (a room name under
/// it). Any other word in between ends the tag.
fn next_part(words: &[Word], line: &[usize], after: usize, used: &[bool]) -> Option<usize> {
    let prev = &words[line[after]];
    let n = (after + 1..line.len()).find(|&n| same_strand(prev, &words[line[n]]))?;
    let w = &words[line[n]];
    (!used[line[n]] && close_enough(prev, w, MAX_PART_GAP)).then_some(n)
}

/// Tag boxes on one line: system letter, level, point number and package, left to right.
/// `used` marks words already part of a tag; matched words are marked.
pub(crate) fn tag_boxes(
    words: &[Word],
    line: &[usize],
    schemes: &TagSchemes,
    used: &mut [bool],
    deadline: Deadline,
) -> Result<Vec<Found>, PastDeadline> {
    let patterns: [&Regex; 3] = [&LEVEL, &POINT, &PACKAGE];
    let mut found = Vec::new();
    for start in 0..line.len() {
        let Some(meaning) = schemes.system(&words[line[start]].text) else {
            continue;
        };
        if used[line[start]] {
            continue;
        }
        // A part is looked for past words in other lettering: a line of them is slow.
        deadline.check()?;
        let mut at = vec![start];
        for pattern in patterns {
            match next_part(words, line, at[at.len() - 1], used) {
                Some(n) if pattern.is_match(&words[line[n]].text) => at.push(n),
                _ => break,
            }
        }
        let parts: Vec<&Word> = at.iter().map(|&n| &words[line[n]]).collect();
        // `000` is the placeholder in tag legends (`? XX 000 XX`), never a real point.
        if parts.len() < 4 || parts[2].text == "000" {
            continue;
        }
        at.iter().for_each(|&n| used[line[n]] = true);
        found.push(Found {
            id: parts.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "),
            meaning: meaning.clone(),
            bbox: parts.iter().skip(1).fold(parts[0].bbox, |b, w| b.union(w.bbox)),
            confidence: TAG_BOX_CONFIDENCE,
            reason: "tag box: system letter, level, point number and package side by side on one line",
            rule: Rule::TagBox,
            word: None,
        });
    }
    Ok(found)
}

/// Drops wrapping punctuation a note may put around a tag (`(A-101-DR-B2),`).
fn trim(text: &str) -> &str {
    let t = text.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\''));
    match t.strip_suffix('.') {
        Some(shorter) if ID.is_match(shorter) || SHORT_ID.is_match(shorter) => shorter,
        _ => t,
    }
}

/// The meaning of an id-style tag, if the text is one. Mixed separators (`A-101.DR_B2`)
/// are not accepted: a drawing standard picks one.
fn id_meaning(text: &str, schemes: &TagSchemes) -> Option<(TagMeaning, f32, &'static str)> {
    let caps = ID.captures(text)?;
    if caps[2] != caps[4] || caps[4] != caps[6] {
        return None;
    }
    Some(match schemes.device_code(&caps[5]) {
        Some(m) => (m.clone(), ID_CONFIDENCE, "id-style tag with a known device code"),
        None => {
            let system = schemes
                .system(&caps[1])
                .map_or_else(|| "other".to_owned(), |m| m.system.clone());
            (
                TagMeaning::new(ComponentType::Other, system),
                ID_UNKNOWN_CODE_CONFIDENCE,
                "id-style tag with an unknown device code",
            )
        }
    })
}

/// The meaning of a bare `A-101`, if the schemes count bare ids with its letter.
fn short_meaning(text: &str, schemes: &TagSchemes) -> Option<(TagMeaning, f32, &'static str)> {
    let caps = SHORT_ID.captures(text)?;
    let meaning = schemes.short_id(&caps[1])?;
    Some((
        meaning.clone(),
        SHORT_ID_CONFIDENCE,
        "short id: a letter the tag schemes list and a point number",
    ))
}

/// Id-style and short tags on one line. Pieces of one id split across runs were glued into
/// one word by the layout.
pub(crate) fn id_tags(words: &[Word], line: &[usize], schemes: &TagSchemes, used: &mut [bool]) -> Vec<Found> {
    let mut found = Vec::new();
    for (at, &k) in line.iter().enumerate() {
        if used[k] {
            continue;
        }
        let id = trim(&words[k].text);
        let (rule, (meaning, confidence, reason)) = match id_meaning(id, schemes) {
            Some(m) => (Rule::Id, m),
            None => match short_meaning(id, schemes) {
                Some(m) => (Rule::Short, m),
                None => continue,
            },
        };
        used[k] = true;
        found.push(Found {
            id: id.to_owned(),
            meaning,
            bbox: words[k].bbox,
            confidence,
            reason,
            rule,
            word: Some(at),
        });
    }
    found
}

/// `(system, point, level)` of an id-style or short tag: the access point it belongs to, which
/// its door, reader and exit button share (`A-101-DR-B2`, `A-101-CR-B2`).
pub(crate) fn access_point(id: &str) -> Option<(String, String, String)> {
    if let Some(caps) = ID.captures(id) {
        return Some((caps[1].to_owned(), caps[3].to_owned(), caps[7].to_owned()));
    }
    let caps = SHORT_ID.captures(id)?;
    Some((caps[1].to_owned(), caps[2].to_owned(), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_patterns_compile() {
        for p in [&LEVEL, &POINT, &PACKAGE, &ID, &SHORT_ID] {
            LazyLock::force(p);
        }
    }

    #[test]
    fn levels_take_the_forms_drawings_use() {
        for ok in ["B2", "L1", "02", "GF", "LG", "M", "B"] {
            assert!(LEVEL.is_match(ok), "{ok}");
        }
        for bad in ["123", "B234", "b2", "LGF"] {
            assert!(!LEVEL.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn mixed_separators_are_not_an_id() {
        assert!(id_meaning("A-101.DR_B2", &TagSchemes::default()).is_none());
    }

    #[test]
    fn wrapping_punctuation_is_not_part_of_an_id() {
        assert_eq!(trim("(A-101-DR-B2),"), "A-101-DR-B2");
        assert_eq!(trim("A.101.DR.B2."), "A.101.DR.B2");
        assert_eq!(trim("A-200:"), "A-200");
    }

    #[test]
    fn a_short_id_counts_only_for_a_letter_the_schemes_list() {
        let mut schemes = TagSchemes::default();
        assert!(short_meaning("A-101", &schemes).is_none());
        schemes
            .short_ids
            .insert("A".into(), TagMeaning::new(ComponentType::Door, "access_control"));
        assert_eq!(
            short_meaning("A-101", &schemes).map(|m| m.0.kind),
            Some(ComponentType::Door)
        );
        for bad in ["C-101", "A-1011", "A-10", "AB-101", "A-10A", "A.602", "A_101"] {
            assert!(short_meaning(bad, &schemes).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_door_reader_and_exit_button_of_one_point_share_an_access_point() {
        let door = access_point("A-101-DR-B2");
        assert_eq!(door, access_point("A.101.CR.B2"));
        assert_ne!(door, access_point("A-101-DR-B1"));
        assert_eq!(access_point("A-101"), Some(("A".into(), "101".into(), String::new())));
        assert_eq!(access_point("A B2 001 BB"), None);
    }
}
