//! Workers that serve several pages of one document: their answers are the in-process
//! engine's, they serve only the document they opened, up to their page count, and anything
//! but a well-formed answer (a crash, a cap, the wall clock) ends them with the code a worker
//! of its own would have given, after which the next page gets a new worker.

use bytes::Bytes;
use drawings_core::ErrorCode;
use drawings_core::ports::{HeldPdf, PdfEngine, RenderOptions};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, PdfiumEngine, WorkerCommand};
use drawings_testkit::fixtures::pdf::{PageSpec, Placed, pages_pdf};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(name),
    )
    .unwrap()
}

fn serving(pages: u32, limits: IsolationLimits) -> IsolatedPdfEngine {
    let command = WorkerCommand {
        program: env!("CARGO_BIN_EXE_drawings-pdf-worker").into(),
        args: vec![],
    };
    IsolatedPdfEngine::new(command, limits).with_pages_per_worker(pages)
}

fn shell(script: &str, wall: Duration) -> IsolatedPdfEngine {
    // `sh -c SCRIPT` ignores the limit arguments appended after it.
    let command = WorkerCommand {
        program: "sh".into(),
        args: vec!["-c".into(), script.into(), "worker".into()],
    };
    let limits = IsolationLimits {
        wall,
        memory_bytes: 1 << 30,
    };
    IsolatedPdfEngine::new(command, limits).with_pages_per_worker(4)
}

fn small_render() -> RenderOptions {
    RenderOptions {
        dpi: 50.0,
        ..RenderOptions::default()
    }
}

#[test]
fn pages_of_one_document_share_a_worker_up_to_its_page_count_and_match_the_in_process_engine() {
    let pdf = fixture("security-plan.pdf");
    let (engine, local) = (serving(3, IsolationLimits::default()), PdfiumEngine::new());
    for page in 0..4 {
        let (a, b) = (
            engine.extract_page(&pdf, page, &small_render()).unwrap(),
            local.extract_page(&pdf, page, &small_render()).unwrap(),
        );
        assert_eq!(a, b, "page {page}");
    }
    assert_eq!(
        engine.workers_started(),
        2,
        "three pages on the first worker, then a new one"
    );
    let out_of_range = engine.extract_page(&pdf, 9, &small_render()).unwrap_err();
    assert_eq!(out_of_range.code, ErrorCode::InvalidPdf, "{out_of_range}");
    engine.extract_page(&pdf, 3, &small_render()).unwrap();
    assert_eq!(
        engine.workers_started(),
        2,
        "the engine's verdict on a page is an answer: the worker goes on serving"
    );
}

#[test]
fn a_worker_serves_only_the_document_it_opened() {
    let (plan, sheet) = (fixture("security-plan.pdf"), fixture("single-sheet.pdf"));
    let engine = serving(8, IsolationLimits::default());
    engine.extract_page(&plan, 0, &small_render()).unwrap();
    let answer = engine.extract_page(&sheet, 0, &small_render()).unwrap();
    assert_eq!(
        answer,
        PdfiumEngine::new().extract_page(&sheet, 0, &small_render()).unwrap()
    );
    assert_eq!(engine.workers_started(), 2);
}

#[test]
fn pages_asked_for_at_once_get_a_worker_each() {
    let pdf = fixture("security-plan.pdf");
    let engine = serving(8, IsolationLimits::default());
    std::thread::scope(|scope| {
        for page in [0, 1] {
            let (engine, pdf) = (&engine, &pdf);
            scope.spawn(move || engine.extract_page(pdf, page, &small_render()).unwrap());
        }
    });
    assert_eq!(engine.workers_started(), 2);
    engine.extract_page(&pdf, 2, &small_render()).unwrap();
    engine.extract_page(&pdf, 3, &small_render()).unwrap();
    assert_eq!(engine.workers_started(), 2, "later pages reuse the idle workers");
}

#[test]
fn the_workers_of_one_document_share_one_copy_of_it() {
    let (plan, sheet) = (fixture("security-plan.pdf"), fixture("single-sheet.pdf"));
    let engine = serving(8, IsolationLimits::default());
    std::thread::scope(|scope| {
        for page in [0, 1] {
            let (engine, pdf) = (&engine, &plan);
            scope.spawn(move || engine.extract_page(pdf, page, &small_render()).unwrap());
        }
    });
    assert_eq!(engine.workers_started(), 2);
    assert_eq!(engine.documents_held(), 1, "two workers, one copy of their document");
    engine.extract_page(&sheet, 0, &small_render()).unwrap();
    assert_eq!(engine.documents_held(), 2, "another document, another copy");
}

#[test]
fn a_held_document_is_served_from_the_engines_own_copy_without_the_callers_bytes() {
    let pdf = fixture("security-plan.pdf");
    let engine = serving(8, IsolationLimits::default());
    let held = engine.hold(Bytes::from(pdf.clone())).unwrap();
    assert!(matches!(held, HeldPdf::Engine(_)), "{held:?}");
    assert_eq!(engine.documents_held(), 1, "the copy is made when it is held");
    let local = PdfiumEngine::new();
    for page in 0..4 {
        assert_eq!(
            engine.extract_held(&held, page, &small_render()).unwrap(),
            local.extract_page(&pdf, page, &small_render()).unwrap(),
            "page {page}"
        );
    }
    // One read the page tree when the document was held (4 pages: no windows), one served.
    assert_eq!(engine.workers_started(), 2, "one worker serves the held pages");
    engine.extract_page(&pdf, 1, &small_render()).unwrap();
    assert_eq!(
        (engine.workers_started(), engine.documents_held()),
        (2, 1),
        "the same bytes find the same copy and its worker"
    );
    let out_of_range = engine.extract_held(&held, 9, &small_render()).unwrap_err();
    assert_eq!(out_of_range.code, ErrorCode::InvalidPdf, "{out_of_range}");
}

