//! Legends, keys and schedules: the rows that teach a sheet its vocabulary. A row is a tag
//! (`L4`, `P5`, `S1`, `$3`, or a bare letter such as `A` under a heading) followed on its
//! line by a description that the [`Vocabulary`] maps to a device type:
//!
//! ```text
//! LUMINAIRE SCHEDULE
//! L4   LITHONIA  2x4 LED TROFFER, 4000K      120V
//! P5   DUPLEX RECEPTACLE, 20A, GFCI
//! ```
//!
//! Rows are found on every line, with or without a heading, so a legend drawn as loose text
//! counts too; a heading (`LEGEND`, `KEY`, `SYMBOLS`, `SCHEDULE`) above a row only lets bare
//! letters be tags, which elsewhere are far too common. A description that reads as prose
//! (`shall`, many words) or names a non-device (a pier, a column) teaches nothing, so a
//! structural sheet's `P1 PIER` rows never make `P1` a device.

use crate::budget::{Deadline, PastDeadline};
use crate::vocabulary::{Meaning, Vocabulary};
use crate::words::{Word, same_line};
use drawings_core::BBox;
use regex::Regex;
use std::sync::LazyLock;

/// Tags with a digit: `L4`, `P5`, `EM1`, `F1A`, `L-4`, `L12`; or a switch symbol set as text:
/// `$`, `$3`. Three digits (`A101`, `E201`) is how sheets are numbered, not devices.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[A-Z]{1,3}-?[0-9]{1,2}[A-Z]?|\$[A-Z0-9]{0,3})$").expect("tag pattern"));
/// Bare letters (`A`, `EX`) or a digit and letters (`2W`, `3W`): tags only under a heading
/// that makes them so. Three letters are too often a word (`LED`, `LOW`, `NEW`).
static LETTERS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[A-Z]{1,2}|[0-9][A-Z]{1,2})$").expect("letters pattern"));
/// Two-letter words that head a row but never tag a device.
const WORDS: &[&str] = &[
    "NO", "OF", "TO", "IN", "ON", "AT", "BY", "OR", "UP", "IF", "AS", "IS", "BE", "WE", "SEE",
];
/// Gap before a word, in text heights, that starts a new entry on a line.
const ENTRY_GAP: f32 = 1.5;
/// Gap between two cells of a table row, in text heights.
const CELL_GAP: f32 = 3.0;
/// Cells of a row read for its description (tag, make, description, ... in a schedule).
const MAX_CELLS: usize = 3;
/// Widest gap inside one row, in text heights: past it, the text belongs to something else.
const MAX_ROW_GAP: f32 = 15.0;
/// How far right of a row its quantity may stand, in text heights.
const QUANTITY_REACH: f32 = 60.0;
/// Most words a description may have; longer text is a note.
const MAX_DESCRIPTION_WORDS: usize = 16;
/// Most headings a page is read for: a sheet has a handful, and each row asks every one.
const MAX_HEADINGS: usize = 64;
/// How far below a heading its rows may run, in text heights.
const HEADING_REACH: f32 = 120.0;

/// One row: the tag, what it means, and where the row is (tag to the end of the description).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LegendRow {
    pub tag: String,
    pub description: String,
    pub meaning: Meaning,
    pub bbox: BBox,
    /// Whether a heading stands above it.
    pub headed: bool,
    /// The row's words (indices into the page's words).
    pub words: Vec<usize>,
    /// The quantity the row prints, on a sheet whose legend has a quantity column.
    pub quantity: Option<u32>,
}

/// What a heading makes of the rows under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heading {
    /// `LEGEND`, `KEY`, `SYMBOLS`: bare letters count (`P`, `VC`, `2W`).
    Legend,
    /// `LUMINAIRE SCHEDULE`, `FIXTURE SCHEDULE`: a single letter is a fixture type (`A`).
    Schedule,
    /// `DOOR SCHEDULE`, `ABBREVIATIONS`, `NOTES`: rows there define no device tag.
    NotALegend,
}

