//! What each measured drawing holds, where it comes from, and the floors its scores must keep.
//!
//! - `fixtures/*.expected.json`: written by the same code that draws the PDFs.
//! - `example_b2_drawing.pdf`: `tests/fixtures/expected/baseline_schedule.json` of
//!   security-design-assistant (doors with locations, card readers, exit buttons; its 15 locks
//!   have no ids, so no id-based score can count them).
//! - `103P3-E34-QCI-40098_Ver1.pdf`: the access points, cameras and security equipment its
//!   legend and plan show, each with the room its device symbol sits in, read off a 400 dpi
//!   render (the tag boxes are callouts; a leader line runs from each to its device).
//! - `drawings/variations/*.pdf`: the ids `scripts/generate_test_variations.py` of that repo
//!   draws (bare `A-101`, `C-101`, `I-201`); they count only under the opt-in `short_ids` of
//!   `fixtures/tag-schemes.example.json`.

use drawings_textlayer::TagSchemes;
use std::path::{Path, PathBuf};

/// Where the truth puts a component.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// The truth does not say.
    Unknown,
    /// One of these rooms or areas.
    Room(Vec<String>),
    /// A room or area no label on the drawing names: only no location is right.
    Unlabelled,
}

/// One component a document shows.
#[derive(Debug, Clone)]
pub struct Expected {
    pub page: u32,
    pub id: String,
    pub kind: String,
    pub place: Place,
}

fn expected(page: u32, id: &str, kind: &str, place: Place) -> Expected {
    Expected {
        page,
        id: id.to_owned(),
        kind: kind.to_owned(),
        place,
    }
}

/// The least a document must score.
#[derive(Debug, Clone)]
pub struct Floors {
    pub precision_id: f64,
    pub recall_id: f64,
    pub precision_type: f64,
    pub recall_type: f64,
    pub right_locations: usize,
    pub wrong_locations: usize,
}

impl Floors {
    /// Every score at 1 and no wrong location: the repo's own fixtures are exact.
    const EXACT: Floors = Floors::new([1.0, 1.0, 1.0, 1.0], 0, 0);
    /// Where the schemes in use must find nothing: precision 1 (no false positive) is the
    /// point, and recall is 0.
    const NOTHING: Floors = Floors::new([1.0, 0.0, 1.0, 0.0], 0, 0);

    const fn new(scores: [f64; 4], right_locations: usize, wrong_locations: usize) -> Floors {
        Floors {
            precision_id: scores[0],
            recall_id: scores[1],
            precision_type: scores[2],
            recall_type: scores[3],
            right_locations,
            wrong_locations,
        }
    }
}

/// A document to measure.
pub struct Doc {
    pub name: String,
    pub pdf: PathBuf,
    pub expected: Vec<Expected>,
    pub schemes: TagSchemes,
    pub floors: Floors,
    pub note: &'static str,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Doc {
    let dir = workspace().join("fixtures");
    let json = read_json(&dir.join(format!("{name}.expected.json")));
    let text = |c: &serde_json::Value, k: &str| c[k].as_str().unwrap_or_default().to_owned();
    let expected = json["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let page = c["page"].as_u64().unwrap_or(0) as u32;
            expected(page, &text(c, "id"), &text(c, "type"), Place::Unknown)
        })
        .collect();
    Doc {
        name: format!("fixtures/{name}"),
        pdf: dir.join(format!("{name}.pdf")),
        expected,
        schemes: TagSchemes::default(),
        floors: Floors::EXACT,
        note: "",
    }
}

/// The baseline schedule: doors (with locations), then the readers and exit buttons, which
/// are at the door of the same number.
fn baseline(json: &serde_json::Value) -> Vec<Expected> {
    let mut out = Vec::new();
    let mut rooms = std::collections::BTreeMap::new();
    for door in json["doors"].as_array().into_iter().flatten() {
        let id = door["id"].as_str().unwrap_or_default();
        let room = door["location"].as_str().unwrap_or_default();
        rooms.insert(number(id), room.to_owned());
        out.push(expected(1, id, "door", Place::Room(vec![room.to_owned()])));
    }
    for (list, kind) in [("card_readers", "card_reader"), ("exit_buttons", "exit_button")] {
        for id in json[list].as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
            let place = rooms
                .get(&number(id))
                .map_or(Place::Unknown, |r| Place::Room(vec![r.clone()]));
            out.push(expected(1, id, kind, place));
        }
    }
    out
}

