//! What the model is told: the system instruction (what a drawing's devices are and the rules
//! for ids) and the per-image prompt, which passes on hints from the page's text layer
//! (tag-like tokens with their positions, the legend's lines, room labels) and the offline
//! analyzer's candidates. The text layer spells tags exactly where the image may be small or
//! blurred, and the legend tells the model what the symbols mean.
//!
//! An image is the whole page or one tile of it ([`TileView`]). For a tile, positions are
//! given in the tile's own fractions, as the model gives its boxes, and only what lies in the
//! tile is listed; the legend is always passed whole, since it usually sits in another tile.
//!
//! The prompt is deterministic (same page, same string) and capped, so a dense sheet cannot
//! blow the token budget.

mod phrases;

use drawings_core::ports::{PageInput, PageText};
use drawings_core::{BBox, Component};
use phrases::{Phrase, legend_mask, phrases};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The system instruction for every page.
pub const SYSTEM_INSTRUCTION: &str = "\
You read building drawings (security and access control, CCTV, intruder alarm, intercom, fire alarm, electrical, lighting) \
and list the devices drawn on one page, the way an estimator counts them for a schedule.

List one entry per device, with its type:
- door: a door that is tagged or access-controlled.
- access_point: one tag that stands for a whole controlled door (reader, lock and exit device), e.g. a tag box like \"A B2 005 BB\".
- card_reader: card, fob, PIN or biometric readers.
- exit_button: request-to-exit (REX), push-to-exit and exit buttons.
- lock: electric locks (maglock, electric strike, motor lock); put the lock's type code as written (ML, ES, E1, ...) in lock_type.
- position_switch: door position switches and door contacts (DPS, DC).
- camera: CCTV cameras; put fixed, dome, ptz, bullet, fisheye, ... in camera_type, and what the camera looks at (from its field-of-view symbol and the rooms around it) in coverage.
- intercom: intercom, door-entry and help or call stations.
- keypad, motion_detector, field_panel (control panel, controller, cabinet): intruder-alarm and access-control equipment.
- smoke_detector, heat_detector, duct_detector, manual_call_point (pull station), sounder, strobe, sounder_strobe (horn/strobe), \
speaker, monitor_module, control_module: fire-alarm devices.
- receptacle (socket), switch, luminaire, exit_sign, emergency_light, distribution_board (panelboard), isolator (disconnect), \
data_outlet: electrical and lighting devices.
- other: a device that fits none of these; say what it is in reason.

Rules:
- id: copy each device's tag exactly as written on the drawing, with its spaces and separators. Never invent, complete or renumber a tag. \
When a device has no tag, use the id {type}-p{page}-{n} (e.g. camera-p3-1, numbered from 1 on the page), say \"untagged\" in reason and give confidence 0.5 or less.
- A type tag that a legend or schedule defines (L4, P5, S1) marks many devices of one kind: list each instance on the plan, \
with tag set to the type tag and the id {tag}:{page}:{n} (e.g. L4:3:1, numbered from 1 on the page). \
Labels printed several times over one another at one spot are one instance.
- List each device once, even when its tag or address is written twice (on the plan and in a schedule, riser or circuit table).
- When the page has a legend, key, symbol table or schedule, use it to decide what each symbol and tag is. \
Never list the legend's own sample symbols, the schedules, the title block, revision table, notes or drawing references as devices; \
placeholder tags such as \"? XX 000 XX\" are not devices.
- Sheet numbers, detail references, grid lines, column and pier marks, footings, dimensions, revision tags and room numbers are not device tags.
- location: the room or area the device is in, as named on the drawing; null when no name is near.
- bbox: the box around the device's tag (or its symbol when untagged), as fractions 0..1 of the image width and height, origin at the top-left corner; null when unsure.
- confidence: 0..1, how sure you are that this is a real device of this type with this id.
- reason: one short sentence saying what you saw (tag text, symbol, legend entry).
- legend_found: whether the page has a legend, key or symbol table. notes: what limited your reading, or null.
- The user's message passes on hints from the PDF's text layer and from an offline analyzer. Tags are spelled exactly there, so prefer that spelling; \
the drawing itself decides what is a device.
- A page with no devices (cover sheet, notes, architectural or structural plan) gets an empty components list.

