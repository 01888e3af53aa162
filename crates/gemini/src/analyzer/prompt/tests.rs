//! Tests of the prompt module.
use super::phrases::is_legend_heading;
use super::*;
use drawings_core::ports::{TextLine, TextRun};

fn run(text: &str, x: f32, y: f32) -> TextRun {
    let bbox = BBox {
        x0: x,
        y0: y,
        x1: x + 4.0 * text.len() as f32,
        y1: y + 6.0,
    };
    TextRun {
        text: text.into(),
        bbox,
    }
}

/// A landscape page of 1000 × 800 pt (round fractions) holding `runs`, with no stored lines.
fn input(runs: Vec<TextRun>) -> PageInput {
    let text = PageText {
        page: 2,
        width_pt: 1000.0,
        height_pt: 800.0,
        runs,
        ..PageText::default()
    };
    PageInput {
        page: 2,
        page_count: 7,
        text,
        image: None,
    }
}

#[test]
fn says_which_page_of_how_many_and_its_size() {
    let prompt = page_prompt(&input(vec![]));
    assert!(
        prompt.starts_with("This is page 3 of 7. The page is 1000 × 800 pt, landscape."),
        "{prompt}"
    );
    assert!(prompt.contains("camera-p3-1"));
    assert!(!SYSTEM_INSTRUCTION.is_empty() && SYSTEM_INSTRUCTION.contains("{type}-p{page}-{n}"));
}

#[test]
fn an_empty_text_layer_sends_the_model_to_the_image() {
    let prompt = page_prompt(&input(vec![]));
    assert!(prompt.contains("no text layer"), "{prompt}");
    assert!(!prompt.contains("Tag-like text"));
    let mut unreadable = input(vec![run("PLAN", 10.0, 10.0)]);
    unreadable.text.unreadable_chars = 120;
    assert!(page_prompt(&unreadable).contains("lost 120 characters"));
}

#[test]
fn lists_tags_with_positions_and_skips_near_misses() {
    let mut runs = vec![
        run("A", 100.0, 200.0),
        run("B2", 106.0, 200.0),
        run("005", 116.0, 200.0),
        run("BB", 130.0, 200.0),
        run("A-101-DR-B2", 500.0, 400.0),
        run("CR-01", 500.0, 420.0),
        run("A.102.DR.B2", 10.0, 420.0),
        run("GRID", 700.0, 600.0),
        run("A", 718.0, 600.0),
        run("12", 724.0, 600.0),
        run("345", 734.0, 600.0),
        run("67", 748.0, 600.0),
        run("1.5M", 10.0, 700.0),
        run("N-S", 40.0, 700.0),
        run("2024-01-15", 80.0, 700.0),
    ];
    runs.push(run("A-101-DR-B2", 900.0, 100.0)); // the same tag in a schedule table
    let prompt = page_prompt(&input(runs));
    assert!(prompt.contains("- A B2 005 BB at (0.119, 0.254)\n"), "{prompt}");
    assert!(prompt.contains("- A-101-DR-B2 at (0.922, 0.129) x2\n"), "{prompt}");
    assert!(prompt.contains("- CR-01 at (0.510, 0.529)\n"));
    assert!(prompt.contains("- A.102.DR.B2 at"));
    for miss in ["GRID A", "A 12 345 67", "1.5M", "N-S", "2024"] {
        assert!(!prompt.contains(&format!("- {miss}")), "{miss} listed:\n{prompt}");
    }
    // Top to bottom: the schedule copy of A-101-DR-B2 is highest on the page.
    let order = ["A-101-DR-B2", "A B2 005 BB", "A.102.DR.B2", "CR-01"].map(|t| prompt.find(&format!("- {t}")).unwrap());
    assert!(order.is_sorted(), "{prompt}");
}

#[test]
fn caps_bound_the_prompt() {
    let runs = (0..250)
        .map(|k| run(&format!("CR-{k:03}"), 10.0, 10.0 + 3.0 * k as f32))
        .collect();
    let prompt = page_prompt(&input(runs));
    assert_eq!(prompt.matches("\n- CR-").count(), MAX_TAGS);
    assert!(prompt.contains("- CR-199 at") && !prompt.contains("CR-200"));
    assert!(prompt.contains("(50 more not listed)"));

    let mut runs = vec![run("LEGEND", 600.0, 10.0)];
    runs.extend((0..60).map(|k| run(&format!("SYMBOL{k}"), 600.0, 20.0 + 4.0 * k as f32)));
    let prompt = page_prompt(&input(runs));
    assert_eq!(prompt.matches("\n- SYMBOL").count(), MAX_LEGEND_LINES - 1);
    assert!(prompt.contains("(21 more not listed)"), "{prompt}");
}

