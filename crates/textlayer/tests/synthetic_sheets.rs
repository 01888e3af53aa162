//! One synthetic sheet per naming style, laid out as real sheets are (a legend in a corner,
//! labels scattered over the plan, some stacked, rotated or in 3 pt text, notes that mention
//! tags, a title block), each read through the public [`read_page`] and merged as the
//! schedule stage merges pages. The expected counts are known by construction.

use drawings_core::ComponentType;
use drawings_core::ports::{PageAnalysis, PageText, TextRun};
use drawings_core::schedule::Schedule;
use drawings_testkit::text_layer::{label, line, sheet};
use drawings_textlayer::{TagSchemes, read_page};

mod common;

fn schedule(pages: &[PageText]) -> Schedule {
    let analyses: Vec<PageAnalysis> = pages
        .iter()
        .map(|text| common::analysis(text.page, read_page(text, &TagSchemes::default())))
        .collect();
    Schedule::build(&analyses)
}

fn title_block() -> Vec<TextRun> {
    let mut runs = line("SHEET E201 POWER PLAN", 2700.0, 2050.0, 12.0);
    runs.extend(line("DRAWN BY JD CHECKED P1 REV 3", 2700.0, 2080.0, 8.0));
    runs
}

#[test]
fn an_electrical_sheet_counts_each_legend_tag_on_the_plan() {
    let mut runs = line("ELECTRICAL LEGEND", 2600.0, 100.0, 10.0);
    for (n, row) in [
        "L4 2x4 LED TROFFER",
        "P5 DUPLEX RECEPTACLE 20A",
        "S1 SINGLE POLE SWITCH",
        "AC1 ACCESS CONTROL POINT",
        "K1 ALARM KEYPAD",
    ]
    .iter()
    .enumerate()
    {
        runs.extend(line(row, 2600.0, 130.0 + 20.0 * n as f32, 8.0));
    }
    // The plan: 12 L4 (two of them printed twice over one another, three rotated), 8 P5 in
    // 3 pt text, 5 S1, 2 AC1 and 1 K1, spread over the sheet.
    for n in 0..12 {
        let (x, y) = (200.0 + 150.0 * (n % 6) as f32, 400.0 + 300.0 * (n / 6) as f32);
        runs.push(label("L4", x, y, 6.0, n % 4 == 3));
        if n < 2 {
            runs.push(label("L4", x + 0.2, y + 0.1, 6.0, false));
        }
    }
    runs.extend((0..8).map(|n| label("P5", 300.0 + 140.0 * n as f32, 1200.0, 3.0, false)));
    runs.extend((0..5).map(|n| label("S1", 250.0 + 200.0 * n as f32, 1500.0, 6.0, true)));
    runs.extend((0..2).map(|n| label("AC1", 1800.0, 500.0 + 200.0 * n as f32, 6.0, false)));
    runs.push(label("K1", 1900.0, 900.0, 6.0, false));
    // A note that mentions tags is not a device, nor is the title block.
    runs.extend(line(
        "NOTE: ALL P5 RECEPTACLES AND L4 FIXTURES ON EMERGENCY CIRCUITS",
        200.0,
        1900.0,
        8.0,
    ));
    runs.extend(title_block());
    let s = schedule(&[sheet(0, runs)]);
    let tags: Vec<(&str, u32)> = s.tag_totals.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    assert_eq!(tags, [("AC1", 2), ("K1", 1), ("L4", 12), ("P5", 8), ("S1", 5)]);
    assert_eq!(s.totals[&ComponentType::Luminaire], 12);
    assert_eq!(s.totals[&ComponentType::Receptacle], 8);
    assert_eq!(s.totals[&ComponentType::Switch], 5);
    assert_eq!(s.totals[&ComponentType::AccessPoint], 2);
    assert_eq!(s.totals[&ComponentType::Keypad], 1);
    let l4 = s.components.iter().find(|c| c.tag.as_deref() == Some("L4")).unwrap();
    assert_eq!(l4.evidence.as_deref(), Some("legend: L4 = 2x4 LED TROFFER (troffer)"));
}

#[test]
fn a_set_whose_legend_sheet_defines_the_tags_counts_them_on_the_plan_sheets() {
    let mut legend = line("LUMINAIRE SCHEDULE", 200.0, 100.0, 10.0);
    legend.extend(line("F1 SUSPENDED LED LINEAR", 200.0, 130.0, 8.0));
    legend.extend(line("EM1 EMERGENCY LIGHT BATTERY PACK", 200.0, 150.0, 8.0));
    let mut plan: Vec<TextRun> = (0..6)
        .map(|n| label("F1", 300.0 + 200.0 * n as f32, 600.0, 6.5, false))
        .collect();
    plan.extend((0..3).map(|n| label("EM1", 300.0 + 300.0 * n as f32, 900.0, 6.5, false)));
    let s = schedule(&[sheet(0, legend), sheet(1, plan)]);
    assert_eq!(s.tag_totals["F1"], 6);
    assert_eq!(s.tag_totals["EM1"], 3);
    assert_eq!(s.totals[&ComponentType::EmergencyLight], 3);
    assert!(s.components.iter().all(|c| c.page == 2));
}