fn heading_kind(line: &[String]) -> Option<Heading> {
    let has = |w: &str| line.iter().any(|t| t == w);
    if has("ABBREVIATIONS") || has("NOTES") || has("KEYNOTES") || (has("DOOR") && has("SCHEDULE")) {
        Some(Heading::NotALegend)
    } else if has("SCHEDULE") || has("SCHEDULES") {
        Some(Heading::Schedule)
    } else if has("LEGEND") || has("LEGENDS") || has("KEY") || has("SYMBOL") || has("SYMBOLS") {
        Some(Heading::Legend)
    } else {
        None
    }
}

/// The page's headings: where each is and what it makes of the rows under it. A line can
/// span the sheet, so headings are looked for in its phrases (words set close together).
fn headings(words: &[Word], lines: &[Vec<usize>]) -> Vec<(BBox, Heading)> {
    let mut out = Vec::new();
    for line in lines {
        let mut start = 0;
        for end in 1..=line.len() {
            let split = end == line.len() || {
                let (a, b) = (&words[line[end - 1]], &words[line[end]]);
                b.bbox.x0 - a.bbox.x1 > ENTRY_GAP * a.height().max(b.height())
            };
            if !split {
                continue;
            }
            let phrase = &line[start..end];
            start = end;
            let text: Vec<String> = phrase
                .iter()
                .map(|&k| {
                    words[k]
                        .text
                        .trim_matches(|c: char| !c.is_alphanumeric())
                        .to_ascii_uppercase()
                })
                .collect();
            // A heading is short; a sentence that mentions a schedule is a note.
            if text.len() > 6 {
                continue;
            }
            if let Some(kind) = heading_kind(&text)
                && out.len() < MAX_HEADINGS
            {
                let bbox = phrase
                    .iter()
                    .fold(words[phrase[0]].bbox, |b, &k| b.union(words[k].bbox));
                out.push((bbox, kind));
            }
        }
    }
    out
}

/// The heading that owns a row at `at`: the nearest above it, over its column.
fn owner(headings: &[(BBox, Heading)], at: BBox) -> Option<Heading> {
    headings
        .iter()
        .filter(|(h, _)| {
            let hh = h.height().max(at.height());
            at.y0 >= h.y0
                && at.y0 - h.y1 <= HEADING_REACH * hh
                && at.x0 >= h.x0 - 40.0 * hh
                && at.x0 <= h.x1 + 60.0 * hh
        })
        .min_by(|a, b| (at.y0 - a.0.y1).total_cmp(&(at.y0 - b.0.y1)))
        .map(|(_, kind)| *kind)
}

/// Whether a plan label could be a tag some legend defines (one with a digit: bare letters
/// are too common to carry across sheets).
pub(crate) fn plan_tag(text: &str) -> bool {
    TAG.is_match(text)
}

fn is_tag(text: &str, heading: Option<Heading>) -> bool {
    TAG.is_match(text)
        || (LETTERS.is_match(text)
            && !WORDS.contains(&text)
            && matches!(heading, Some(Heading::Schedule | Heading::Legend)))
}

/// What a row's cells say, trying the first few: a schedule puts the maker before the
/// description (`L4 | LITHONIA | 2x4 LED TROFFER`).
fn describe(cells: &[Vec<&str>], vocabulary: &Vocabulary) -> Option<(String, Meaning)> {
    cells.iter().take(MAX_CELLS).find_map(|cell| {
        let text = cell.join(" ");
        vocabulary.classify(&text).map(|m| (text, m))
    })
}

