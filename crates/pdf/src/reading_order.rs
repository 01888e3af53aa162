//! Reading order: runs sorted into lines (top to bottom) and, within a line, left to right,
//! with each line's box recorded so a reader of `pages/{n}.text.json` gets lines without
//! redoing the grouping.

use drawings_core::BBox;
use drawings_core::ports::{TextLine, TextRun};

/// Sorts runs top to bottom, then left to right within a line. A run joins the current line
/// when its vertical centre falls inside the line's first run, which tolerates baseline
/// jitter and mixed font sizes without chaining a whole column into one line. Vertical
/// words (tall and narrow, e.g. a date up the side of a title block) would span many lines
/// and pull them together, so each one stands as a line of its own at its centre.
pub(crate) fn in_reading_order(runs: Vec<TextRun>) -> (Vec<TextRun>, Vec<TextLine>) {
    let by_centre_then_left = |a: &TextRun, b: &TextRun| {
        a.bbox
            .center()
            .1
            .total_cmp(&b.bbox.center().1)
            .then(a.bbox.x0.total_cmp(&b.bbox.x0))
    };
    let (mut vertical, mut horizontal): (Vec<TextRun>, Vec<TextRun>) = runs
        .into_iter()
        .partition(|run| run.text.chars().count() > 1 && run.bbox.height() > run.bbox.width());
    horizontal.sort_by(by_centre_then_left);
    vertical.sort_by(by_centre_then_left);

    let mut lines: Vec<(BBox, Vec<TextRun>)> = Vec::new();
    for run in horizontal {
        let centre_y = run.bbox.center().1;
        match lines.last_mut() {
            Some((first, members)) if centre_y >= first.y0 && centre_y <= first.y1 => members.push(run),
            _ => lines.push((run.bbox, vec![run])),
        }
    }
    lines.extend(vertical.into_iter().map(|run| (run.bbox, vec![run])));
    // Stable: lines keep their order among equals, vertical words go after a line at the
    // same height.
    lines.sort_by(|(a, _), (b, _)| a.center().1.total_cmp(&b.center().1));
    let mut ordered = Vec::new();
    let mut text_lines = Vec::with_capacity(lines.len());
    for (_, mut members) in lines {
        members.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        let bbox = members.iter().map(|r| r.bbox).reduce(BBox::union);
        if let Some(bbox) = bbox {
            text_lines.push(TextLine {
                bbox,
                first_run: ordered.len() as u32,
                run_count: members.len() as u32,
            });
        }
        ordered.extend(members);
    }
    (ordered, text_lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(runs: &[TextRun]) -> Vec<&str> {
        runs.iter().map(|r| r.text.as_str()).collect()
    }

    #[test]
    fn runs_are_ordered_top_to_bottom_then_left_to_right() {
        let run = |text: &str, x0: f32, y0: f32| TextRun {
            text: text.into(),
            bbox: BBox {
                x0,
                y0,
                x1: x0 + 20.0,
                y1: y0 + 12.0,
            },
        };
        let (ordered, lines) = in_reading_order(vec![
            run("d", 10.0, 300.0),
            run("b", 200.0, 101.0),
            run("c", 10.0, 200.0),
            run("a", 10.0, 100.0),
        ]);
        assert_eq!(texts(&ordered), ["a", "b", "c", "d"]);
        let spans: Vec<(u32, u32)> = lines.iter().map(|l| (l.first_run, l.run_count)).collect();
        assert_eq!(spans, [(0, 2), (2, 1), (3, 1)], "a and b share a line");
        assert_eq!(lines[0].bbox.x1, 220.0);
    }

    #[test]
    fn a_vertical_word_does_not_merge_the_lines_it_spans() {
        let run = |text: &str, x0: f32, y0: f32, width: f32, height: f32| TextRun {
            text: text.into(),
            bbox: BBox {
                x0,
                y0,
                x1: x0 + width,
                y1: y0 + height,
            },
        };
        let (ordered, lines) = in_reading_order(vec![
            run("right1", 300.0, 100.0, 40.0, 12.0),
            run("left2", 10.0, 114.0, 40.0, 12.0),
            run("left1", 10.0, 100.0, 40.0, 12.0),
            run("02/15/2018", 200.0, 95.0, 12.0, 60.0),
            run("right2", 300.0, 114.0, 40.0, 12.0),
        ]);
        assert_eq!(texts(&ordered), ["left1", "right1", "left2", "right2", "02/15/2018"]);
        assert_eq!(lines.len(), 3, "the vertical word is a line of its own");
    }
}
