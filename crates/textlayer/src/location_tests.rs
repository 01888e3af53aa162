//! Behaviour of `find_tags` around locations and repeated tags, on hand-made text layers.

use crate::tests::{ids, page, run, tag_box};
use crate::{TagMeaning, TagSchemes, find_tags};
use drawings_core::ComponentType;

fn office_and_corridor() -> Vec<drawings_core::ports::TextRun> {
    vec![
        run("OFFICE", 130.0, 150.0, 166.0, 158.0),
        run("101", 169.0, 150.0, 187.0, 158.0),
        run("CORRIDOR", 400.0, 200.0, 448.0, 208.0),
    ]
}

#[test]
fn an_id_tag_takes_the_nearest_room_label_as_its_location() {
    let mut runs = office_and_corridor();
    runs.push(run("A-101-DR-B2", 100.0, 200.0, 150.0, 208.0));
    runs.push(run("A-102-DR-B2", 1000.0, 700.0, 1050.0, 708.0));
    let found = find_tags(&page(runs), &TagSchemes::default());
    assert_eq!(found[0].location.as_deref(), Some("OFFICE 101"));
    assert_eq!(found[1].location, None);
}

#[test]
fn a_tag_box_is_a_callout_and_takes_no_plan_location_by_default() {
    let mut runs = office_and_corridor();
    runs.extend(tag_box(["A", "B2", "005", "BB"], 100.0, 200.0));
    assert_eq!(find_tags(&page(runs.clone()), &TagSchemes::default())[0].location, None);
    let mut schemes = TagSchemes::default();
    schemes.locations.tag_boxes = true;
    assert_eq!(
        find_tags(&page(runs), &schemes)[0].location.as_deref(),
        Some("OFFICE 101")
    );
}

/// A row of the baseline drawing's door schedule, 14 pt text, one run per word.
fn schedule_row(y: f32, words: &[&str]) -> Vec<drawings_core::ports::TextRun> {
    let mut x = 50.0;
    words
        .iter()
        .map(|w| {
            let width = 6.0 * w.chars().count() as f32;
            let r = run(w, x, y, x + width, y + 14.0);
            x += width + 3.3;
            r
        })
        .collect()
}

#[test]
fn a_schedule_row_gives_the_location_and_the_reader_and_exit_button_of_its_door_share_it() {
    let mut runs = schedule_row(150.0, &["A-101-DR-B2", "-", "Main", "Entrance", "-", "Card", "Reader"]);
    runs.extend(schedule_row(400.0, &["A-101-CR-B2,", "A-102-CR-B2"]));
    runs.extend(schedule_row(460.0, &["A-101-EB-B2"]));
    let found = find_tags(&page(runs), &TagSchemes::default());
    let got: Vec<(&str, Option<&str>)> = found.iter().map(|c| (c.id.as_str(), c.location.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("A-101-DR-B2", Some("Main Entrance")),
            ("A-101-CR-B2", Some("Main Entrance")),
            ("A-102-CR-B2", None),
            ("A-101-EB-B2", Some("Main Entrance")),
        ]
    );
}

#[test]
fn a_tag_listed_twice_keeps_its_first_place_and_takes_the_location_only_the_other_has() {
    // The id in a note at the top of the sheet, then on the plan next to its room.
    let mut runs = vec![
        run("SEE", 600.0, 50.0, 618.0, 58.0),
        run("A-101-DR-B2", 700.0, 50.0, 750.0, 58.0),
    ];
    runs.extend(office_and_corridor());
    runs.push(run("A-101-DR-B2", 100.0, 200.0, 150.0, 208.0));
    let found = find_tags(&page(runs), &TagSchemes::default());
    assert_eq!(ids(&found), ["A-101-DR-B2"]);
    assert_eq!(found[0].bbox.map(|b| b.x0), Some(700.0));
    assert_eq!(found[0].location.as_deref(), Some("OFFICE 101"));
}

#[test]
fn short_ids_count_only_when_the_schemes_list_their_letter() {
    let runs = vec![
        run("A-101", 100.0, 100.0, 130.0, 110.0),
        run("C-101", 100.0, 200.0, 130.0, 210.0),
        run("Q-101", 100.0, 300.0, 130.0, 310.0),
    ];
    assert!(find_tags(&page(runs.clone()), &TagSchemes::default()).is_empty());
    let schemes = TagSchemes::from_json_str(
        r#"{"short_ids": {"A": {"type": "door", "system": "access_control"},
                          "C": {"type": "camera", "system": "cctv"}}}"#,
    )
    .unwrap();
    let found = find_tags(&page(runs), &schemes);
    let got: Vec<(&str, ComponentType)> = found.iter().map(|c| (c.id.as_str(), c.kind)).collect();
    assert_eq!(got, [("A-101", ComponentType::Door), ("C-101", ComponentType::Camera)]);
    assert!(found.iter().all(|c| c.confidence < 0.9));
}

#[test]
fn a_full_id_is_never_read_as_a_short_one() {
    let mut schemes = TagSchemes::default();
    schemes
        .short_ids
        .insert("A".into(), TagMeaning::new(ComponentType::Door, "access_control"));
    let found = find_tags(&page(vec![run("A-101-CR-B2", 100.0, 100.0, 150.0, 108.0)]), &schemes);
    assert_eq!(
        found.iter().map(|c| (c.id.as_str(), c.kind)).collect::<Vec<_>>(),
        [("A-101-CR-B2", ComponentType::CardReader)]
    );
}

#[test]
fn an_intruder_alarm_tag_box_is_intrusion_not_intercom() {
    let found = find_tags(
        &page(tag_box(["I", "B2", "001", "BB"], 100.0, 200.0)),
        &TagSchemes::default(),
    );
    assert_eq!(
        (found[0].kind, found[0].system.as_str()),
        (ComponentType::Other, "intrusion")
    );
}

#[test]
fn an_equipment_code_never_takes_the_parts_of_a_tag_box_under_it() {
    // `SRA` right above a tag box whose level and point could read as the rack's reference.
    let mut runs = vec![run("SRA", 100.0, 194.0, 112.0, 199.5)];
    runs.extend(tag_box(["A", "B2", "001", "BB"], 96.0, 200.0));
    assert_eq!(ids(&find_tags(&page(runs), &TagSchemes::default())), ["A B2 001 BB"]);
}
