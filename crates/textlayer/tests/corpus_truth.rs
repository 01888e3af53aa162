//! The reading harness: the default analyzer ([`read_page`] on every page, merged as the
//! schedule stage merges them) against the ground truth in `tests/truth/*.json`, one file per
//! real drawing of `../shared/corpus`, written by reading each sheet (`tests/truth/README.md`
//! says how). Scores are per type: a type's hits are the lesser of found and true counts;
//! precision is hits over found, recall hits over true, and both are micro-averaged over the
//! drawings. Only devices named by printed text count (`devices`); devices drawn as bare
//! symbols (`symbol_only`) are reported beside, since no text reader can find them.
//!
//! `cargo test -p drawings-textlayer --test corpus_truth -- --nocapture` prints the table;
//! `TRUTH_LIST=doc4` also lists what was found on the drawings whose name holds `doc4`.
//! Floors below are what was measured when the analyzer last changed: falling under one fails.

use drawings_core::ports::{PageAnalysis, PdfEngine, PdfLimits, RenderOptions};
use drawings_core::schedule::Schedule;
use drawings_pdf::PdfiumEngine;
use drawings_textlayer::{TagSchemes, read_page};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

#[derive(Debug, Deserialize)]
struct Truth {
    file: String,
    #[serde(default)]
    devices: BTreeMap<String, u32>,
    #[serde(default)]
    symbol_only: BTreeMap<String, u32>,
}

/// Micro-averaged floors over every drawing with truth (measured 0.77 / 0.20 when set).
const PRECISION_FLOOR: f64 = 0.72;
const RECALL_FLOOR: f64 = 0.18;
/// Per-drawing floors (precision, recall) where the analyzer finds something; a drawing with
/// no devices must yield none.
const DRAWING_FLOORS: &[(&str, f64, f64)] = &[
    ("7central-103P3-E34-access-control", 0.55, 0.40),
    ("crayfish-inn", 0.30, 0.25),
    ("e201a-power-signal", 0.9, 0.10),
    ("matt-rhc-doc4-door-schedule", 0.95, 0.95),
    ("symbolfind-lily-hall", 0.25, 0.20),
];

fn read_document(pdf: &[u8], name: &str) -> Schedule {
    let engine = PdfiumEngine::new();
    let pages = engine
        .inspect(pdf, &PdfLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .page_count;
    let options = RenderOptions {
        dpi: 18.0,
        max_pixels: 400 * 400,
        tiles: None,
    };
    let schemes = TagSchemes::default();
    let analyses: Vec<PageAnalysis> = (0..pages)
        .map(|page| {
            let extracted = engine
                .extract_page(pdf, page, &options)
                .unwrap_or_else(|e| panic!("{name} page {page}: {e}"));
            let reading = read_page(&extracted.text, &schemes);
            if std::env::var("TRUTH_LIST").is_ok_and(|only| name.contains(&only)) {
                for row in &reading.legend {
                    eprintln!(
                        "{name} p{} legend {} = {} ({})",
                        page + 1,
                        row.tag,
                        row.description,
                        row.kind.as_str()
                    );
                }
            }
            common::analysis(page, reading)
        })
        .collect();
    Schedule::build(&analyses)
}

#[derive(Default)]
struct Tally {
    truth: u32,
    found: u32,
    hits: u32,
}

#[test]
fn the_default_analyzer_reads_real_drawings_at_or_above_its_floors() {
    let Some(root) = drawings_testkit::corpus::dir("the_default_analyzer_reads_real_drawings_at_or_above_its_floors")
    else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/truth");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/truth")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut table = vec![format!(
        "{:<36} {:>5} {:>5} {:>5} {:>6} {:>6} {:>6}  per type (found/true)",
        "drawing", "true", "found", "hits", "P", "R", "symbol"
    )];
    let mut all = Tally::default();
    let mut failures = Vec::new();
    if files.len() < 12 {
        failures.push(format!(
            "the harness needs at least 12 real drawings, has {}",
            files.len()
        ));
    }
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let truth: Truth =
            serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pdf = std::fs::read(root.join(&truth.file)).unwrap_or_else(|e| panic!("{name}: {}: {e}", truth.file));
        let schedule = read_document(&pdf, &name);
        if std::env::var("TRUTH_LIST").is_ok_and(|only| name.contains(&only)) {
            for c in &schedule.components {
                eprintln!("{name} p{} {} {} {:?}", c.page, c.id, c.kind.as_str(), c.evidence);
            }
        }
        let mut found: BTreeMap<String, u32> = BTreeMap::new();
        for (kind, n) in &schedule.totals {
            found.insert(kind.as_str().to_owned(), *n);
        }
        let mut doc = Tally::default();
        let mut types = Vec::new();
        for kind in found
            .keys()
            .chain(truth.devices.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (f, t) = (
                found.get(kind).copied().unwrap_or(0),
                truth.devices.get(kind).copied().unwrap_or(0),
            );
            doc.found += f;
            doc.truth += t;
            doc.hits += f.min(t);
            types.push(format!("{kind} {f}/{t}"));
        }
        let ratio = |a: u32, b: u32| if b == 0 { 1.0 } else { f64::from(a) / f64::from(b) };
        let symbols: u32 = truth.symbol_only.values().sum();
        table.push(format!(
            "{:<36} {:>5} {:>5} {:>5} {:>6.2} {:>6.2} {:>6}  {}",
            name,
            doc.truth,
            doc.found,
            doc.hits,
            ratio(doc.hits, doc.found),
            ratio(doc.hits, doc.truth),
            symbols,
            types.join(", ")
        ));
        if let Some((_, p, r)) = DRAWING_FLOORS.iter().find(|(n, ..)| *n == name) {
            let (precision, recall) = (ratio(doc.hits, doc.found), ratio(doc.hits, doc.truth));
            if precision < *p || recall < *r {
                failures.push(format!(
                    "{name}: P {precision:.2} / R {recall:.2} under its floors {p} / {r}"
                ));
            }
        }
        if doc.truth == 0 && doc.found > 0 {
            failures.push(format!(
                "{name}: a sheet with no devices listed {} ({})",
                doc.found,
                types.join(", ")
            ));
        }
        if doc.found == 0 && !schedule.warnings.iter().any(|w| w.code == "NO_DEVICES_FOUND") {
            failures.push(format!("{name}: an empty schedule without a NO_DEVICES_FOUND warning"));
        }
        all.truth += doc.truth;
        all.found += doc.found;
        all.hits += doc.hits;
    }
    let precision = if all.found == 0 {
        1.0
    } else {
        f64::from(all.hits) / f64::from(all.found)
    };
    let recall = f64::from(all.hits) / f64::from(all.truth.max(1));
    table.push(format!(
        "{:<36} {:>5} {:>5} {:>5} {:>6.2} {:>6.2}",
        "micro-average", all.truth, all.found, all.hits, precision, recall
    ));
    eprintln!("\n{}\n", table.join("\n"));
    if precision < PRECISION_FLOOR {
        failures.push(format!("precision {precision:.2} < floor {PRECISION_FLOOR}"));
    }
    if recall < RECALL_FLOOR {
        failures.push(format!("recall {recall:.2} < floor {RECALL_FLOOR}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