#[test]
fn passes_on_the_legend_block_and_room_labels() {
    let runs = vec![
        run("LEGEND", 860.0, 60.0),
        run("?", 860.0, 80.0),
        run("XX", 866.0, 80.0),
        run("000", 878.0, 80.0),
        run("XX", 892.0, 80.0),
        run("C", 860.0, 100.0),
        run("XX", 866.0, 100.0),
        run("000", 878.0, 100.0),
        run("XX", 892.0, 100.0),
        run("CCTV", 904.0, 100.0),
        run("NOTES", 860.0, 130.0),
        run("1.", 860.0, 140.0),
        run("SEE", 870.0, 140.0),
        run("CORRIDOR", 200.0, 100.0),
        run("OFFICE", 300.0, 300.0),
        run("101", 328.0, 300.0),
        run("KEY", 10.0, 780.0),
        run("PLAN", 26.0, 780.0),
    ];
    let prompt = page_prompt(&input(runs));
    let legend = "Its text, top to bottom:\n- LEGEND\n- ? XX 000 XX\n- C XX 000 XX CCTV\n\n";
    assert!(prompt.contains(legend), "{prompt}");
    assert!(
        !prompt.contains("- NOTES") && !prompt.contains("- KEY PLAN"),
        "{prompt}"
    );
    assert!(
        prompt.contains("- CORRIDOR at (0.216, 0.129)\n- OFFICE 101 at"),
        "{prompt}"
    );
    assert!(page_prompt(&input(vec![run("KEY", 10.0, 10.0), run("PLAN", 26.0, 10.0)])).contains("No legend"));
    assert!(is_legend_heading("SYMBOL KEY") && is_legend_heading("KEY:") && !is_legend_heading("KEY SWITCH"));
    assert!(is_legend_heading("Legend of Commonly used symbols"));
    assert!(!is_legend_heading("REFER TO THE LEGEND ON DRAWING E34 FOR ALL SYMBOLS"));
}

#[test]
fn is_deterministic_and_uses_stored_lines() {
    let runs = vec![
        run("A-101-CR-B2", 50.0, 50.0),
        run("C", 10.0, 10.0),
        run("CCTV", 18.0, 10.0),
        run("LOBBY", 400.0, 50.0),
    ];
    let mut reversed = runs.clone();
    reversed.reverse();
    assert_eq!(page_prompt(&input(runs.clone())), page_prompt(&input(reversed)));

    // Stored lines win over regrouping: a run no valid line holds is not read.
    let mut stored = input(runs);
    stored.text.lines = vec![
        TextLine {
            bbox: stored.text.runs[0].bbox,
            first_run: 0,
            run_count: 1,
        },
        TextLine {
            bbox: stored.text.runs[1].bbox,
            first_run: 1,
            run_count: 2,
        },
        TextLine {
            bbox: stored.text.runs[3].bbox,
            first_run: 3,
            run_count: 9,
        }, // out of range: skipped
    ];
    let prompt = page_prompt(&stored);
    assert!(
        prompt.contains("- A-101-CR-B2 at") && !prompt.contains("LOBBY"),
        "{prompt}"
    );
}

/// The right half of the 1000 × 800 pt page, cut on its left edge.
fn right_half() -> TileView {
    TileView {
        index: 1,
        count: 2,
        region: BBox {
            x0: 500.0,
            y0: 0.0,
            x1: 1000.0,
            y1: 800.0,
        },
        dpi: 300.0,
        cuts: [true, false, false, false],
    }
}

#[test]
fn a_tile_prompt_names_its_region_and_lists_only_what_it_shows_in_its_own_fractions() {
    let runs = vec![
        run("CR-01", 740.0, 400.0),
        run("CR-02", 100.0, 400.0),
        run("LEGEND", 100.0, 700.0),
        run("CR", 100.0, 710.0),
        run("CARD", 110.0, 710.0),
        run("READER", 130.0, 710.0),
    ];
    let prompt = prompt(&input(runs), &[], Some(&right_half()));
    assert!(
        prompt.starts_with("This is page 3 of 7."),
        "the fake and the logs read the page: {prompt}"
    );
    assert!(prompt.contains("tile 2 of 2 of the page, at 300 dpi"), "{prompt}");
    assert!(prompt.contains("from (0.500, 0.000) to (1.000, 1.000)"), "{prompt}");
    assert!(prompt.contains("cut off at the left edge"), "{prompt}");
    assert!(
        prompt.contains("- CR-01 at (0.500, 0.504)\n"),
        "tile fractions: {prompt}"
    );
    assert!(!prompt.contains("CR-02"), "{prompt}");
    assert!(
        prompt.contains("- CR CARD READER\n"),
        "the whole legend, though it lies in the other tile: {prompt}"
    );
    assert!(prompt.ends_with("List every device in this tile in the response schema."));
}

#[test]
fn the_offline_candidates_are_passed_with_their_evidence() {
    let hint = |id: &str, x: f32| Component {
        id: id.into(),
        kind: drawings_core::ComponentType::SmokeDetector,
        system: "fire_alarm".into(),
        page: 3,
        location: None,
        bbox: Some(BBox {
            x0: x,
            y0: 400.0,
            x1: x + 20.0,
            y1: 406.0,
        }),
        confidence: 0.8,
        source: drawings_core::ComponentSource::TextLayer,
        reason: None,
        tag: None,
        evidence: Some("address: loop 1 device 23".into()),
    };
    let hints = [hint("1-23", 740.0), hint("1-24", 100.0)];
    let whole = prompt(&input(vec![]), &hints, None);
    assert!(
        whole.contains("- 1-24 (smoke_detector) at (0.110, 0.504): address: loop 1 device 23\n"),
        "{whole}"
    );
    assert!(whole.contains("- 1-23 (smoke_detector) at (0.750, 0.504)"), "{whole}");
    let tile = prompt(&input(vec![]), &hints, Some(&right_half()));
    assert!(
        tile.contains("- 1-23 (smoke_detector) at (0.500, 0.504)") && !tile.contains("1-24"),
        "{tile}"
    );
    assert!(
        !page_prompt(&input(vec![])).contains("Candidates"),
        "no hints, no section"
    );
}