/// The legend rows of a page.
pub(crate) fn rows(
    words: &[Word],
    lines: &[Vec<usize>],
    vocabulary: &Vocabulary,
    deadline: Deadline,
) -> Result<Vec<LegendRow>, PastDeadline> {
    let heads = headings(words, lines);
    // A legend or schedule with a quantity column prints each tag's count last in its row.
    let counted = words.iter().any(|w| {
        let t = w.text.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_uppercase();
        t == "QTY" || t == "QUANTITY"
    });
    let mut rows = Vec::new();
    for line in lines {
        let mut i = 0;
        while i < line.len() {
            deadline.check()?;
            let w = &words[line[i]];
            let gap_before = |j: usize| {
                let (a, b) = (&words[line[j - 1]], &words[line[j]]);
                b.bbox.x0 - a.bbox.x1
            };
            let starts_entry = i == 0 || gap_before(i) > ENTRY_GAP * w.height();
            let tag = w.text.trim_end_matches([':', '.', ',']);
            let heading = owner(&heads, w.bbox);
            if !starts_entry || heading == Some(Heading::NotALegend) || !is_tag(tag, heading) {
                i += 1;
                continue;
            }
            // The row runs to the next word that starts another entry with a tag; its cells
            // are cut at wide gaps.
            let mut cells: Vec<Vec<&str>> = Vec::new();
            let mut end = i + 1;
            while end < line.len() {
                let (prev, next) = (&words[line[end - 1]], &words[line[end]]);
                let gap = gap_before(end);
                let h = next.height().min(prev.height());
                if (gap > ENTRY_GAP * h && is_tag(&next.text, heading))
                    || gap > MAX_ROW_GAP * h
                    || !same_line(prev, next)
                {
                    break;
                }
                match cells.last_mut() {
                    Some(cell) if gap <= CELL_GAP * h => cell.push(next.text.as_str()),
                    _ => cells.push(vec![next.text.as_str()]),
                }
                end += 1;
            }
            let words_in_row: usize = cells.iter().map(Vec::len).sum();
            let prose =
                words_in_row > MAX_DESCRIPTION_WORDS || cells.iter().flatten().any(|d| d.eq_ignore_ascii_case("shall"));
            if !prose && let Some((description, meaning)) = describe(&cells, vocabulary) {
                let bbox = line[i..end].iter().fold(w.bbox, |b, &k| b.union(words[k].bbox));
                // The count is the row's last cell, or the next word when the quantity column
                // stands further off than a row's cells do.
                let count = |n: &str| n.parse::<u32>().ok().filter(|n| (1..10_000).contains(n));
                let quantity = match cells.last().map(Vec::as_slice) {
                    _ if !counted => None,
                    Some([n]) if cells.len() > 1 && count(n).is_some() => count(n),
                    _ => line
                        .get(end)
                        .filter(|_| gap_before(end) <= QUANTITY_REACH * w.height())
                        .and_then(|&k| count(&words[k].text)),
                };
                rows.push(LegendRow {
                    tag: tag.to_owned(),
                    description,
                    meaning,
                    bbox,
                    headed: heading.is_some(),
                    words: line[i..end].to_vec(),
                    quantity,
                });
            }
            i = end;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;
    use drawings_core::ComponentType;

    fn legend(runs: &[drawings_core::ports::TextRun]) -> Vec<LegendRow> {
        let (words, lines) = layout(runs);
        rows(&words, &lines, &Vocabulary::default(), Deadline::none()).unwrap()
    }

    #[test]
    fn a_tag_and_its_description_on_one_line_make_a_row() {
        let r = legend(&[
            run("L4", 10.0, 10.0, 20.0, 16.0),
            run("2x4", 40.0, 10.0, 55.0, 16.0),
            run("LED", 57.0, 10.0, 70.0, 16.0),
            run("TROFFER", 72.0, 10.0, 100.0, 16.0),
        ]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].tag, "L4");
        assert_eq!(r[0].meaning.kind, ComponentType::Luminaire);
        assert_eq!(r[0].description, "2x4 LED TROFFER");
    }

    #[test]
    fn a_schedule_row_is_read_cell_by_cell_past_the_maker() {
        let r = legend(&[
            run("F1", 10.0, 10.0, 20.0, 16.0),
            run("LITHONIA", 60.0, 10.0, 100.0, 16.0),
            run("SUSPENDED", 160.0, 10.0, 200.0, 16.0),
            run("LINEAR", 202.0, 10.0, 230.0, 16.0),
            run("LED", 232.0, 10.0, 245.0, 16.0),
        ]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].meaning.kind, ComponentType::Luminaire);
        assert_eq!(r[0].description, "SUSPENDED LINEAR LED");
    }

    #[test]
    fn a_quantity_column_gives_each_row_its_printed_count() {
        let r = legend(&[
            run("LUMINAIRE", 10.0, 0.0, 60.0, 8.0),
            run("SCHEDULE", 62.0, 0.0, 110.0, 8.0),
            run("QTY", 300.0, 0.0, 320.0, 8.0),
            run("L4", 10.0, 20.0, 20.0, 26.0),
            run("LED", 40.0, 20.0, 55.0, 26.0),
            run("TROFFER", 57.0, 20.0, 90.0, 26.0),
            run("20", 300.0, 20.0, 310.0, 26.0),
        ]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].quantity, Some(20));
        assert_eq!(r[0].description, "LED TROFFER");
    }

    #[test]
    fn two_legend_columns_on_one_line_are_two_rows() {
        let r = legend(&[
            run("P5", 10.0, 10.0, 20.0, 16.0),
            run("DUPLEX", 30.0, 10.0, 60.0, 16.0),
            run("RECEPTACLE", 62.0, 10.0, 110.0, 16.0),
            run("S1", 200.0, 10.0, 210.0, 16.0),
            run("SWITCH", 220.0, 10.0, 250.0, 16.0),
        ]);
        let tags: Vec<(&str, ComponentType)> = r.iter().map(|r| (r.tag.as_str(), r.meaning.kind)).collect();
        assert_eq!(tags, [("P5", ComponentType::Receptacle), ("S1", ComponentType::Switch)]);
    }

    #[test]
    fn bare_letters_are_tags_only_under_a_schedule_heading_and_never_under_abbreviations() {
        let row = [
            run("A", 10.0, 30.0, 16.0, 36.0),
            run("RECESSED", 30.0, 30.0, 70.0, 36.0),
            run("DOWNLIGHT", 72.0, 30.0, 110.0, 36.0),
        ];
        assert!(legend(&row).is_empty());
        let mut headed = vec![
            run("LUMINAIRE", 10.0, 10.0, 60.0, 18.0),
            run("SCHEDULE", 62.0, 10.0, 110.0, 18.0),
        ];
        headed.extend(row);
        let r = legend(&headed);
        assert_eq!(r.len(), 1);
        assert!(r[0].headed);
        let abbreviations = [
            run("ABBREVIATIONS", 10.0, 10.0, 80.0, 18.0),
            run("TEL", 10.0, 30.0, 26.0, 36.0),
            run("TELEPHONE", 40.0, 30.0, 90.0, 36.0),
        ];
        assert!(legend(&abbreviations).is_empty());
    }

    #[test]
    fn structural_marks_and_notes_teach_nothing() {
        assert!(legend(&[run("P1", 10.0, 10.0, 20.0, 16.0), run("PIER", 30.0, 10.0, 50.0, 16.0)]).is_empty());
        let note: Vec<_> = "ALL RECEPTACLES SHALL BE TAMPER RESISTANT"
            .split(' ')
            .enumerate()
            .map(|(n, w)| run(w, 30.0 + 60.0 * n as f32, 10.0, 80.0 + 60.0 * n as f32, 16.0))
            .chain([run("P5", 10.0, 10.0, 20.0, 16.0)])
            .collect();
        assert!(legend(&note).is_empty());
    }
}
