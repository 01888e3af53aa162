//! Door schedules: a table under a `DOOR SCHEDULE` heading lists one door per row, its
//! number in the first column (`100a`, `128A.1`, `D-101`, `EQ01`). Each row is a door in the
//! schedule, even when the sheet has no plan: the schedule is the list an estimator counts.
//!
//! The first column is found as the left edge most row-leading door numbers share, so the
//! table's other columns of numbers (room numbers, sizes, detail references) never count.

use crate::budget::{Deadline, PastDeadline};
use crate::words::Word;
use drawings_core::BBox;
use regex::Regex;
use std::sync::LazyLock;

/// A door number: digits with an optional letter and leaf suffix, or a short prefix and digits.
static DOOR_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Z]{0,4}-?\d{1,4}[A-Za-z]?(?:[.-]\d{1,2}[A-Za-z]?)?)$").expect("door number pattern")
});
/// Rows further apart than this many text heights end the table.
const MAX_ROW_GAP: f32 = 6.0;
/// Fewest rows that make a table.
const MIN_ROWS: usize = 3;

/// One door row: its number and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DoorRow {
    pub number: String,
    pub bbox: BBox,
}

/// Whether the line holds `DOOR SCHEDULE` (or `SCHEDULE OF DOORS`).
fn is_heading(words: &[Word], line: &[usize]) -> bool {
    let text: Vec<String> = line.iter().map(|&k| words[k].text.to_ascii_uppercase()).collect();
    text.windows(2)
        .any(|w| (w[0] == "DOOR" && w[1].starts_with("SCHEDULE")) || (w[0] == "OF" && w[1].starts_with("DOORS")))
}

/// The door rows of every door schedule on the page.
pub(crate) fn rows(words: &[Word], lines: &[Vec<usize>], deadline: Deadline) -> Result<Vec<DoorRow>, PastDeadline> {
    let mut out = Vec::new();
    for (at, heading) in lines.iter().enumerate().filter(|(_, l)| is_heading(words, l)) {
        // Each heading looks at every line below it, each row at the rows before it.
        deadline.check()?;
        let top = words[heading[0]].bbox;
        // The row-leading door numbers below the heading, in its half of the sheet.
        let leading: Vec<&Word> = lines[at + 1..]
            .iter()
            .filter_map(|l| l.first().map(|&k| &words[k]))
            .filter(|w| w.bbox.x0 >= top.x0 - 80.0 * top.height() && DOOR_NUMBER.is_match(&w.text))
            .collect();
        let Some(edge) = common_left_edge(&leading) else {
            continue;
        };
        let mut last: Option<BBox> = None;
        for w in leading.iter().filter(|w| (w.bbox.x0 - edge).abs() <= w.height()) {
            if last.is_some_and(|l| w.bbox.y0 - l.y1 > MAX_ROW_GAP * w.height()) {
                break;
            }
            deadline.check()?;
            if !out.iter().any(|r: &DoorRow| r.number == w.text) {
                out.push(DoorRow {
                    number: w.text.clone(),
                    bbox: w.bbox,
                });
            }
            last = Some(w.bbox);
        }
    }
    Ok(out)
}

/// The left edge shared by the most words (within a text height), if at least [`MIN_ROWS`]
/// share it: a sliding window over the sorted edges, so a page of many rows stays linear.
fn common_left_edge(words: &[&Word]) -> Option<f32> {
    let mut edges: Vec<(f32, f32)> = words.iter().map(|w| (w.bbox.x0, w.height())).collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(usize, f32)> = None;
    let mut start = 0;
    for end in 0..edges.len() {
        while edges[end].0 - edges[start].0 > edges[end].1 {
            start += 1;
        }
        let n = end - start + 1;
        if n >= MIN_ROWS && best.is_none_or(|(m, _)| n > m) {
            best = Some((n, edges[start].0));
        }
    }
    best.map(|(_, x)| x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::layout;
    use crate::words::tests::run;

    #[test]
    fn each_row_of_a_door_schedule_is_a_door_and_other_number_columns_are_not() {
        let mut runs = vec![
            run("DOOR", 100.0, 50.0, 130.0, 60.0),
            run("SCHEDULE", 132.0, 50.0, 190.0, 60.0),
        ];
        for (n, number) in ["100a", "100b", "101", "EQ01"].iter().enumerate() {
            let y = 80.0 + 13.0 * n as f32;
            runs.push(run(number, 150.0, y, 170.0, y + 9.0));
            runs.push(run("CLASSROOM", 200.0, y, 250.0, y + 9.0));
            runs.push(run("100", 260.0, y, 275.0, y + 9.0));
        }
        runs.push(run("999", 150.0, 900.0, 165.0, 909.0));
        let (words, lines) = layout(&runs);
        let numbers: Vec<String> = rows(&words, &lines, Deadline::none())
            .unwrap()
            .into_iter()
            .map(|r| r.number)
            .collect();
        assert_eq!(numbers, ["100a", "100b", "101", "EQ01"]);
    }

    #[test]
    fn numbers_without_a_door_schedule_heading_are_not_doors() {
        let runs: Vec<_> = (0..5)
            .map(|n| {
                run(
                    &format!("10{n}"),
                    150.0,
                    80.0 + 13.0 * n as f32,
                    170.0,
                    89.0 + 13.0 * n as f32,
                )
            })
            .collect();
        let (words, lines) = layout(&runs);
        assert!(rows(&words, &lines, Deadline::none()).unwrap().is_empty());
    }
}
