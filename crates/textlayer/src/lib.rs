//! The `text-layer` analyzer: reads the devices of a page from its positioned text (the PDF's
//! text layer, or its OCR), offline and deterministically. It is the default analyzer when no
//! Gemini key is set, and the reference the evaluation stage checks a model against.
//!
//! [`read_page`] reads a page the way an estimator does (see `page.rs`): the legend, key and
//! schedule rows teach the sheet's tags through the [`Vocabulary`] (`legend.rs`), each defined
//! tag is counted where it stands on the plan (`count.rs`), device addresses and ids name one
//! device each (`address.rs`), lighting-plot instrument ids (`instruments.rs`) and door
//! schedules (`door_schedule.rs`) list theirs; and the sheet's own tag styles below. A page
//! hands on its legend rows and the tags it does not define, so a set's legend sheet counts
//! on its plan sheets (`drawings_core::schedule::Schedule::build`). Every component says
//! where its type came from (`evidence`); a page with no text says so (`warnings`). The work
//! is near-linear in the words of a page: neighbours are looked up in a grid (`grid.rs`). It
//! is not when thousands of labels sit at one spot, so [`TextLayerAnalyzer`] reads each page
//! within [`ReadingLimits`] (words, time, and pages at once; `budget.rs`), and a page past them
//! fails with `PAGE_TOO_COMPLEX` or `PAGE_ANALYSIS_TIMEOUT`.
//!
//! The sheet's own tag styles, driven by [`TagSchemes`] ([`find_tags`]):
//! - tag boxes: `A B2 005 BB` (system letter, level, point number, package), usually four
//!   separate runs side by side inside a drawn box;
//! - id-style tags: `A-101-DR-B2`, `A.101.DR.B2`, `A_101_DR_B2`, typed by the device code;
//! - equipment tags: `SRA B2 01` (equipment code over or beside a level and point number);
//! - short ids: `A-101`, only for the letters a scheme file lists (none by default).
//!
//! A tag written twice on a page (plan and schedule table) is one component. Its location
//! comes from its schedule row (`A-101-DR-B2 - Main Entrance - ...`), else from the nearest
//! room label for the kinds of tag [`LocationRules`] trusts (not tag boxes, by default: they
//! are callouts on leader lines), else from another tag of the same access point
//! (`A-101-CR-B2` is at door `A-101-DR-B2`). No location is better than a wrong one.
//!
//! `tests/quality.rs` measures precision and recall on the repo's fixtures and the shared
//! corpus (`cargo test -p drawings-textlayer --test quality -- --nocapture`).
//!
//! # Tag scheme file
//!
//! [`TagSchemes::from_json_file`] reads JSON; every field is optional and keeps its default
//! when left out, and an unknown field is an error. `fixtures/tag-schemes.example.json`
//! shows every field.
//!
//! ```json
//! {
//!   "systems":      {"A": {"type": "access_point", "system": "access_control"}},
//!   "device_codes": {"DR": {"type": "door", "system": "access_control"}},
//!   "equipment":    {"SRA": {"type": "other", "system": "security_equipment"}},
//!   "short_ids":    {"A": {"type": "door", "system": "access_control"}},
//!   "room_words":   ["PLATFORM"],
//!   "vocabulary":   [{"words": "fire telephone", "type": "intercom", "system": "fire_alarm"}],
//!   "locations":    {"tag_boxes": false, "id_tags": true,
//!                    "max_distance_heights": 25.0, "max_distance_pt": 150.0}
//! }
//! ```
//!
//! - `vocabulary`: legend description rules tried before the built-in ones (words that must
//!   stand together in a row's description → `{type, system}`; see [`Vocabulary`]).
//! - `systems`: tag-box system letter (one of A-Z) → `{type, system}`; a map given replaces
//!   the defaults (`A` access point, `C` camera, `D` door, `E` electrical, `I` intrusion,
//!   `V` intercom).
//! - `device_codes`: id-style device code (2-4 letters) → `{type, system}`; unknown codes give
//!   `other` with lower confidence. Defaults: `DR` door; `CR` `RD` `RDR` card reader; `EB`
//!   `EX` `REX` `EXB` exit button; `LK` `LC` `ML` `ES` lock; `DC` `PS` `DPS` position switch;
//!   `CAM` `CC` `CM` camera; `IC` `INT` intercom.
//! - `equipment`: equipment code (2-4 letters) → `{type, system}`. Defaults: the CSEC codes
//!   `SRA` `RFP` `LFP` `OIW` `EBW` `VBW` `CBW` `CIW`, as `other` / `security_equipment`.
//! - `short_ids`: letter → `{type, system}` for bare `A-101` ids (letter, dash, three
//!   digits). Empty by default, because `A-101` is how architectural sheets and details are
//!   numbered; list the letters only for a standard that tags devices this way.
//! - `room_words`: capitalised words that name rooms, added to the built-in list.
//! - `locations`: `tag_boxes` / `id_tags` say whether those tags take the nearest room label
//!   (default `false` / `true`; `id_tags` covers id-style, short and equipment tags, which are
//!   written at the device); `max_distance_heights` and `max_distance_pt` bound how far the
//!   label may be, in tag heights and in points.
//!
//! `type` is one of the schedule's types (`drawings_core::ComponentType::ALL`): `door`,
//! `card_reader`, `smoke_detector`, `manual_call_point`, `receptacle`, `luminaire`, ... `other`.
#![warn(missing_docs)]