Answer only with JSON in the response schema: no prose, no code fences.";

/// Most candidate tags passed on; a dense sheet has hundreds, and each costs about 10 tokens.
pub const MAX_TAGS: usize = 200;
/// Most legend lines passed on.
pub const MAX_LEGEND_LINES: usize = 40;
/// Most room labels passed on.
pub const MAX_ROOMS: usize = 60;
/// Most offline-analyzer candidates passed on (each costs about 20 tokens).
pub const MAX_HINTS: usize = 150;
/// Longest evidence quoted for one candidate.
const MAX_HINT_EVIDENCE_CHARS: usize = 80;

/// Ids like `A-101-DR-B2`, `CR-01`, `A.101.DR.B2`: a letter first, separated parts, a digit
/// somewhere (checked apart). Starting with a letter keeps out `1.5M` and dates.
pub(crate) static ID_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Z][A-Z0-9]*(?:[-._][A-Z0-9]+)+\b"));
/// Tag boxes `A B2 005 BB`: system letter, level, point number, package (the text-layer
/// analyzer's rule; `GRID A 12 345 67` does not match).
pub(crate) static TAG_BOX: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Z] (?:[A-Z]{0,2}\d{1,2}|[A-Z]{1,2}) \d{3} [A-Z]{2}\b"));
/// Words that name a room (a short list: the text-layer analyzer keeps the full one).
const ROOM_WORDS: &str = "ATRIUM CAFE CANTEEN CLEANER CLEANERS COMMS CORRIDOR CUPBOARD ENTRANCE FOYER GYM HALL \
    KITCHEN LAB LIFT LOBBY LOUNGE MEETING OFFICE PANTRY PLANT PLANTROOM RECEPTION RISER ROOM SERVER STAIR STAIRS STORE \
    STOREROOM TOILET TOILETS WC WORKSHOP";

pub(crate) fn re(pattern: &str) -> Regex {
    // The patterns are literals checked by the tests; failing here is a programming error.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// One tile of a page, as the prompt describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileView {
    /// 0-based index among the page's tiles.
    pub index: usize,
    /// How many tiles the page has.
    pub count: usize,
    /// The region of the page the tile shows, in points.
    pub region: BBox,
    /// Resolution of the tile image.
    pub dpi: f32,
    /// Which edges of the tile are cuts, where a neighbouring tile goes on: left, top, right,
    /// bottom (the others are the page's own edges).
    pub cuts: [bool; 4],
}

/// The user prompt for one whole page, without candidates.
pub fn page_prompt(input: &PageInput) -> String {
    prompt(input, &[], None)
}

/// The user prompt for the page image (`tile` none) or one tile of it, with the offline
/// analyzer's `hints`.
pub fn prompt(input: &PageInput, hints: &[Component], tile: Option<&TileView>) -> String {
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
    let frame = Frame::of(text, tile);
    if let Some(tile) = tile {
        write_tile(&mut out, tile, text);
    }
    out.push_str(&format!(
        " An untagged device on this page gets an id like camera-p{page}-1.\n\n"
    ));

    let phrases = phrases(text);
    if phrases.is_empty() {
        out.push_str("This page has no text layer: read every tag and label from the image.\n\n");
    } else {
        if text.unreadable_chars > 0 {
            out.push_str(&format!(
                "The text layer lost {} characters it could not decode (CAD fonts): some tags may be \
                 only in the image, so read the image and do not rely on the text layer alone.\n\n",
                text.unreadable_chars
            ));
        }
        let in_legend = legend_mask(&phrases, text);
        write_tags(&mut out, &phrases, &in_legend, &frame);
        write_legend(&mut out, &phrases, &in_legend);
        write_rooms(&mut out, &phrases, &in_legend, &frame);
    }
    write_hints(&mut out, hints, &frame);
    let scope = if tile.is_some() { "in this tile" } else { "on this page" };
    out.push_str(&format!("List every device {scope} in the response schema."));
    out
}

