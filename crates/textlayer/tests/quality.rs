//! Precision and recall of the text-layer analyzer on drawings whose contents are known: the
//! repo's fixtures (always), and, when `../shared/corpus` is present, the drawings of
//! `7-central/security-design-assistant` (its baseline schedule, its one real sheet and its
//! synthetic variations; the truth of each is in `quality/truth.rs`).
//!
//! Scores are per document and per page: a component counts as found when the analyzer lists
//! its normalised id on the page the truth puts it on ("id"), and, stricter, with the same type
//! ("id+type"). Locations are scored where the truth names one: right, wrong (a location that
//! is not the truth's; worse than none, because it misleads an installer) or none.
//!
//! `cargo test -p drawings-textlayer --test quality -- --nocapture` prints the table. Each
//! document carries floors: the figures measured when the analyzer last changed. Falling below
//! one fails the test, so a regression cannot pass unnoticed; raise them when the analyzer
//! improves. `QUALITY_LIST=1` also lists every component found, with its location.

#[path = "quality/truth.rs"]
mod quality_truth;

use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions};
use drawings_core::schedule::normalize_id;
use drawings_pdf::PdfiumEngine;
use drawings_textlayer::{TagSchemes, find_tags};
use quality_truth::{Doc, Expected, Place};
use std::collections::BTreeMap;

/// What one document scored.
#[derive(Debug, Default)]
struct Score {
    expected: usize,
    found: usize,
    by_id: (f64, f64),
    by_type: (f64, f64),
    locations: (usize, usize, usize),
    missed: Vec<String>,
    extra: Vec<String>,
    wrong_places: Vec<String>,
}

/// The text layer is what matters; a tiny render keeps the test fast.
fn options() -> RenderOptions {
    RenderOptions {
        dpi: 18.0,
        max_pixels: 400 * 400,
        tiles: None,
    }
}

/// `(page, normalised id)` → (type, location) of every component the analyzer finds.
type Found = BTreeMap<(u32, String), (String, Option<String>)>;

