//! The analyzer over the text layer PDFium really produces (through `drawings-pdf`): exact on
//! the generated fixtures, and measured on the one real drawing of the shared corpus.

use drawings_core::ports::{PdfEngine, RenderOptions};
use drawings_core::schedule::normalize_id;
use drawings_pdf::PdfiumEngine;
use drawings_textlayer::{TagSchemes, find_tags};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `(page, normalised id, type, system)`.
type Key = (u32, String, String, String);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text layer is what matters; a tiny render keeps the test fast.
fn options() -> RenderOptions {
    RenderOptions {
        dpi: 18.0,
        max_pixels: 400 * 400,
        tiles: None,
    }
}

fn analyze(pdf: &[u8], pages: u32) -> BTreeSet<Key> {
    let engine = PdfiumEngine::new();
    let schemes = TagSchemes::default();
    let mut found = BTreeSet::new();
    for index in 0..pages {
        let page = engine
            .extract_page(pdf, index, &options())
            .unwrap_or_else(|e| panic!("page {}: {e}", index + 1));
        for c in find_tags(&page.text, &schemes) {
            found.insert((c.page, normalize_id(&c.id), c.kind.as_str().to_owned(), c.system));
        }
    }
    found
}

fn expected(name: &str) -> (BTreeSet<Key>, u32) {
    let path = workspace().join("fixtures").join(format!("{name}.expected.json"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let field = |c: &serde_json::Value, k: &str| c[k].as_str().unwrap_or_default().to_owned();
    let components = json["components"].as_array().unwrap();
    let keys = components
        .iter()
        .map(|c| {
            let page = c["page"].as_u64().unwrap() as u32;
            (
                page,
                normalize_id(&field(c, "id")),
                field(c, "type"),
                field(c, "system"),
            )
        })
        .collect();
    (keys, json["pages"].as_array().unwrap().len() as u32)
}

/// Precision and recall of `found` against `truth`.
fn score(found: &BTreeSet<Key>, truth: &BTreeSet<Key>) -> (f64, f64) {
    let hits = found.intersection(truth).count() as f64;
    let ratio = |n: usize| if n == 0 { 1.0 } else { hits / n as f64 };
    (ratio(found.len()), ratio(truth.len()))
}

fn assert_exact(name: &str) {
    let pdf = std::fs::read(workspace().join("fixtures").join(format!("{name}.pdf"))).unwrap();
    let (truth, pages) = expected(name);
    let found = analyze(&pdf, pages);
    let (precision, recall) = score(&found, &truth);
    eprintln!(
        "{name}: precision {precision:.3}, recall {recall:.3} ({} expected)",
        truth.len()
    );
    assert!(
        found == truth,
        "{name}: missed {:?}, extra {:?}",
        truth.difference(&found).collect::<Vec<_>>(),
        found.difference(&truth).collect::<Vec<_>>()
    );
}

#[test]
fn every_tag_of_the_security_plan_is_found_and_nothing_else() {
    assert_exact("security-plan");
}

#[test]
fn every_id_style_tag_of_the_single_sheet_is_found_and_nothing_else() {
    assert_exact("single-sheet");
}

#[test]
fn precision_and_recall_on_the_real_drawing_are_reported() {
    let Some(path) = drawings_testkit::corpus::file(
        "precision_and_recall_on_the_real_drawing_are_reported",
        "7-central__security-design-assistant/tests/fixtures/pdfs/103P3-E34-QCI-40098_Ver1.pdf",
    ) else {
        return;
    };
    let pdf = std::fs::read(&path).unwrap();
    // The legend and the plan of this drawing: access points A B2 001..020, cameras
    // C B2 001..009, all on its one page.
    let access = (1..=20).map(|n| {
        (
            1,
            format!("A-B2-{n:03}-BB"),
            "access_point".to_owned(),
            "access_control".to_owned(),
        )
    });
    let cameras = (1..=9).map(|n| (1, format!("C-B2-{n:03}-BB"), "camera".to_owned(), "cctv".to_owned()));
    // The security rack and the remote field panel of the comms room (`SRA` / `B2 01`).
    let equipment =
        ["SRA-B2-01", "RFP-B2-02"].map(|id| (1, id.to_owned(), "other".to_owned(), "security_equipment".to_owned()));
    let truth: BTreeSet<Key> = access.chain(cameras).chain(equipment).collect();
    let found = analyze(&pdf, 1);
    let (precision, recall) = score(&found, &truth);
    eprintln!(
        "103P3-E34-QCI-40098_Ver1.pdf: precision {precision:.3}, recall {recall:.3}; missed {:?}, extra {:?}",
        truth.difference(&found).map(|k| &k.1).collect::<Vec<_>>(),
        found.difference(&truth).map(|k| &k.1).collect::<Vec<_>>()
    );
    // A floor, not the target: it catches a regression in either crate without pinning
    // today's exact figure.
    assert!(
        precision >= 0.9 && recall >= 0.9,
        "precision {precision:.3}, recall {recall:.3}"
    );
}
