//! What the model is told: the system instruction (what a security drawing's devices are and
//! the rules for ids) and the per-page prompt, which passes on hints from the page's text
//! layer: tag-like tokens with their positions, the legend's lines and room labels. The text
//! layer spells tags exactly where the image may be small or blurred, and the legend tells the
//! model what the symbols mean.
//!
//! The page prompt is deterministic (same page, same string) and capped, so a dense sheet
//! cannot blow the token budget.

use drawings_core::BBox;
use drawings_core::ports::{PageInput, PageText, TextLine, TextRun};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The system instruction for every page.
pub const SYSTEM_INSTRUCTION: &str = "\
You read security and building-services drawings (access control, CCTV, intruder alarm, intercom) \
and list the security devices drawn on one page.

List one entry per device, with its type:
- door: a door that is tagged or access-controlled.
- access_point: one tag that stands for a whole controlled door (reader, lock and exit device), e.g. a tag box like \"A B2 005 BB\".
- card_reader: card, fob, PIN or biometric readers.
- exit_button: request-to-exit (REX), push-to-exit and exit buttons.
- lock: electric locks (maglock, electric strike, motor lock); put the lock's type code as written (ML, ES, E1, ...) in lock_type.
- position_switch: door position switches and door contacts (DPS, DC).
- camera: CCTV cameras; put fixed, dome, ptz, bullet, fisheye, ... in camera_type, and what the camera looks at (from its field-of-view symbol and the rooms around it) in coverage.
- intercom: intercom, door-entry and help or call stations.
- other: a security device that fits none of these (detector, alarm keypad, panel, sounder, ...); say what it is in reason.

Rules:
- id: copy each device's tag exactly as written on the drawing, with its spaces and separators. Never invent, complete or renumber a tag. \
When a device has no tag, use the id {type}-p{page}-{n} (e.g. camera-p3-1, numbered from 1 on the page), say \"untagged\" in reason and give confidence 0.5 or less.
- List each device once, even when its tag is written twice (on the plan and in a schedule or note).
- When the page has a legend, key or symbol table, use it to decide what each symbol is. \
Never list the legend's own sample symbols, the title block, revision table, notes or drawing references as devices; placeholder tags such as \"? XX 000 XX\" are not devices.
- Sheet numbers, detail references, grid lines, dimensions and room numbers are not device tags.
- location: the room or area the device is in, as named on the drawing; null when no name is near.
- bbox: the box around the device's tag (or its symbol when untagged), as fractions 0..1 of the page width and height, origin at the top-left corner; null when unsure.
- confidence: 0..1, how sure you are that this is a real device of this type with this id.
- reason: one short sentence saying what you saw (tag text, symbol, legend entry).
- legend_found: whether the page has a legend, key or symbol table. notes: what limited your reading, or null.
- The user's message passes on hints from the PDF's text layer. Tags are spelled exactly there, so prefer that spelling; \
the drawing itself decides what is a device.
- A page with no security devices (cover sheet, notes, architectural detail) gets an empty components list.

Answer only with JSON in the response schema: no prose, no code fences.";

/// Most candidate tags passed on; a dense sheet has hundreds, and each costs about 10 tokens.
pub const MAX_TAGS: usize = 200;
/// Most legend lines passed on.
pub const MAX_LEGEND_LINES: usize = 40;
/// Most room labels passed on.
pub const MAX_ROOMS: usize = 60;

/// Ids like `A-101-DR-B2`, `CR-01`, `A.101.DR.B2`: a letter first, separated parts, a digit
/// somewhere (checked apart). Starting with a letter keeps out `1.5M` and dates.
static ID_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z][A-Z0-9]*(?:[-._][A-Z0-9]+)+\b"));
/// Tag boxes `A B2 005 BB`: system letter, level, point number, package (the text-layer
/// analyzer's rule; `GRID A 12 345 67` does not match).
static TAG_BOX: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z] (?:[A-Z]{0,2}\d{1,2}|[A-Z]{1,2}) \d{3} [A-Z]{2}\b"));
/// A legend heading: a short line naming a legend or symbols (`LEGEND`, `SECURITY LEGEND`,
/// `Legend of commonly used symbols`, `SYMBOL KEY`, `KEY TO SYMBOLS`), or `KEY` alone. Not `KEY PLAN` (a location plan) nor
/// `KEY SWITCH` (a device).
static LEGEND_HEADING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:[A-Z&/ -]*\b(?:LEGEND|SYMBOLS?)\b[A-Z&/ -]*|KEY)\s*:?$"));
/// Headings that end a legend block below it.
static OTHER_HEADING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:GENERAL )?(?:NOTES?|REVISIONS?|DRAWING TITLE|TITLE|ABBREVIATIONS)\s*:?$"));

