//! Behaviour of `find_tags` and the analyzer on hand-made text layers.

use super::*;
use drawings_core::ports::{Analyzer, PageInput, TextRun};
use drawings_core::{ComponentType, Usage};

/// A run whose box is corner to corner: the testkit's, so every crate's tests build runs
/// alike.
pub(crate) use drawings_testkit::text_layer::run;

pub(crate) fn page(runs: Vec<TextRun>) -> PageText {
    PageText {
        page: 0,
        width_pt: 1190.55,
        height_pt: 841.89,
        runs,
        // Fields the engine adds later keep their defaults here.
        ..PageText::default()
    }
}

/// The four parts of a tag box as separate runs, 5 pt text, about 2 pt apart.
pub(crate) fn tag_box(parts: [&str; 4], x: f32, y: f32) -> Vec<TextRun> {
    let mut x0 = x;
    parts
        .iter()
        .map(|p| {
            let w = 3.5 * p.len() as f32;
            let r = run(p, x0, y, x0 + w, y + 5.0);
            x0 += w + 2.0;
            r
        })
        .collect()
}

pub(crate) fn ids(components: &[Component]) -> Vec<&str> {
    components.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn separate_runs_side_by_side_form_a_tag() {
    let found = find_tags(
        &page(tag_box(["A", "B2", "005", "BB"], 100.0, 200.0)),
        &TagSchemes::default(),
    );
    assert_eq!(ids(&found), ["A B2 005 BB"]);
    let c = &found[0];
    assert_eq!(
        (c.kind, c.system.as_str(), c.page),
        (ComponentType::AccessPoint, "access_control", 1)
    );
    assert_eq!(c.source, ComponentSource::TextLayer);
    assert!(c.confidence >= 0.95);
    let b = c.bbox.unwrap();
    assert_eq!((b.x0, b.y0, b.y1), (100.0, 200.0, 205.0));
}

#[test]
fn a_tag_delivered_as_fewer_runs_is_the_same_tag() {
    let schemes = TagSchemes::default();
    let two = vec![
        run("C B2", 100.0, 200.0, 116.0, 205.0),
        run("012 BB", 118.0, 200.0, 142.0, 205.0),
    ];
    assert_eq!(ids(&find_tags(&page(two), &schemes)), ["C B2 012 BB"]);
    let one = vec![run("C B2 012 BB", 100.0, 200.0, 144.0, 205.0)];
    let found = find_tags(&page(one), &schemes);
    assert_eq!(ids(&found), ["C B2 012 BB"]);
    assert_eq!(found[0].kind, ComponentType::Camera);
}

#[test]
fn a_tag_whose_runs_come_out_of_order_and_overlap_is_found() {
    // How PDFium reports a real tag box when it groups by stream order: `A 001 BB` first, with
    // `B2` (drawn later) sitting in the gap after `A`.
    let runs = vec![
        run("A 001 BB", 396.7, 501.9, 424.6, 505.2),
        run("B2", 401.5, 501.9, 406.3, 505.2),
    ];
    assert_eq!(ids(&find_tags(&page(runs), &TagSchemes::default())), ["A B2 001 BB"]);
}

#[test]
fn runs_on_different_lines_are_not_a_tag() {
    let mut runs = tag_box(["A", "B2", "005", "BB"], 100.0, 200.0);
    runs[2].bbox.y0 += 9.0;
    runs[2].bbox.y1 += 9.0;
    assert!(find_tags(&page(runs), &TagSchemes::default()).is_empty());
}

#[test]
fn vertically_stacked_parts_are_not_a_tag() {
    let runs = ["A", "B2", "005", "BB"]
        .iter()
        .enumerate()
        .map(|(i, p)| run(p, 100.0, 200.0 + 7.0 * i as f32, 110.0, 205.0 + 7.0 * i as f32));
    assert!(find_tags(&page(runs.collect()), &TagSchemes::default()).is_empty());
}

#[test]
fn parts_far_apart_are_not_a_tag() {
    let runs = vec![
        run("A", 100.0, 200.0, 103.5, 205.0),
        run("B2 005 BB", 140.0, 200.0, 171.5, 205.0),
    ];
    assert!(find_tags(&page(runs), &TagSchemes::default()).is_empty());
}

#[test]
fn a_spaced_out_dimension_is_not_a_tag() {
    let schemes = TagSchemes::default();
    for parts in [
        ["A", "12", "345", "67"],
        ["A", "12", "3450", "BB"],
        ["A", "B2", "05", "BB"],
        ["A", "B2", "005", "B"],
    ] {
        assert!(
            find_tags(&page(tag_box(parts, 100.0, 200.0)), &schemes).is_empty(),
            "{parts:?}"
        );
    }
}

#[test]
fn the_legend_placeholder_is_not_a_tag() {
    let runs = tag_box(["A", "XX", "000", "XX"], 100.0, 200.0);
    assert!(find_tags(&page(runs), &TagSchemes::default()).is_empty());
}

#[test]
fn a_system_letter_outside_the_schemes_is_not_a_tag() {
    assert!(
        find_tags(
            &page(tag_box(["Q", "B2", "005", "BB"], 100.0, 200.0)),
            &TagSchemes::default()
        )
        .is_empty()
    );
}

#[test]
fn id_style_variants_with_dash_dot_and_underscore_are_found_with_the_right_type() {
    let runs = vec![
        run("A-101-DR-B2", 100.0, 100.0, 150.0, 108.0),
        run("A.102.CR.B2", 100.0, 120.0, 150.0, 128.0),
        run("A_103_EB_B2", 100.0, 140.0, 150.0, 148.0),
        run("A-104-LK-B2", 100.0, 160.0, 150.0, 168.0),
        run("A-105-REX-B2", 100.0, 180.0, 150.0, 188.0),
        run("C-201-CAM-B2", 100.0, 200.0, 150.0, 208.0),
        run("A-106-DPS-B2", 100.0, 220.0, 150.0, 228.0),
        run("I-301-IC-L1", 100.0, 240.0, 150.0, 248.0),
    ];
    let found = find_tags(&page(runs), &TagSchemes::default());
    let got: Vec<(&str, ComponentType)> = found.iter().map(|c| (c.id.as_str(), c.kind)).collect();
    use ComponentType::*;
    assert_eq!(
        got,
        [
            ("A-101-DR-B2", Door),
            ("A.102.CR.B2", CardReader),
            ("A_103_EB_B2", ExitButton),
            ("A-104-LK-B2", Lock),
            ("A-105-REX-B2", ExitButton),
            ("C-201-CAM-B2", Camera),
            ("A-106-DPS-B2", PositionSwitch),
            ("I-301-IC-L1", Intercom),
        ]
    );
    assert!(found.iter().all(|c| (c.confidence - 0.9).abs() < 1e-6));
    assert_eq!(found[5].system, "cctv");
}

#[test]
fn an_id_split_into_touching_runs_is_one_id() {
    let runs = vec![
        run("A-101-", 100.0, 100.0, 124.0, 108.0),
        run("DR-B2", 124.2, 100.0, 144.0, 108.0),
    ];
    assert_eq!(ids(&find_tags(&page(runs), &TagSchemes::default())), ["A-101-DR-B2"]);
}

#[test]
fn an_id_with_an_unknown_device_code_is_other_with_lower_confidence() {
    let found = find_tags(
        &page(vec![run("A-101-ZZ-B2", 100.0, 100.0, 150.0, 108.0)]),
        &TagSchemes::default(),
    );
    assert_eq!(
        (found[0].kind, found[0].system.as_str()),
        (ComponentType::Other, "access_control")
    );
    assert!(found[0].confidence < 0.9);
}

#[test]
fn drawing_numbers_dates_and_mixed_separators_are_not_ids() {
    let runs = vec![
        run("SEC-B2-L2-001", 100.0, 100.0, 160.0, 108.0),
        run("2025-02-06", 100.0, 120.0, 150.0, 128.0),
        run("A-101.DR-B2", 100.0, 140.0, 150.0, 148.0),
        run("103P3-E34-QCI-40098", 100.0, 160.0, 190.0, 168.0),
    ];
    assert!(find_tags(&page(runs), &TagSchemes::default()).is_empty());
}

#[test]
fn a_tag_written_twice_on_a_page_is_listed_once() {
    let mut runs = tag_box(["A", "B2", "005", "BB"], 100.0, 200.0);
    runs.extend(tag_box(["A", "B2", "005", "BB"], 600.0, 500.0));
    runs.push(run("A-101-DR-B2", 100.0, 300.0, 150.0, 308.0));
    runs.push(run("A.101.DR.B2", 100.0, 400.0, 150.0, 408.0));
    assert_eq!(
        ids(&find_tags(&page(runs), &TagSchemes::default())),
        ["A B2 005 BB", "A-101-DR-B2"]
    );
}

#[test]
fn a_custom_scheme_from_json_changes_the_type() {
    let path = std::env::temp_dir().join(format!("textlayer-schemes-{}.json", std::process::id()));
    let json = r#"{"systems": {"A": {"type": "door", "system": "doors"}},
                   "device_codes": {"DR": {"type": "access_point", "system": "aacs"}}}"#;
    std::fs::write(&path, json).unwrap();
    let schemes = TagSchemes::from_json_file(&path);
    std::fs::remove_file(&path).ok();
    let schemes = schemes.unwrap();
    let mut runs = tag_box(["A", "B2", "005", "BB"], 100.0, 200.0);
    runs.push(run("A-101-DR-B2", 100.0, 300.0, 150.0, 308.0));
    runs.extend(tag_box(["C", "B2", "001", "BB"], 300.0, 200.0));
    let found = find_tags(&page(runs), &schemes);
    let got: Vec<(&str, ComponentType, &str)> = found
        .iter()
        .map(|c| (c.id.as_str(), c.kind, c.system.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("A B2 005 BB", ComponentType::Door, "doors"),
            ("A-101-DR-B2", ComponentType::AccessPoint, "aacs")
        ]
    );
}