#[test]
fn a_fire_alarm_set_lists_each_addressed_device_once_with_its_type() {
    // Sheet 1, the plan: 6 devices, each an address with its type code beside it; one module
    // carries two addresses.
    let mut plan = Vec::new();
    for (n, (code, address)) in [
        ("SD", "L1D001"),
        ("SD", "L1D002"),
        ("HD", "L1D003"),
        ("MCP", "L1M004"),
        ("SD", "L1D005"),
    ]
    .iter()
    .enumerate()
    {
        let x = 300.0 + 250.0 * n as f32;
        plan.push(label(code, x, 500.0, 6.0, false));
        plan.push(label(address, x, 508.0, 4.0, n == 2));
    }
    plan.push(label("L1M006", 1800.0, 700.0, 4.0, false));
    plan.push(label("L1M007", 1800.0, 705.0, 4.0, false));
    // Sheet 2: the circuit table repeats every address with a description, and the riser
    // repeats some again.
    let mut table = line("SLC LOOP 1 DEVICE SCHEDULE", 200.0, 100.0, 10.0);
    for (n, row) in [
        "L1D001 PHOTOELECTRIC SMOKE DETECTOR CORRIDOR",
        "L1D002 PHOTOELECTRIC SMOKE DETECTOR LOBBY",
        "L1D003 HEAT DETECTOR KITCHEN",
        "L1M004 MANUAL PULL STATION EXIT",
        "L1D005 DUCT SMOKE DETECTOR AHU-1",
        "L1M006 MONITOR MODULE SPRINKLER FLOW",
        "L1M007 MONITOR MODULE TAMPER",
    ]
    .iter()
    .enumerate()
    {
        table.extend(line(row, 200.0, 130.0 + 14.0 * n as f32, 7.0));
    }
    table.extend(line("RISER L1D001 L1D002 L1D003", 1500.0, 600.0, 6.0));
    let s = schedule(&[sheet(0, plan), sheet(1, table)]);
    let mut kinds: Vec<(String, ComponentType)> = s.components.iter().map(|c| (c.id.clone(), c.kind)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("L1D001".to_owned(), ComponentType::SmokeDetector),
            ("L1D002".to_owned(), ComponentType::SmokeDetector),
            ("L1D003".to_owned(), ComponentType::HeatDetector),
            ("L1D005".to_owned(), ComponentType::DuctDetector),
            ("L1M004".to_owned(), ComponentType::ManualCallPoint),
            ("L1M006/L1M007".to_owned(), ComponentType::MonitorModule),
        ]
    );
}

#[test]
fn a_lighting_plot_lists_each_instrument_once_in_small_rotated_text() {
    let mut runs = line("FIRST ELECTRIC", 200.0, 100.0, 10.0);
    runs.extend(line("INSTRUMENT SCHEDULE CHANNEL DIMMER", 2500.0, 100.0, 10.0));
    for unit in 1..=12 {
        runs.push(label(
            &format!("E1-{unit}"),
            200.0 + 60.0 * unit as f32,
            300.0,
            3.0,
            unit % 2 == 0,
        ));
    }
    for unit in 1..=8 {
        runs.push(label(
            &format!("B2-{unit}"),
            2000.0,
            300.0 + 50.0 * unit as f32,
            3.0,
            true,
        ));
    }
    // The instrument schedule repeats some ids; a lone sheet reference is no instrument.
    runs.extend(line("E1-3 SOURCE FOUR 26 DEG", 2500.0, 130.0, 6.0));
    runs.push(label("A3-1", 1000.0, 1900.0, 8.0, false));
    let s = schedule(&[sheet(0, runs)]);
    assert_eq!(s.totals[&ComponentType::Luminaire], 20, "{:?}", s.components);
}

#[test]
fn a_structural_sheet_full_of_look_alike_tags_has_no_devices_and_says_so() {
    let mut runs = line("FOUNDATION LEGEND", 2600.0, 100.0, 10.0);
    for (n, row) in [
        "P1 CONCRETE PIER 24 DIA",
        "C1 STEEL COLUMN W10X33",
        "F1 SPREAD FOOTING 4'-0 SQ",
        "B1 BEAM",
    ]
    .iter()
    .enumerate()
    {
        runs.extend(line(row, 2600.0, 130.0 + 20.0 * n as f32, 8.0));
    }
    for n in 0..20 {
        let x = 200.0 + 100.0 * n as f32;
        runs.push(label("P1", x, 500.0, 6.0, false));
        runs.push(label("C1", x, 800.0, 6.0, false));
        runs.push(label("F1", x, 1100.0, 6.0, false));
        runs.push(label(&format!("{}", n + 1), x, 60.0, 12.0, false));
    }
    runs.extend(title_block());
    let s = schedule(&[sheet(0, runs)]);
    assert!(s.components.is_empty(), "{:?}", s.components);
    assert!(s.warnings.iter().any(|w| w.code == "NO_DEVICES_FOUND"));
}

#[test]
fn a_page_without_text_is_explained_not_silently_empty() {
    let s = schedule(&[sheet(0, Vec::new())]);
    let codes: Vec<&str> = s.warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"NO_TEXT_LAYER"), "{codes:?}");
    assert!(codes.contains(&"NO_DEVICES_FOUND"), "{codes:?}");
}