fn number(id: &str) -> String {
    id.split('-').nth(1).unwrap_or_default().to_owned()
}

/// `(point, room)` of the 20 access points and 9 cameras of the 103P3 sheet: the labelled
/// room the device symbol at the end of the tag's leader line sits in. A door joins two rooms,
/// so either side's label is right (`|`); `-` is a room no label names, where any location is
/// wrong.
const SHEET_103P3_ACCESS: [(u32, &str); 20] = [
    (1, "WATER TANK B216|CORRIDOR B201"),
    (2, "AHU-1 B217|CORRIDOR B201"),
    (3, "ESSENTIAL SWITCH B214"),
    (4, "LTHW PHX B224"),
    (5, "LIFE SAFETY B209"),
    (6, "MNO B211"),
    (7, "PRIMARY LV B222"),
    (8, "-"),
    (9, "CWH PLANTROOM B215|CORRIDOR B201"),
    (10, "COMMS B210"),
    (11, "CORRIDOR B202"),
    (12, "REFUSE ROOM B225|CORRIDOR B203"),
    (13, "-"),
    (14, "LOBBY 01 B206|STAIR S1 B230"),
    (15, "LOBBY 01 B208|STAIR S2 B219"),
    (16, "CORRIDOR B202|LOBBY 01 B208"),
    (17, "CORRIDOR INFB202"),
    (18, "PLANT ROOM B228|CORRIDOR B207"),
    (19, "BULKY REFUSE B226|CORRIDOR B203"),
    (20, "CORRIDOR B204|LOBBY 01 B208"),
];
const SHEET_103P3_CAMERAS: [(u32, &str); 9] = [
    (1, "COMMS B210"),
    (2, "-"),
    (3, "REFUSE ROOM B225"),
    (4, "CORRIDOR B202"),
    (5, "CORRIDOR B204"),
    (6, "LOBBY 01 B208"),
    (7, "LOBBY 01 B206"),
    (8, "CORRIDOR B202"),
    (9, "BULKY REFUSE B226"),
];

fn place(rooms: &str) -> Place {
    match rooms {
        "" => Place::Unknown,
        "-" => Place::Unlabelled,
        _ => Place::Room(rooms.split('|').map(str::to_owned).collect()),
    }
}

fn sheet_103p3() -> Vec<Expected> {
    let access = SHEET_103P3_ACCESS
        .iter()
        .map(|&(n, room)| expected(1, &format!("A B2 {n:03} BB"), "access_point", place(room)));
    let cameras = SHEET_103P3_CAMERAS
        .iter()
        .map(|&(n, room)| expected(1, &format!("C B2 {n:03} BB"), "camera", place(room)));
    // The security rack and the remote field panel in the comms room, tagged per the CSEC
    // part of the legend (`?? XX`: floor level, point reference).
    let equipment = ["SRA B2 01", "RFP B2 02"]
        .into_iter()
        .map(|id| expected(1, id, "other", place("COMMS B210")));
    access.chain(cameras).chain(equipment).collect()
}

/// `(file, [(page, ids, type, rooms)])` of the synthetic variations, from the generator.
fn variations() -> Vec<(&'static str, Vec<Expected>, &'static str)> {
    let base_rooms = ["Main Entry", "Office 1", "Office 2", "Storage", "Conference"];
    let doors = |page: u32, first: u32, count: u32, rooms: &[&str]| -> Vec<Expected> {
        (0..count)
            .map(|i| {
                let room = rooms
                    .get(i as usize)
                    .map_or(Place::Unknown, |r| Place::Room(vec![(*r).to_owned()]));
                expected(page, &format!("A-{:03}", first + i), "door", room)
            })
            .collect()
    };
    let mixed: Vec<Expected> = doors(1, 1, 5, &[])
        .into_iter()
        .chain((101..=103).map(|n| expected(1, &format!("C-{n}"), "camera", Place::Unknown)))
        .chain((201..=203).map(|n| expected(1, &format!("I-{n}"), "other", Place::Unknown)))
        .collect();
    vec![
        ("01_different_text_sizes", doors(1, 200, 5, &[]), ""),
        (
            "02_rotated_pages",
            (1..=4).flat_map(|p| doors(p, 101, 5, &base_rooms)).collect(),
            "",
        ),
        ("03_additional_annotations", doors(1, 101, 5, &base_rooms), ""),
        ("04_removed_components", doors(1, 301, 10, &[]), ""),
        ("05_different_symbols", doors(1, 401, 5, &[]), ""),
        (
            "06_multiple_pages",
            (1..=4).flat_map(|p| doors(p, 100 * p + 1, 5, &[])).collect(),
            "",
        ),
        (
            "07_overlapping_elements",
            [701, 711, 721].iter().flat_map(|&f| doors(1, f, 6, &[])).collect(),
            "",
        ),
        (
            "08_poor_scan_quality",
            doors(1, 101, 5, &base_rooms),
            "image only: beyond any text layer",
        ),
        ("09_different_legends", doors(1, 901, 4, &[]), ""),
        ("10_mixed_system_components", mixed, ""),
    ]
}

