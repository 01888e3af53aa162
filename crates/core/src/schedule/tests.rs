//! The schedule: merging, totals, warnings and the result files.

use super::*;
use crate::component::ComponentSource;
use crate::ports::LegendEntry;

fn component(id: &str, page: u32, confidence: f32) -> Component {
    Component {
        id: id.into(),
        kind: ComponentType::Door,
        system: "access_control".into(),
        page,
        location: None,
        bbox: None,
        confidence,
        source: ComponentSource::TextLayer,
        reason: None,
        tag: None,
        evidence: None,
    }
}

#[test]
fn ids_written_with_different_separators_are_one_id() {
    assert_eq!(normalize_id("A.101.DR.B2"), "A-101-DR-B2");
    assert_eq!(normalize_id("a_101_dr_b2"), "A-101-DR-B2");
    assert_eq!(normalize_id("A B2  005 BB"), "A-B2-005-BB");
}

#[test]
fn a_component_on_two_pages_is_listed_once_with_the_best_confidence() {
    let pages = vec![
        PageAnalysis {
            page: 0,
            components: vec![component("A-101-DR-B2", 1, 0.6)],
            ..Default::default()
        },
        PageAnalysis {
            page: 1,
            components: vec![component("A.101.DR.B2", 2, 0.9), component("A-102-DR-B2", 2, 0.9)],
            ..Default::default()
        },
    ];
    let s = Schedule::build(&pages);
    assert_eq!(s.components.len(), 2);
    assert_eq!(s.components[0].page, 2);
    assert_eq!(s.duplicates_merged, 1);
    assert_eq!(s.totals[&ComponentType::Door], 2);
}

#[test]
fn csv_has_a_row_per_component_and_the_totals() {
    let pages = vec![PageAnalysis {
        page: 0,
        components: vec![component("A-101-DR-B2", 1, 0.9)],
        ..Default::default()
    }];
    let csv = String::from_utf8(Schedule::build(&pages).to_csv().unwrap()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,type,system,page,location,confidence,source,bbox,tag,evidence"
    );
    assert!(lines[1].starts_with("A-101-DR-B2,door,access_control,1,,0.90,text_layer,"));
    assert!(lines.contains(&"door,1"));
}

#[test]
fn tagged_devices_are_totalled_per_tag_beside_the_totals_per_type() {
    let tagged = |id: &str, tag: &str| Component {
        tag: Some(tag.into()),
        kind: ComponentType::Luminaire,
        ..component(id, 1, 0.8)
    };
    let pages = vec![PageAnalysis {
        components: vec![tagged("L4:1:1", "L4"), tagged("L4:1:2", "L4"), tagged("L2:1:1", "L2")],
        ..Default::default()
    }];
    let s = Schedule::build(&pages);
    assert_eq!(s.tag_totals["L4"], 2);
    assert_eq!(s.tag_totals["L2"], 1);
    assert_eq!(s.totals[&ComponentType::Luminaire], 3);
    let csv = String::from_utf8(s.to_csv().unwrap()).unwrap();
    assert!(csv.contains("tag,total\nL2,1\nL4,2\n"), "{csv}");
}

#[test]
fn an_empty_schedule_says_why_instead_of_being_silently_empty() {
    let s = Schedule::build(&[PageAnalysis::default()]);
    assert!(s.components.is_empty());
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].code, warning::NO_DEVICES_FOUND);
    let offline = PageAnalysis {
        analyzer: "text-layer".into(),
        ..Default::default()
    };
    let codes: Vec<String> = Schedule::build(&[offline])
        .warnings
        .into_iter()
        .map(|w| w.code)
        .collect();
    assert_eq!(codes, [warning::NO_LEGEND_FOUND, warning::NO_DEVICES_FOUND]);
    let scanned = PageAnalysis {
        warnings: vec![Warning::page(warning::NO_TEXT_LAYER, 1, "scan")],
        ..Default::default()
    };
    let s = Schedule::build(&[scanned]);
    assert_eq!(s.warnings[0].code, warning::NO_TEXT_LAYER);
    assert!(s.warnings[1].message.contains("no readable text layer"));
}