/// Says which part of the page the tile shows and how to treat its edges.
fn write_tile(out: &mut String, tile: &TileView, text: &PageText) {
    let fraction = |v: f32, size: f32| if size > 0.0 { v / size } else { 0.0 };
    let r = tile.region;
    out.push_str(&format!(
        " This image is tile {} of {} of the page, at {:.0} dpi: the region from ({:.3}, {:.3}) to ({:.3}, {:.3}) \
         of the page (fractions of the page width and height). Every position below and every bbox you give is a \
         fraction of this tile image, not of the page.",
        tile.index + 1,
        tile.count,
        tile.dpi,
        fraction(r.x0, text.width_pt),
        fraction(r.y0, text.height_pt),
        fraction(r.x1, text.width_pt),
        fraction(r.y1, text.height_pt),
    ));
    let names = ["left", "top", "right", "bottom"];
    let cuts: Vec<&str> = names
        .iter()
        .zip(tile.cuts)
        .filter(|(_, c)| *c)
        .map(|(n, _)| *n)
        .collect();
    if !cuts.is_empty() {
        out.push_str(&format!(
            " The tiles overlap: a tag cut off at the {} edge is whole in the next tile, so leave it out here.",
            cuts.join(" or ")
        ));
    }
}

/// The part of the page the image shows, in points: positions are fractions of it.
struct Frame {
    region: BBox,
    /// Only what lies inside is listed (a tile); a whole page lists everything.
    clip: bool,
}

impl Frame {
    fn of(text: &PageText, tile: Option<&TileView>) -> Frame {
        match tile {
            Some(t) => Frame {
                region: t.region,
                clip: true,
            },
            None => Frame {
                region: BBox {
                    x0: 0.0,
                    y0: 0.0,
                    x1: text.width_pt.max(0.0),
                    y1: text.height_pt.max(0.0),
                },
                clip: false,
            },
        }
    }

    /// Whether a box belongs to the image: its centre lies in the frame.
    fn shows(&self, b: BBox) -> bool {
        let (x, y) = b.center();
        !self.clip || (x >= self.region.x0 && x <= self.region.x1 && y >= self.region.y0 && y <= self.region.y1)
    }

    /// A box's centre as thousandths of the frame's width and height (integers sort and print
    /// the same way every time); `None` when the size is unknown.
    fn position(&self, b: BBox) -> Position {
        let (x, y) = b.center();
        let r = self.region;
        let fraction = |v: f32, start: f32, size: f32| {
            (size > 0.0)
                .then(|| ((v - start) / size).clamp(0.0, 1.0) * 1000.0)
                .map(|f| f.round() as u32)
        };
        Some((fraction(x, r.x0, r.width())?, fraction(y, r.y0, r.height())?))
    }

    fn of_what(&self) -> &'static str {
        if self.clip { "this tile" } else { "the page" }
    }
}