/// The schemes the variations are measured with: the example file, which opts in to short ids.
fn variation_schemes() -> TagSchemes {
    let path = workspace().join("fixtures/tag-schemes.example.json");
    TagSchemes::from_json_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every document to measure, and a note for each group skipped.
pub fn documents() -> (Vec<Doc>, Vec<String>) {
    let mut docs = vec![fixture("security-plan"), fixture("single-sheet")];
    let mut skipped = Vec::new();
    let Some(corpus) = drawings_testkit::corpus::dir("precision_and_recall_stay_at_or_above_their_measured_floors")
    else {
        skipped.push("the shared corpus is absent: only the repo's fixtures were measured".into());
        return (docs, skipped);
    };
    let root = corpus.join("7-central__security-design-assistant/tests/fixtures");
    docs.push(Doc {
        name: "example_b2_drawing (baseline)".into(),
        pdf: root.join("pdfs/example_b2_drawing.pdf"),
        expected: baseline(&read_json(&root.join("expected/baseline_schedule.json"))),
        schemes: TagSchemes::default(),
        // Measured: every id and type; 31 of 35 located from the door schedule rows, the
        // other four (two emergency exits and their buttons) name no room.
        floors: Floors::new([1.0; 4], 31, 0),
        note: "15 locks without ids not counted",
    });
    docs.push(Doc {
        name: "103P3-E34-QCI-40098_Ver1".into(),
        pdf: root.join("pdfs/103P3-E34-QCI-40098_Ver1.pdf"),
        expected: sheet_103p3(),
        schemes: TagSchemes::default(),
        // Measured: every id and type; locations only where they are sure (the equipment in
        // the comms room, and none for the three devices in unlabelled rooms).
        floors: Floors::new([1.0; 4], 5, 0),
        note: "",
    });
    // The opt-in that `locations.tag_boxes` is off by default for: on this sheet the label
    // nearest a callout names the device's room about half the time.
    let mut callouts = TagSchemes::default();
    callouts.locations.tag_boxes = true;
    docs.push(Doc {
        name: "103P3 with tag_boxes located".into(),
        pdf: root.join("pdfs/103P3-E34-QCI-40098_Ver1.pdf"),
        expected: sheet_103p3(),
        schemes: callouts,
        // Measured, to keep the reason for the default on record: 17 right, 14 wrong.
        floors: Floors::new([1.0; 4], 17, 14),
        note: "opt-in: nearest label to each callout",
    });
    // Without the opt-in scheme file bare ids are not tags: nothing may be found.
    for file in ["03_additional_annotations", "10_mixed_system_components"] {
        let expected = variations()
            .into_iter()
            .find(|v| v.0 == file)
            .map(|v| v.1)
            .unwrap_or_default();
        docs.push(Doc {
            name: format!("variations/{file} (default)"),
            pdf: root.join(format!("drawings/variations/{file}.pdf")),
            expected,
            schemes: TagSchemes::default(),
            floors: Floors::NOTHING,
            note: "default schemes: bare ids off",
        });
    }
    for (file, expected, note) in variations() {
        docs.push(Doc {
            name: format!("variations/{file}"),
            pdf: root.join(format!("drawings/variations/{file}.pdf")),
            expected,
            schemes: variation_schemes(),
            // Measured: exact wherever there is a text layer.
            floors: if file.starts_with("08_") {
                Floors::NOTHING
            } else {
                Floors::EXACT
            },
            note,
        });
    }
    (docs, skipped)
}