#[test]
fn a_tag_defined_on_the_legend_sheet_is_counted_on_the_plan_sheets() {
    let legend_sheet = PageAnalysis {
        page: 0,
        legend: vec![LegendEntry {
            tag: "F1".into(),
            description: "SUSPENDED LED LINEAR".into(),
            kind: ComponentType::Luminaire,
            system: "lighting".into(),
            quantity: None,
        }],
        analyzer: "text-layer".into(),
        ..Default::default()
    };
    let label = |x: f32| crate::ports::TagLabel {
        tag: "F1".into(),
        bbox: crate::BBox {
            x0: x,
            y0: 0.0,
            x1: x + 10.0,
            y1: 6.0,
        },
    };
    let plan = PageAnalysis {
        page: 2,
        undefined_tags: vec![
            label(0.0),
            label(100.0),
            crate::ports::TagLabel {
                tag: "Q9".into(),
                ..label(200.0)
            },
        ],
        analyzer: "text-layer".into(),
        ..Default::default()
    };
    let s = Schedule::build(&[legend_sheet, plan]);
    let ids: Vec<&str> = s.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["F1:3:1", "F1:3:2"]);
    assert_eq!(s.tag_totals["F1"], 2);
    assert!(
        s.components[0]
            .evidence
            .as_deref()
            .unwrap()
            .starts_with("legend on page 1")
    );
    assert!(s.warnings.iter().all(|w| w.code != warning::NO_LEGEND_FOUND));
}

#[test]
fn a_model_answer_keeps_its_devices_and_gains_what_only_the_text_names() {
    let at = |x: f32| crate::BBox {
        x0: x,
        y0: 0.0,
        x1: x + 20.0,
        y1: 20.0,
    };
    let mut model = PageAnalysis {
        components: vec![
            Component {
                bbox: Some(at(0.0)),
                source: crate::ComponentSource::Gemini,
                ..component("D-1", 1, 0.9)
            },
            Component {
                bbox: Some(at(100.0)),
                source: crate::ComponentSource::Gemini,
                ..component("seen-only-by-model", 1, 0.9)
            },
        ],
        ..Default::default()
    };
    let offline = PageAnalysis {
        components: vec![
            Component {
                bbox: Some(at(5.0)),
                evidence: Some("legend: D".into()),
                ..component("DOOR-7", 1, 0.8)
            },
            component("A-101-DR-B2", 1, 0.8),
        ],
        legend: vec![LegendEntry {
            tag: "D".into(),
            description: "DOOR".into(),
            kind: ComponentType::Door,
            system: "doors".into(),
            quantity: None,
        }],
        ..Default::default()
    };
    merge_answers(&mut model, offline);
    let ids: Vec<&str> = model.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["D-1", "seen-only-by-model", "A-101-DR-B2"]);
    assert!(
        model.components[0]
            .evidence
            .as_deref()
            .unwrap()
            .contains("also read from the text layer: legend: D")
    );
    assert_eq!(model.components[2].source, crate::ComponentSource::TextLayer);
    assert_eq!(model.legend.len(), 1);
}

#[test]
fn a_legend_quantity_the_plans_do_not_match_is_a_warning() {
    let legend = |quantity| PageAnalysis {
        legend: vec![LegendEntry {
            tag: "L4".into(),
            description: "LED TROFFER".into(),
            kind: ComponentType::Luminaire,
            system: "lighting".into(),
            quantity: Some(quantity),
        }],
        components: vec![Component {
            tag: Some("L4".into()),
            ..component("L4:1:1", 1, 0.8)
        }],
        analyzer: "text-layer".into(),
        ..Default::default()
    };
    let codes = |s: Schedule| s.warnings.into_iter().map(|w| w.code).collect::<Vec<_>>();
    assert!(codes(Schedule::build(&[legend(1)])).is_empty());
    let warned = Schedule::build(&[legend(3)]);
    assert_eq!(codes(warned.clone()), [warning::QUANTITY_MISMATCH]);
    assert!(warned.warnings[0].message.starts_with("The legend lists 3 × L4"));
}

#[test]
fn csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
    for evil in ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"] {
        let c = Component {
            location: Some(evil.into()),
            ..component(evil, 1, 0.9)
        };
        let pages = vec![PageAnalysis {
            components: vec![c],
            ..Default::default()
        }];
        let csv = String::from_utf8(Schedule::build(&pages).to_csv().unwrap()).unwrap();
        let row = csv.lines().nth(1).unwrap();
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(row.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], format!("'{evil}"));
        assert_eq!(&record[4], format!("'{evil}"));
    }
    assert_eq!(csv_safe("A-101-DR-B2"), "A-101-DR-B2");
}

#[test]
fn xlsx_is_a_zip_workbook() {
    let bytes = Schedule::default().to_xlsx().unwrap();
    assert_eq!(&bytes[..2], b"PK");
}