mod address;
mod addressed;
mod analyzer;
mod budget;
mod count;
mod door_schedule;
mod equipment;
mod grid;
mod instruments;
mod legend;
mod locate;
mod page;
mod rooms;
mod scheme;
mod tags;
mod vocabulary;
mod words;

pub use analyzer::TextLayerAnalyzer;
pub use budget::{ReadingError, ReadingLimits};
pub use page::{PageReading, read_page, read_page_within};
pub use scheme::{LocationRules, SchemeError, TagMeaning, TagSchemes};
pub use vocabulary::{Meaning, Vocabulary, VocabularyRule};

use budget::{Deadline, PastDeadline};
use drawings_core::ports::PageText;
use drawings_core::schedule::normalize_id;
use drawings_core::{Component, ComponentSource};
use std::collections::HashMap;

/// Every tag on a page, in reading order (top to bottom, then left to right), each id once.
/// `page` of each component is `text.page + 1`. No limits: for trusted input; the analyzer
/// reads pages within [`ReadingLimits`].
pub fn find_tags(text: &PageText, schemes: &TagSchemes) -> Vec<Component> {
    // Without a deadline there is nothing to run past.
    find_tags_until(text, schemes, Deadline::none()).unwrap_or_default()
}

/// [`find_tags`], stopping once `deadline` passes.
pub(crate) fn find_tags_until(
    text: &PageText,
    schemes: &TagSchemes,
    deadline: Deadline,
) -> Result<Vec<Component>, PastDeadline> {
    let (words, lines) = words::layout(&text.runs);
    let mut used = vec![false; words.len()];
    // Ids first: their words hold separators, so they never steal a tag box's parts.
    let mut per_line: Vec<Vec<tags::Found>> = Vec::with_capacity(lines.len());
    for line in &lines {
        deadline.check()?;
        let mut on_line = tags::id_tags(&words, line, schemes, &mut used);
        on_line.extend(tags::tag_boxes(&words, line, schemes, &mut used, deadline)?);
        per_line.push(on_line);
    }
    // Equipment last, over the whole page: its level and number may sit on the next line, and
    // must not take the parts of a tag box there.
    let at = grid::words(&words);
    for (line, on_line) in lines.iter().zip(per_line.iter_mut()) {
        on_line.extend(equipment::equipment_tags(
            &words, &at, line, schemes, &mut used, deadline,
        )?);
    }
    let mut found = Vec::new();
    for (line, mut on_line) in lines.iter().zip(per_line) {
        on_line.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        found.extend(on_line.into_iter().map(|f| {
            let row = f
                .word
                .and_then(|at| locate::row_location(&words, line, at, &schemes.room_words));
            (f, row)
        }));
    }
    let labels = rooms::labels(&words, &lines, &used, &schemes.room_words, deadline)?;
    let mut components: Vec<Component> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (f, row) in found {
        // Each tag looks at every room label: many of both is quadratic.
        deadline.check()?;
        let location = row.or_else(|| locate::nearest(&labels, f.bbox, f.rule, &schemes.locations));
        match seen.get(&normalize_id(&f.id)) {
            // A tag written twice (on the plan and in a table or note) is one device; the
            // first keeps its place, and takes a location only the other has.
            Some(&at) => {
                let kept = &mut components[at];
                kept.location = kept.location.take().or(location);
            }
            None => {
                seen.insert(normalize_id(&f.id), components.len());
                components.push(Component {
                    location,
                    id: f.id,
                    kind: f.meaning.kind,
                    system: f.meaning.system,
                    page: text.page + 1,
                    bbox: Some(f.bbox),
                    confidence: f.confidence,
                    source: ComponentSource::TextLayer,
                    reason: Some(f.reason.to_owned()),
                    tag: None,
                    evidence: Some(f.reason.to_owned()),
                });
            }
        }
    }
    locate::share_within_access_points(&mut components);
    Ok(components)
}

#[cfg(test)]
mod location_tests;
#[cfg(test)]
mod tests;