fn analyze(pdf: &[u8], schemes: &TagSchemes, name: &str) -> Found {
    let engine = PdfiumEngine::new();
    let pages = engine
        .inspect(pdf, &PdfLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .page_count;
    let mut found = Found::new();
    for index in 0..pages {
        let page = engine
            .extract_page(pdf, index, &options())
            .unwrap_or_else(|e| panic!("{name} page {}: {e}", index + 1));
        for c in find_tags(&page.text, schemes) {
            if std::env::var_os("QUALITY_LIST").is_some() {
                eprintln!(
                    "  {name} p{} {:<14} {:<14} {:?} at {:.0},{:.0}",
                    c.page,
                    c.id,
                    c.kind.as_str(),
                    c.location,
                    c.bbox.map_or(0.0, |b| b.x0),
                    c.bbox.map_or(0.0, |b| b.y0)
                );
            }
            found.insert((c.page, normalize_id(&c.id)), (c.kind.as_str().to_owned(), c.location));
        }
    }
    found
}

fn ratio(hits: usize, of: usize) -> f64 {
    if of == 0 { 1.0 } else { hits as f64 / of as f64 }
}

/// Whether a found location names one of the truth's rooms: all its words are in the room's
/// label (`CORRIDOR` for `CORRIDOR B202` is vaguer, not wrong).
fn names_room(found: &str, rooms: &[String]) -> bool {
    let words = |s: &str| s.split_whitespace().map(str::to_uppercase).collect::<Vec<_>>();
    let got = words(found);
    !got.is_empty() && rooms.iter().any(|r| got.iter().all(|w| words(r).contains(w)))
}

fn score(expected: &[Expected], found: &Found) -> Score {
    let truth: BTreeMap<(u32, String), &Expected> =
        expected.iter().map(|e| ((e.page, normalize_id(&e.id)), e)).collect();
    let (mut id_hits, mut type_hits) = (0, 0);
    let mut s = Score {
        expected: truth.len(),
        found: found.len(),
        ..Score::default()
    };
    for (key, e) in &truth {
        let Some((kind, location)) = found.get(key) else {
            s.missed.push(format!("p{} {}", key.0, key.1));
            continue;
        };
        id_hits += 1;
        type_hits += usize::from(*kind == e.kind);
        match (&e.place, location) {
            (Place::Unknown, _) => {}
            (Place::Unlabelled, None) => s.locations.0 += 1,
            (_, None) => s.locations.2 += 1,
            (Place::Room(rooms), Some(got)) if names_room(got, rooms) => s.locations.0 += 1,
            (want, Some(got)) => {
                s.locations.1 += 1;
                s.wrong_places.push(format!("{}: {got:?}, not {want:?}", key.1));
            }
        }
    }
    s.extra = found
        .keys()
        .filter(|k| !truth.contains_key(*k))
        .map(|k| format!("p{} {}", k.0, k.1))
        .collect();
    s.by_id = (ratio(id_hits, s.found), ratio(id_hits, s.expected));
    s.by_type = (ratio(type_hits, s.found), ratio(type_hits, s.expected));
    s
}

/// Floors a document's score must keep; the reasons it falls short of each.
fn failures(doc: &Doc, s: &Score) -> Vec<String> {
    let f = &doc.floors;
    let mut out = Vec::new();
    // Scores are ratios of small counts; the slack only absorbs float rounding.
    let mut check = |what: &str, got: f64, floor: f64| {
        if got + 1e-9 < floor {
            out.push(format!("{}: {what} {got:.3} < floor {floor:.3}", doc.name));
        }
    };
    check("precision by id", s.by_id.0, f.precision_id);
    check("recall by id", s.by_id.1, f.recall_id);
    check("precision by id+type", s.by_type.0, f.precision_type);
    check("recall by id+type", s.by_type.1, f.recall_type);
    if s.locations.0 < f.right_locations {
        out.push(format!(
            "{}: {} right locations < floor {}",
            doc.name, s.locations.0, f.right_locations
        ));
    }
    if s.locations.1 > f.wrong_locations {
        out.push(format!(
            "{}: {} wrong locations > {} allowed: {:?}",
            doc.name, s.locations.1, f.wrong_locations, s.wrong_places
        ));
    }
    out
}

fn row(name: &str, s: &Score, note: &str) -> String {
    format!(
        "{name:<48} {:>4} {:>5}  {:>5.3} {:>5.3}  {:>5.3} {:>5.3}  {:>3}/{:<3}/{:<3} {note}",
        s.expected,
        s.found,
        s.by_id.0,
        s.by_id.1,
        s.by_type.0,
        s.by_type.1,
        s.locations.0,
        s.locations.1,
        s.locations.2
    )
}

#[test]
fn precision_and_recall_stay_at_or_above_their_measured_floors() {
    let (docs, skipped) = quality_truth::documents();
    let mut lines = vec![format!(
        "{:<48} {:>4} {:>5}  {:>11}  {:>11}  {:<11} note",
        "document", "exp", "found", "P / R id", "P / R type", "loc r/w/0"
    )];
    let mut failed = Vec::new();
    let mut details = Vec::new();
    for doc in &docs {
        let pdf = std::fs::read(&doc.pdf).unwrap_or_else(|e| panic!("{}: {e}", doc.pdf.display()));
        let s = score(&doc.expected, &analyze(&pdf, &doc.schemes, &doc.name));
        lines.push(row(&doc.name, &s, doc.note));
        // Listed: what the floors do not expect (misses where something should be found,
        // any extra, wrong locations where none are allowed), or everything with QUALITY_LIST.
        let missed_matter = !s.missed.is_empty() && doc.floors.recall_id > 0.0;
        let wrong_matter = !s.wrong_places.is_empty() && doc.floors.wrong_locations == 0;
        let listing = std::env::var_os("QUALITY_LIST").is_some();
        if listing || missed_matter || wrong_matter || !s.extra.is_empty() {
            details.push(format!(
                "{}: missed {:?}; extra {:?}; wrong locations {:?}",
                doc.name, s.missed, s.extra, s.wrong_places
            ));
        }
        failed.extend(failures(doc, &s));
    }
    lines.extend(skipped.iter().map(|s| format!("skipped: {s}")));
    eprintln!("\n{}\n\n{}\n", lines.join("\n"), details.join("\n"));
    assert!(failed.is_empty(), "below the measured floors:\n{}", failed.join("\n"));
}