#[test]
fn a_long_held_document_is_served_in_windows_with_the_answers_of_the_whole_document() {
    // 40 pages, each its own width and text: a page from the wrong place would show.
    let texts: Vec<[Placed; 1]> = (0..40)
        .map(|i| [Placed::new(&format!("SHEET {i}"), 20.0, 20.0, 12.0)])
        .collect();
    let pages: Vec<PageSpec<'_>> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| PageSpec::new([0.0, 0.0, 200.0 + i as f32, 300.0], 0, text))
        .collect();
    let pdf = pages_pdf(&pages);
    let engine = serving(8, IsolationLimits::default());
    let held = engine.hold(Bytes::from(pdf.clone())).unwrap();
    assert_eq!(engine.workers_started(), 1, "one worker read the page tree");
    let local = PdfiumEngine::new();
    // The first and last pages of windows, and a last window of 8 pages.
    for page in [0, 15, 16, 17, 31, 32, 39] {
        assert_eq!(
            engine.extract_held(&held, page, &small_render()).unwrap(),
            local.extract_page(&pdf, page, &small_render()).unwrap(),
            "page {page}"
        );
    }
    // A worker serves one window: the pages of the three windows took three workers.
    assert_eq!(engine.workers_started(), 4);
    let past_the_end = engine.extract_held(&held, 40, &small_render()).unwrap_err();
    assert_eq!(past_the_end.code, ErrorCode::InvalidPdf, "{past_the_end}");
}

#[test]
fn a_page_tree_read_that_does_not_end_leaves_the_document_held_without_windows_in_ten_seconds() {
    // A "worker" that never answers, under a wall clock of a minute.
    let engine = shell("exec sleep 60", Duration::from_secs(60));
    let started = Instant::now();
    let held = engine.hold(Bytes::from(fixture("security-plan.pdf"))).unwrap();
    assert!(matches!(held, HeldPdf::Engine(_)), "{held:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(30),
        "took {took:?}"
    );
}

#[test]
fn a_document_held_by_something_else_is_an_internal_error_and_one_shot_workers_hold_bytes() {
    let engine = serving(8, IsolationLimits::default());
    let foreign = HeldPdf::Engine(Arc::new(42u8));
    let error = engine.extract_held(&foreign, 0, &small_render()).unwrap_err();
    assert_eq!(error.code, ErrorCode::Internal, "{error}");
    let one_shot = serving(1, IsolationLimits::default());
    let held = one_shot.hold(Bytes::from(fixture("single-sheet.pdf"))).unwrap();
    assert!(matches!(held, HeldPdf::Bytes(_)), "{held:?}");
    one_shot.extract_held(&held, 0, &small_render()).unwrap();
}

#[test]
fn a_page_over_the_memory_cap_in_a_reused_worker_is_judged_again_by_a_new_one() {
    let engine = serving(
        8,
        IsolationLimits {
            wall: Duration::from_secs(60),
            memory_bytes: 512 << 20,
        },
    );
    let pdf = fixture("security-plan.pdf");
    engine.extract_page(&pdf, 0, &small_render()).unwrap();
    // An A3 sheet at 2400 DPI is a 4 GB bitmap: the reused worker fails it, and so does the
    // new one the page is handed to (memory the first page left cannot be the reason), whose
    // verdict is the page's.
    let huge = RenderOptions {
        dpi: 2400.0,
        max_pixels: u64::MAX,
        tiles: None,
    };
    let error = engine.extract_page(&pdf, 0, &huge).unwrap_err();
    assert_eq!(error.code, ErrorCode::ResourceLimit, "{error}");
    assert_eq!(engine.workers_started(), 2);
    assert!(
        engine.extract_page(&pdf, 1, &small_render()).is_ok(),
        "a refused page leaves nothing behind"
    );
}

#[test]
fn a_serving_worker_past_the_wall_clock_is_stopped_with_processing_timeout() {
    let started = Instant::now();
    let error = shell("exec sleep 30", Duration::from_millis(300))
        .extract_page(&fixture("single-sheet.pdf"), 0, &small_render())
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::ProcessingTimeout, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_serving_worker_that_crashes_or_aborts_maps_to_the_same_codes() {
    let pdf = fixture("single-sheet.pdf");
    for (script, code) in [
        ("kill -SEGV $$", ErrorCode::InvalidPdf),
        ("kill -ABRT $$", ErrorCode::ResourceLimit),
        ("kill -XCPU $$", ErrorCode::ProcessingTimeout),
        // A serving worker keeps its input open, so this one reads a byte, not to the end.
        ("head -c 1 >/dev/null; echo hello", ErrorCode::Internal),
    ] {
        let error = shell(script, Duration::from_secs(10))
            .extract_page(&pdf, 0, &small_render())
            .unwrap_err();
        assert_eq!(error.code, code, "{script}: {error}");
    }
}