/// Words that name a room (a short list: the text-layer analyzer keeps the full one).
const ROOM_WORDS: &str = "ATRIUM CAFE CANTEEN CLEANER CLEANERS COMMS CORRIDOR CUPBOARD ENTRANCE FOYER GYM HALL \
    KITCHEN LAB LIFT LOBBY LOUNGE MEETING OFFICE PANTRY PLANT PLANTROOM RECEPTION RISER ROOM SERVER STAIR STAIRS STORE \
    STOREROOM TOILET TOILETS WC WORKSHOP";

fn re(pattern: &str) -> Regex {
    // The patterns are literals checked by the tests; failing here is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// The user prompt for one page.
pub fn page_prompt(input: &PageInput) -> String {
    let text = &input.text;
    let page = input.page + 1;
    let mut out = format!("This is page {page} of {}.", input.page_count);
    if text.width_pt > 0.0 && text.height_pt > 0.0 {
        let orientation = if text.width_pt >= text.height_pt {
            "landscape"
        } else {
            "portrait"
        };
        out.push_str(&format!(
            " The page is {:.0} × {:.0} pt, {orientation}.",
            text.width_pt, text.height_pt
        ));
    }
    out.push_str(&format!(
        " An untagged device on this page gets an id like camera-p{page}-1.\n\n"
    ));

    let phrases = phrases(text);
    if phrases.is_empty() {
        out.push_str("This page has no text layer: read every tag and label from the image.\n");
    } else {
        if text.unreadable_chars > 0 {
            out.push_str(&format!(
                "The text layer lost {} characters it could not decode (CAD fonts): some tags may be \
                 only in the image, so read the image and do not rely on the text layer alone.\n\n",
                text.unreadable_chars
            ));
        }
        let in_legend = legend_mask(&phrases, text);
        write_tags(&mut out, &phrases, &in_legend, text);
        write_legend(&mut out, &phrases, &in_legend);
        write_rooms(&mut out, &phrases, &in_legend, text);
    }
    out.push_str("List every security device on this page in the response schema.");
    out
}

/// A phrase of the text layer: runs side by side on one line, joined by spaces, left to
/// right, with each run's span. Lines span the whole sheet, so a room label and the plan
/// text at its height are one line; a wide gap splits them into phrases.
struct Phrase {
    text: String,
    spans: Vec<(usize, usize, BBox)>,
    bbox: BBox,
}

/// Widest gap between the runs of one phrase, in text heights (a tag box leaves about one).
const MAX_PHRASE_GAP: f32 = 2.0;

impl Phrase {
    fn new(run: &TextRun, words: String) -> Phrase {
        Phrase {
            spans: vec![(0, words.len(), run.bbox)],
            text: words,
            bbox: run.bbox,
        }
    }

    fn push(&mut self, run: &TextRun, words: &str) {
        self.text.push(' ');
        let start = self.text.len();
        self.text.push_str(words);
        self.spans.push((start, self.text.len(), run.bbox));
        self.bbox = self.bbox.union(run.bbox);
    }

    /// The union of the runs under `start..end` of the phrase's text.
    fn bbox_of(&self, start: usize, end: usize) -> BBox {
        self.spans
            .iter()
            .filter(|(s, e, _)| *s < end && *e > start)
            .map(|(_, _, b)| *b)
            .reduce(BBox::union)
            .unwrap_or(self.bbox)
    }
}

/// The page's phrases in reading order. Lines are the engine's own when it stored them, else
/// runs grouped the way the PDF engine does it (a run joins a line when its centre is inside
/// the line's first run).
fn phrases(text: &PageText) -> Vec<Phrase> {
    let lines: Vec<Vec<&TextRun>> = if text.lines.is_empty() {
        let mut runs: Vec<&TextRun> = text.runs.iter().collect();
        runs.sort_by(|a, b| {
            a.bbox
                .center()
                .1
                .total_cmp(&b.bbox.center().1)
                .then(a.bbox.x0.total_cmp(&b.bbox.x0))
        });
        let mut lines: Vec<(BBox, Vec<&TextRun>)> = Vec::new();
        for run in runs {
            let y = run.bbox.center().1;
            match lines.last_mut() {
                Some((first, members)) if y >= first.y0 && y <= first.y1 => members.push(run),
                _ => lines.push((run.bbox, vec![run])),
            }
        }
        lines.into_iter().map(|(_, members)| members).collect()
    } else {
        let line_runs = |l: &TextLine| {
            let start = l.first_run as usize;
            let runs = text.runs.get(start..start.saturating_add(l.run_count as usize));
            runs.unwrap_or_default().iter().collect()
        };
        text.lines.iter().map(line_runs).collect()
    };
    let mut phrases = Vec::new();
    for mut line in lines {
        line.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        let mut current: Option<(Phrase, BBox)> = None;
        for run in line {
            let words = run.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if words.is_empty() {
                continue;
            }
            match current.as_mut() {
                Some((phrase, last))
                    if run.bbox.x0 - last.x1 <= MAX_PHRASE_GAP * last.height().min(run.bbox.height()) =>
                {
                    phrase.push(run, &words);
                    *last = run.bbox;
                }
                _ => phrases.extend(current.replace((Phrase::new(run, words), run.bbox)).map(|(p, _)| p)),
            }
        }
        phrases.extend(current.map(|(p, _)| p));
    }
    phrases
}

/// A page position as thousandths of the width and height; `None` when the size is unknown.
type Position = Option<(u32, u32)>;

/// A point as thousandths of the page width and height (integers sort and print the same
/// way every time); `None` when the page size is unknown.
fn position(b: BBox, text: &PageText) -> Position {
    let (x, y) = b.center();
    let fraction = |v: f32, size: f32| {
        (size > 0.0)
            .then(|| (v / size).clamp(0.0, 1.0) * 1000.0)
            .map(|f| f.round() as u32)
    };
    Some((fraction(x, text.width_pt)?, fraction(y, text.height_pt)?))
}

fn at(position: Position) -> String {
    position.map_or_else(String::new, |(x, y)| {
        format!(" at ({:.3}, {:.3})", x as f32 / 1000.0, y as f32 / 1000.0)
    })
}

/// Entries once each (first occurrence), sorted top to bottom, left to right, then by text.
fn sorted_unique(found: Vec<(String, Position)>) -> Vec<(String, Position, usize)> {
    let mut by_text: HashMap<String, (Position, usize)> = HashMap::new();
    for (text, pos) in found {
        by_text.entry(text).or_insert((pos, 0)).1 += 1;
    }
    let mut list: Vec<_> = by_text.into_iter().map(|(t, (p, n))| (t, p, n)).collect();
    list.sort_by(|a, b| (a.1.map(|(x, y)| (y, x)), &a.0).cmp(&(b.1.map(|(x, y)| (y, x)), &b.0)));
    list
}

/// `heading`, then the first `cap` items as a list, then how many were left out.
fn write_capped(out: &mut String, heading: &str, items: &[String], cap: usize) {
    out.push_str(heading);
    out.push('\n');
    for item in items.iter().take(cap) {
        out.push_str(&format!("- {item}\n"));
    }
    if items.len() > cap {
        out.push_str(&format!("({} more not listed)\n", items.len() - cap));
    }
    out.push('\n');
}

/// Tag-like text, each once; a tag in the legend is marked, as it is a sample, not a device.
fn write_tags(out: &mut String, phrases: &[Phrase], in_legend: &[bool], text: &PageText) {
    let mut found = Vec::new();
    for (phrase, &legend) in phrases.iter().zip(in_legend) {
        let mark = if legend { " (in the legend)" } else { "" };
        let has_digit = |m: &regex::Match<'_>| m.as_str().bytes().any(|b| b.is_ascii_digit());
        for m in ID_TAG
            .find_iter(&phrase.text)
            .filter(has_digit)
            .chain(TAG_BOX.find_iter(&phrase.text))
        {
            found.push((
                format!("{}{mark}", m.as_str()),
                position(phrase.bbox_of(m.start(), m.end()), text),
            ));
        }
    }
    let tags: Vec<String> = sorted_unique(found)
        .into_iter()
        .map(|(tag, pos, n)| {
            format!(
                "{tag}{}{}",
                at(pos),
                if n > 1 { format!(" x{n}") } else { String::new() }
            )
        })
        .collect();
    if tags.is_empty() {
        out.push_str("The text layer holds no tag-like text: read the tags from the image.\n\n");
        return;
    }
    let heading = "Tag-like text in the text layer (exact spelling; position = centre as fractions of the page \
                   width and height; xN = written N times). Not every one is a device: sheet, detail and grid \
                   references look alike.";
    write_capped(out, heading, &tags, MAX_TAGS);
}

/// Whether a phrase heads a legend.
fn is_legend_heading(phrase: &str) -> bool {
    phrase.split(' ').count() <= 6 && LEGEND_HEADING.is_match(phrase)
}

/// Which phrases are the legend's: below a heading, in a column from its left edge, until
/// another heading, a wide vertical gap or a third of the page down (a legend is a block, not
/// the whole sheet).
fn legend_mask(phrases: &[Phrase], text: &PageText) -> Vec<bool> {
    let (w, h) = (text.width_pt.max(0.0), text.height_pt.max(0.0));
    let mut picked = vec![false; phrases.len()];
    for (k, head) in phrases.iter().enumerate().filter(|(_, p)| is_legend_heading(&p.text)) {
        picked[k] = true;
        let max_gap = 6.0 * head.bbox.height();
        let mut bottom = head.bbox.y1;
        for (n, p) in phrases.iter().enumerate().skip(k + 1) {
            let in_column = w == 0.0 || (p.bbox.x0 >= head.bbox.x0 - w * 0.05 && p.bbox.x0 <= head.bbox.x0 + w * 0.3);
            if !in_column || p.bbox.y0 < head.bbox.y0 {
                continue;
            }
            let too_far = p.bbox.y0 - bottom > max_gap || (h > 0.0 && p.bbox.y0 > head.bbox.y1 + h / 3.0);
            if too_far || OTHER_HEADING.is_match(&p.text) {
                break;
            }
            picked[n] = true;
            bottom = bottom.max(p.bbox.y1);
        }
    }
    picked
}

fn write_legend(out: &mut String, phrases: &[Phrase], in_legend: &[bool]) {
    let legend = phrases.iter().zip(in_legend).filter(|(_, legend)| **legend);
    let legend: Vec<String> = legend.map(|(p, _)| p.text.clone()).collect();
    if legend.is_empty() {
        out.push_str("No legend, key or symbol table was found in the text layer; look for one in the image.\n\n");
        return;
    }
    let heading = "The page has a legend (key, symbol table): use it to map symbols to types. Its text, top to bottom:";
    write_capped(out, heading, &legend, MAX_LEGEND_LINES);
}

/// Room labels: short phrases in capitals holding a room word (`OFFICE 101`, `SERVER ROOM`).
fn write_rooms(out: &mut String, phrases: &[Phrase], in_legend: &[bool], text: &PageText) {
    let is_room = |p: &Phrase| {
        let words: Vec<&str> = p.text.split(' ').collect();
        words.len() <= 4
            && !p.text.chars().any(char::is_lowercase)
            && words.iter().any(|w| ROOM_WORDS.split_whitespace().any(|r| r == *w))
    };
    let rooms = phrases
        .iter()
        .zip(in_legend)
        .filter(|(p, legend)| !**legend && is_room(p));
    let rooms = rooms.map(|(p, _)| (p.text.clone(), position(p.bbox, text))).collect();
    let rooms: Vec<String> = sorted_unique(rooms)
        .into_iter()
        .map(|(room, pos, _)| room + &at(pos))
        .collect();
    if !rooms.is_empty() {
        write_capped(out, "Room labels in the text layer (for location):", &rooms, MAX_ROOMS);
    }
}

#[cfg(test)]
mod tests;
