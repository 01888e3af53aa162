//! Tests of the parse module.
use super::*;

const PAGE: PageGeometry = PageGeometry {
    page: 2,
    width_pt: 1000.0,
    height_pt: 800.0,
};

fn parse(text: &str) -> ParsedPage {
    parse_components(text, &PAGE).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn one(item: &str) -> Component {
    let parsed = parse(&format!("[{item}]"));
    assert_eq!(parsed.components.len(), 1, "{item}: {:?}", parsed.warnings);
    parsed.components.into_iter().next().unwrap()
}

#[test]
fn reads_the_schema_shape() {
    let answer = r#"{"components": [{"id": "A-101-CR-B2", "type": "card_reader", "system": "access_control",
        "location": "Main Entrance", "bbox": {"x0": 0.1, "y0": 0.25, "x1": 0.2, "y1": 0.5},
        "lock_type": null, "camera_type": null, "coverage": null, "confidence": 0.92,
        "reason": "Tag next to a reader symbol."}], "legend_found": true, "notes": null}"#;
    let parsed = parse(answer);
    assert_eq!((parsed.legend_found, parsed.notes.as_deref()), (Some(true), None));
    assert!(parsed.warnings.is_empty());
    let c = &parsed.components[0];
    assert_eq!(
        *c,
        Component {
            id: "A-101-CR-B2".into(),
            kind: ComponentType::CardReader,
            system: "access_control".into(),
            page: 3,
            location: Some("Main Entrance".into()),
            bbox: Some(BBox {
                x0: 100.0,
                y0: 200.0,
                x1: 200.0,
                y1: 400.0
            }),
            confidence: 0.92,
            source: ComponentSource::Gemini,
            reason: Some("Tag next to a reader symbol.".into()),
            tag: None,
            evidence: None,
        }
    );
}