#[test]
fn tags_come_in_reading_order() {
    let mut runs = tag_box(["A", "B2", "002", "BB"], 500.0, 400.0);
    runs.extend(tag_box(["A", "B2", "003", "BB"], 100.0, 400.0));
    runs.extend(tag_box(["A", "B2", "001", "BB"], 800.0, 100.0));
    assert_eq!(
        ids(&find_tags(&page(runs), &TagSchemes::default())),
        ["A B2 001 BB", "A B2 003 BB", "A B2 002 BB"]
    );
}

#[tokio::test]
async fn the_analyzer_reports_one_based_pages_and_no_usage() {
    let analyzer = TextLayerAnalyzer::default();
    assert_eq!(analyzer.name(), "text-layer");
    assert!(!analyzer.needs_image());
    let mut text = page(tag_box(["A", "B2", "005", "BB"], 100.0, 200.0));
    text.page = 2;
    let out = analyzer
        .analyze_page(PageInput {
            page: 2,
            page_count: 4,
            text,
            image: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (out.page, out.components[0].page, out.analyzer.as_str()),
        (2, 3, "text-layer")
    );
    assert_eq!(out.usage, Usage::default());
}

#[tokio::test]
async fn an_empty_page_is_ok_with_no_components() {
    let input = PageInput {
        page: 0,
        page_count: 1,
        text: PageText::default(),
        image: None,
    };
    assert!(
        TextLayerAnalyzer::default()
            .analyze_page(input)
            .await
            .unwrap()
            .components
            .is_empty()
    );
}

#[test]
fn a_tag_drawn_across_a_room_name_is_still_one_tag() {
    // From the real drawing: `A B2 014 BB` printed over `LIFT PIT` in slightly larger text.
    let runs = vec![
        run("LIFT", 671.6, 584.3, 682.4, 591.5),
        run("A", 674.9, 583.3, 677.8, 589.3),
        run("B2", 679.4, 583.3, 684.8, 589.3),
        run("PIT", 684.0, 584.3, 692.3, 591.5),
        run("014", 687.0, 583.3, 694.4, 589.3),
        run("BB", 697.2, 583.3, 703.1, 589.3),
    ];
    let found = find_tags(&page(runs), &TagSchemes::default());
    assert_eq!(ids(&found), ["A B2 014 BB"]);
    // The box is a callout: its leader runs to a door of the lobby, not into the lift pit.
    assert_eq!(found[0].location, None);
}

#[test]
fn a_word_of_the_same_lettering_between_parts_breaks_the_tag() {
    let mut runs = tag_box(["A", "B2", "005", "BB"], 100.0, 200.0);
    runs.insert(2, run("X", 110.5, 200.0, 111.5, 205.0));
    assert!(find_tags(&page(runs), &TagSchemes::default()).is_empty());
}
