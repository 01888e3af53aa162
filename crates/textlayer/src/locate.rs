//! Where a tag is. Three sources, most trusted first:
//! 1. its schedule row: `A-101-DR-B2 - Main Entrance - Card Reader + Exit Button` says so;
//! 2. the nearest room label on the plan, for the kinds of tag [`LocationRules`] trusts;
//! 3. another tag of the same access point on the page (the reader of door 101 is at door
//!    101), when the tag has no location of its own.

use crate::rooms::{Label, is_room_word};
use crate::scheme::LocationRules;
use crate::tags::{Rule, access_point};
use crate::words::{Word, same_line};
use drawings_core::{BBox, Component};
use std::collections::HashMap;

/// Words that separate the columns of a schedule row written as text.
const SEPARATORS: &[&str] = &["-", "–", "—", "|"];
/// Widest gap between the words of a row, in text heights.
const MAX_ROW_GAP: f32 = 1.5;
/// Most words a row's location may have; longer phrases are descriptions.
const MAX_PLACE_WORDS: usize = 4;

/// The location a schedule row gives the tag at `line[at]`: the phrase between the first and
/// the next separator after the tag (`A-101-DR-B2 - Main Entrance - ...`, or `A-101: Office 1`),
/// when it names a room. Any other text after a tag is a description, not a place.
pub(crate) fn row_location(words: &[Word], line: &[usize], at: usize, room_words: &[String]) -> Option<String> {
    let tag = &words[*line.get(at)?];
    let mut prev = tag;
    let mut rest = line.iter().skip(at + 1).map(|&k| &words[k]).peekable();
    let close =
        |a: &Word, b: &Word| same_line(a, b) && b.bbox.x0 - a.bbox.x1 <= MAX_ROW_GAP * a.height().min(b.height());
    if !tag.text.ends_with(':') {
        let sep = rest
            .next()
            .filter(|w| SEPARATORS.contains(&w.text.as_str()) && close(tag, w))?;
        prev = sep;
    }
    let mut place: Vec<&str> = Vec::new();
    while let Some(w) = rest.next_if(|w| close(prev, w) && !SEPARATORS.contains(&w.text.as_str())) {
        place.push(&w.text);
        prev = w;
    }
    let names_room = place.iter().any(|w| is_room_word(w, room_words));
    let looks_like_a_name = place
        .iter()
        .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()));
    (names_room && looks_like_a_name && place.len() <= MAX_PLACE_WORDS).then(|| place.join(" "))
}

fn distance(b: &BBox, x: f32, y: f32) -> f32 {
    let dx = (b.x0 - x).max(x - b.x1).max(0.0);
    let dy = (b.y0 - y).max(y - b.y1).max(0.0);
    dx.hypot(dy)
}

/// The label closest to a tag, if one is near enough and the rules trust this kind of tag's
/// position.
pub(crate) fn nearest(labels: &[Label], tag: BBox, rule: Rule, rules: &LocationRules) -> Option<String> {
    let trusted = match rule {
        Rule::TagBox => rules.tag_boxes,
        Rule::Id | Rule::Short | Rule::Equipment => rules.id_tags,
    };
    if !trusted {
        return None;
    }
    let (x, y) = tag.center();
    let reach = (rules.max_distance_heights * tag.height()).min(rules.max_distance_pt);
    labels
        .iter()
        .map(|l| (distance(&l.bbox, x, y), l))
        .filter(|(d, _)| *d <= reach)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, l)| l.text.clone())
}

/// Gives tags without a location the location of another tag of the same access point on the
/// page (first in reading order).
pub(crate) fn share_within_access_points(components: &mut [Component]) {
    let mut known: HashMap<(String, String, String), String> = HashMap::new();
    for c in components.iter() {
        if let (Some(point), Some(place)) = (access_point(&c.id), &c.location) {
            known.entry(point).or_insert_with(|| place.clone());
        }
    }
    for c in components.iter_mut().filter(|c| c.location.is_none()) {
        c.location = access_point(&c.id).and_then(|p| known.get(&p).cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    fn row(runs: &[drawings_core::ports::TextRun]) -> Option<String> {
        let (w, l) = layout(runs);
        row_location(&w, &l[0], 0, &[])
    }

    /// Words of a row 14 pt high, one run each, as in the baseline drawing.
    fn row_runs(words: &[&str]) -> Vec<drawings_core::ports::TextRun> {
        let mut x = 50.0;
        words
            .iter()
            .map(|w| {
                let width = 6.0 * w.chars().count() as f32;
                let r = run(w, x, 150.7, x + width, 164.7);
                x += width + 3.3;
                r
            })
            .collect()
    }

    #[test]
    fn a_schedule_row_gives_its_tag_the_room_it_names() {
        let r = row_runs(&[
            "A-101-DR-B2",
            "-",
            "Main",
            "Entrance",
            "-",
            "Card",
            "Reader",
            "+",
            "Exit",
            "Button",
        ]);
        assert_eq!(row(&r).as_deref(), Some("Main Entrance"));
        assert_eq!(
            row(&row_runs(&["A-113-DR-B2", "-", "IT", "Room", "-", "Card"])).as_deref(),
            Some("IT Room")
        );
        assert_eq!(row(&row_runs(&["A-101:", "Office", "1"])).as_deref(), Some("Office 1"));
    }

    #[test]
    fn a_row_description_that_names_no_room_is_not_a_location() {
        for words in [
            &["A-105-DR-B2", "-", "Emergency", "Exit", "North", "-", "Exit"][..],
            &["A-101-CR-B2", "-", "Card", "Reader"],
            &["A-200:", "Door", "with", "8pt", "text"],
            &["A-101-DR-B2", "Main", "Entrance"],
            &["A-101-DR-B2", "-", "see", "room", "data", "sheet"],
        ] {
            assert_eq!(row(&row_runs(words)), None, "{words:?}");
        }
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
        let rules = LocationRules::default();
        let far = BBox {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 10.0,
        };
        let near = BBox {
            x0: 450.0,
            y0: 480.0,
            x1: 470.0,
            y1: 488.0,
        };
        assert_eq!(nearest(&l, far, Rule::Id, &rules), None);
        assert_eq!(nearest(&l, near, Rule::Id, &rules).as_deref(), Some("STORE"));
    }

    #[test]
    fn a_tag_box_takes_no_plan_location_unless_the_rules_trust_tag_boxes() {
        let l = vec![Label {
            text: "STORE".into(),
            bbox: BBox {
                x0: 100.0,
                y0: 100.0,
                x1: 140.0,
                y1: 108.0,
            },
        }];
        let tag = BBox {
            x0: 100.0,
            y0: 120.0,
            x1: 130.0,
            y1: 126.0,
        };
        let mut rules = LocationRules::default();
        assert_eq!(nearest(&l, tag, Rule::TagBox, &rules), None);
        rules.tag_boxes = true;
        assert_eq!(nearest(&l, tag, Rule::TagBox, &rules).as_deref(), Some("STORE"));
        rules.id_tags = false;
        assert_eq!(nearest(&l, tag, Rule::Short, &rules), None);
    }
}