#[test]
fn accepts_a_bare_array_a_fence_and_prose_around_the_json() {
    let item = r#"{"id": "CR-01", "type": "card_reader"}"#;
    for answer in [
        format!("[{item}]"),
        format!("```json\n{{\"components\": [{item}]}}\n```"),
        format!("```\n[{item}]\n```\n"),
        format!("Here is the JSON:\n{{\"components\": [{item}]}}\nDone."),
        format!("```json {{\"components\": [{item}]}}```"),
    ] {
        assert_eq!(parse(&answer).components[0].id, "CR-01", "{answer}");
    }
    assert!(
        parse(r#"{"components": null, "legend_found": false}"#)
            .components
            .is_empty()
    );
}

#[test]
fn not_json_and_the_wrong_shape_are_told_apart() {
    let err = |text: &str| parse_components(text, &PAGE).unwrap_err();
    assert!(matches!(err("no devices here"), ParseError::NotJson(_)));
    assert!(
        matches!(err(r#"{"components": [{"id": "A-1"#), ParseError::NotJson(_)),
        "truncated"
    );
    assert!(matches!(err(""), ParseError::NotJson(_)));
    let ParseError::SchemaMismatch(msg) = err(r#"{"devices": [], "legend_found": true}"#) else {
        panic!()
    };
    assert!(msg.contains("devices") && msg.contains("legend_found"), "{msg}");
    assert!(matches!(
        err(r#"{"components": "none"}"#),
        ParseError::SchemaMismatch(_)
    ));
    assert!(matches!(err(r#""components""#), ParseError::SchemaMismatch(_)));
}

#[test]
fn type_words_in_any_spelling() {
    use ComponentType::*;
    let cases = [
        (CardReader, "Card Reader|card-reader|reader|CardReader"),
        (ExitButton, "REX|request to exit|Exit Button|push-to-exit"),
        (Lock, "maglock|electric strike|lock|Mag Lock|cam lock"),
        (PositionSwitch, "DPS|door contact|position switch|door_position_switch"),
        (Camera, "camera|CCTV|dome camera|PTZ Cameras"),
        (Door, "door|DOOR"),
        (AccessPoint, "access_point"),
        (Intercom, "intercom|door entry panel"),
        (Other, "other"),
    ];
    for (kind, words) in cases {
        for word in words.split('|') {
            assert_eq!(component_type(word), Some(kind), "{word}");
        }
    }
    assert_eq!(component_type("PIR detector"), None);
}

#[test]
fn an_unknown_type_is_other_and_keeps_the_word() {
    let c = one(r#"{"id": "PIR-3", "type": "PIR detector", "reason": "motion sensor"}"#);
    assert_eq!((c.kind, c.system.as_str()), (ComponentType::Other, "other"));
    assert_eq!(c.reason.as_deref(), Some("model type \"PIR detector\"; motion sensor"));
    assert_eq!(one(r#"{"id": "X-1"}"#).kind, ComponentType::Other);
}

#[test]
fn id_under_tag_or_label_and_empty_ids_dropped() {
    assert_eq!(
        one(r#"{"tag": " A  B2 005 BB ", "type": "access point"}"#).id,
        "A B2 005 BB"
    );
    assert_eq!(one(r#"{"id": null, "Label": "C-7", "type": "camera"}"#).id, "C-7");
    let parsed = parse(r#"[{"id": "", "type": "door"}, {"type": "door"}, "DR-1", {"id": "DR-2", "type": "door"}]"#);
    assert_eq!(parsed.components.len(), 1);
    assert_eq!(parsed.warnings.len(), 3, "{:?}", parsed.warnings);
}

#[test]
fn confidence_defaults_clamps_and_reads_percentages() {
    let conf = |v: &str| one(&format!(r#"{{"id": "DR-1", "type": "door", "confidence": {v}}}"#)).confidence;
    assert_eq!(one(r#"{"id": "DR-1", "type": "door"}"#).confidence, 0.5);
    assert_eq!(conf("null"), 0.5);
    assert_eq!(conf("85"), 0.85);
    assert_eq!(conf("\"85%\""), 0.85);
    assert_eq!(conf("\"high\""), 0.9);
    assert_eq!(conf("-0.2"), 0.0);
    assert_eq!(conf("250"), 1.0);
    // A made-up id for an untagged device is never more than a guess.
    assert_eq!(
        one(r#"{"id": "camera-p3-1", "type": "camera", "confidence": 0.9}"#).confidence,
        0.5
    );
    assert!(looks_untagged("exit_button-p12-3") && !looks_untagged("A-101-DR-B2") && !looks_untagged("C-p1-2"));
}

#[test]
fn system_normalised_or_inferred_from_the_type() {
    let system = |item: &str| one(item).system;
    assert_eq!(system(r#"{"id": "C1", "type": "camera"}"#), "cctv");
    assert_eq!(system(r#"{"id": "V1", "type": "intercom"}"#), "intercom");
    assert_eq!(system(r#"{"id": "R1", "type": "reader"}"#), "access_control");
    assert_eq!(
        system(r#"{"id": "R1", "type": "reader", "system": "Access Control"}"#),
        "access_control"
    );
    assert_eq!(
        system(r#"{"id": "I1", "type": "other", "system": "intrusion"}"#),
        "intruder"
    );
    assert_eq!(
        system(r#"{"id": "F1", "type": "other", "system": "Fire Alarm"}"#),
        "fire_alarm"
    );
}

#[test]
fn lock_and_camera_details_go_into_the_reason() {
    let lock = one(r#"{"id": "LK-1", "type": "lock", "lock_type": "ML", "reason": "maglock symbol"}"#);
    assert_eq!(lock.reason.as_deref(), Some("lock type ML; maglock symbol"));
    let cam = one(r#"{"id": "C1", "type": "camera", "camera_type": "dome", "coverage": "corridor towards stairs"}"#);
    assert_eq!(
        cam.reason.as_deref(),
        Some("camera type dome; covers corridor towards stairs")
    );
    assert_eq!(cam.location, None, "coverage is not where the camera is");
    let long = one(&format!(
        r#"{{"id": "C1", "type": "camera", "reason": "{}"}}"#,
        "é".repeat(900)
    ));
    assert_eq!(long.reason.unwrap().chars().count(), MAX_REASON_CHARS + 1);
}

#[test]
fn boxes_in_fractions_points_or_gemini_thousandths() {
    let bbox = |b: &str| one(&format!(r#"{{"id": "D1", "type": "door", {b}}}"#)).bbox;
    let expect = Some(BBox {
        x0: 100.0,
        y0: 200.0,
        x1: 200.0,
        y1: 400.0,
    });
    assert_eq!(bbox(r#""bbox": [0.1, 0.25, 0.2, 0.5]"#), expect);
    assert_eq!(
        bbox(r#""bbox": {"x0": 100, "y0": 200, "x1": 200, "y1": 400}"#),
        expect,
        "points"
    );
    assert_eq!(bbox(r#""box_2d": [250, 100, 500, 200]"#), expect);
    assert_eq!(
        bbox(r#""bbox": {"x0": 900, "y0": 700, "x1": 1200, "y1": 900}"#),
        Some(BBox {
            x0: 900.0,
            y0: 700.0,
            x1: 1000.0,
            y1: 800.0
        }),
        "clamped to the page"
    );
    assert_eq!(
        bbox(r#""bbox": {"x0": -0.05, "y0": 0.25, "x1": 0.2, "y1": 0.5}"#)
            .unwrap()
            .x0,
        0.0
    );
    for dropped in [
        r#""bbox": {"x0": 0.3, "y0": 0.25, "x1": 0.2, "y1": 0.5}"#,
        r#""bbox": {"x0": 0.1, "y0": 0.6, "x1": 0.2, "y1": 0.5}"#,
        r#""bbox": {"x0": 1100, "y0": 100, "x1": 1200, "y1": 200}"#,
        r#""bbox": [0.1, 0.2]"#,
        r#""bbox": {"x0": 0.1, "y0": "top", "x1": 0.2, "y1": 0.5}"#,
    ] {
        let parsed = parse(&format!(r#"[{{"id": "D1", "type": "door", {dropped}}}]"#));
        assert_eq!(parsed.components[0].bbox, None, "{dropped}");
        assert!(parsed.warnings[0].contains("bbox dropped"), "{:?}", parsed.warnings);
    }
    let unknown_size = PageGeometry {
        width_pt: 0.0,
        height_pt: 0.0,
        ..PAGE
    };
    let answer = r#"[{"id": "D1", "type": "door", "bbox": [0.1, 0.2, 0.3, 0.4]}]"#;
    assert_eq!(
        parse_components(answer, &unknown_size).unwrap().components[0].bbox,
        None
    );
}

#[test]
fn duplicate_ids_merge_keeping_the_more_confident() {
    let parsed = parse(
        r#"[{"id": "A-101-DR-B2", "type": "door", "confidence": 0.6, "location": "Lobby"},
            {"id": "DR-9", "type": "door"},
            {"id": "a.101.dr.b2", "type": "door", "confidence": 0.9, "bbox": [0.1, 0.1, 0.2, 0.2]}]"#,
    );
    let ids: Vec<&str> = parsed.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a.101.dr.b2", "DR-9"], "first position, more confident answer");
    let merged = &parsed.components[0];
    assert_eq!((merged.confidence, merged.location.as_deref()), (0.9, Some("Lobby")));
    assert!(merged.bbox.is_some());
}

#[test]
fn geometry_comes_from_the_page_input() {
    let text = drawings_core::ports::PageText {
        width_pt: 595.0,
        height_pt: 842.0,
        ..Default::default()
    };
    let input = PageInput {
        page: 4,
        page_count: 9,
        text,
        image: None,
    };
    assert_eq!(
        PageGeometry::of(&input),
        PageGeometry {
            page: 4,
            width_pt: 595.0,
            height_pt: 842.0
        }
    );
}

#[test]
fn type_tag_instances_keep_their_tag_and_are_not_merged_by_id() {
    let parsed = parse(
        r#"{"components": [
            {"id": "L4", "tag": "L4", "type": "luminaire", "confidence": 0.8, "reason": "L4 in a ceiling grid"},
            {"id": "L4", "tag": "L4", "type": "luminaire", "confidence": 0.8, "reason": "L4 by the door"},
            {"id": "1-23", "type": "smoke_detector", "confidence": 0.9, "reason": "address 1-23"}]}"#,
    );
    assert_eq!(parsed.components.len(), 3, "{:?}", parsed.warnings);
    assert_eq!(parsed.components[0].tag.as_deref(), Some("L4"));
    assert_eq!(parsed.components[0].system, "lighting");
    assert_eq!(parsed.components[2].kind, ComponentType::SmokeDetector);
    assert_eq!(
        parsed.components[2].system, "fire_alarm",
        "the system follows from the new types"
    );
    assert_eq!(
        one(r#"{"tag": "CR-1", "type": "card_reader"}"#).tag,
        None,
        "a lone tag is the id"
    );
}