/// A position as thousandths of the frame's width and height; `None` when the size is unknown.
type Position = Option<(u32, u32)>;

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
fn write_tags(out: &mut String, phrases: &[Phrase], in_legend: &[bool], frame: &Frame) {
    let mut found = Vec::new();
    for (phrase, &legend) in phrases.iter().zip(in_legend) {
        let mark = if legend { " (in the legend)" } else { "" };
        let has_digit = |m: &regex::Match<'_>| m.as_str().bytes().any(|b| b.is_ascii_digit());
        for m in ID_TAG
            .find_iter(&phrase.text)
            .filter(has_digit)
            .chain(TAG_BOX.find_iter(&phrase.text))
        {
            let b = phrase.bbox_of(m.start(), m.end());
            if frame.shows(b) {
                found.push((format!("{}{mark}", m.as_str()), frame.position(b)));
            }
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
        out.push_str(&format!(
            "The text layer holds no tag-like text in {}: read the tags from the image.\n\n",
            frame.of_what()
        ));
        return;
    }
    let heading = format!(
        "Tag-like text in the text layer (exact spelling; position = centre as fractions of {} width and \
         height; xN = written N times). Not every one is a device: sheet, detail and grid references look alike.",
        if frame.clip { "this tile's" } else { "the page" }
    );
    write_capped(out, &heading, &tags, MAX_TAGS);
}

fn write_legend(out: &mut String, phrases: &[Phrase], in_legend: &[bool]) {
    let legend = phrases.iter().zip(in_legend).filter(|(_, legend)| **legend);
    let legend: Vec<String> = legend.map(|(p, _)| p.text.clone()).collect();
    if legend.is_empty() {
        out.push_str("No legend, key or symbol table was found in the text layer; look for one in the image.\n\n");
        return;
    }
    let heading = "The page has a legend (key, symbol table or schedule): use it to map symbols and tags to types. \
                   Its text, top to bottom:";
    write_capped(out, heading, &legend, MAX_LEGEND_LINES);
}

/// Room labels: short phrases in capitals holding a room word (`OFFICE 101`, `SERVER ROOM`).
fn write_rooms(out: &mut String, phrases: &[Phrase], in_legend: &[bool], frame: &Frame) {
    let is_room = |p: &Phrase| {
        let words: Vec<&str> = p.text.split(' ').collect();
        words.len() <= 4
            && !p.text.chars().any(char::is_lowercase)
            && words.iter().any(|w| ROOM_WORDS.split_whitespace().any(|r| r == *w))
    };
    let rooms = phrases
        .iter()
        .zip(in_legend)
        .filter(|(p, legend)| !**legend && is_room(p) && frame.shows(p.bbox));
    let rooms = rooms.map(|(p, _)| (p.text.clone(), frame.position(p.bbox))).collect();
    let rooms: Vec<String> = sorted_unique(rooms)
        .into_iter()
        .map(|(room, pos, _)| room + &at(pos))
        .collect();
    if !rooms.is_empty() {
        write_capped(out, "Room labels in the text layer (for location):", &rooms, MAX_ROOMS);
    }
}

/// The offline analyzer's components, with their evidence: what it read from the legend and
/// the address grammars, for the model to confirm, correct or drop.
fn write_hints(out: &mut String, hints: &[Component], frame: &Frame) {
    let mut listed: Vec<(Position, String)> = hints
        .iter()
        .filter(|c| c.bbox.map_or(!frame.clip, |b| frame.shows(b)))
        .map(|c| {
            let position = c.bbox.and_then(|b| frame.position(b));
            let why = c.evidence.as_deref().or(c.reason.as_deref()).unwrap_or_default();
            let why: String = why.chars().take(MAX_HINT_EVIDENCE_CHARS).collect();
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            };
            (position, format!("{} ({}){}{why}", c.id, c.kind.as_str(), at(position)))
        })
        .collect();
    if listed.is_empty() {
        return;
    }
    listed.sort_by(|a, b| (a.0.map(|(x, y)| (y, x)), &a.1).cmp(&(b.0.map(|(x, y)| (y, x)), &b.1)));
    let items: Vec<String> = listed.into_iter().map(|(_, line)| line).collect();
    let heading = format!(
        "Candidates an offline analyzer found in {} from the text layer (id, type, position, evidence). Check each \
         against the drawing: keep it when the drawing shows that device, correct its type when the drawing says \
         otherwise, leave it out when it is not a device, and add the devices it missed.",
        frame.of_what()
    );
    write_capped(out, &heading, &items, MAX_HINTS);
}

#[cfg(test)]
mod tests;
