//! The process boundary: answers through a worker match the in-process engine, and every way
//! a worker can end (too slow, crashed, out of memory, not started) gives a stable code
//! within the limit. `sh` stands in for workers that misbehave on purpose.

use drawings_core::ErrorClass;
use drawings_core::ErrorCode;
use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, PdfiumEngine, WorkerCommand};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures").join(name)).unwrap()
}

fn worker(limits: IsolationLimits) -> IsolatedPdfEngine {
    let command = WorkerCommand {
        program: env!("CARGO_BIN_EXE_drawings-pdf-worker").into(),
        args: vec![],
    };
    IsolatedPdfEngine::new(command, limits)
}

fn shell(script: &str, wall: Duration) -> IsolatedPdfEngine {
    // `sh -c SCRIPT` ignores the limit arguments appended after it.
    let command = WorkerCommand {
        program: "sh".into(),
        args: vec!["-c".into(), script.into(), "worker".into()],
    };
    IsolatedPdfEngine::new(
        command,
        IsolationLimits {
            wall,
            memory_bytes: 1 << 30,
        },
    )
}

fn small_render() -> RenderOptions {
    RenderOptions {
        dpi: 50.0,
        ..RenderOptions::default()
    }
}

#[test]
fn answers_through_a_worker_match_the_in_process_engine() {
    let pdf = fixture("security-plan.pdf");
    let (isolated, local) = (worker(IsolationLimits::default()), PdfiumEngine::new());
    assert_eq!(
        isolated.inspect(&pdf, &PdfLimits::default()),
        local.inspect(&pdf, &PdfLimits::default())
    );
    for page in 0..4 {
        let (a, b) = (
            isolated.extract_page(&pdf, page, &small_render()).unwrap(),
            local.extract_page(&pdf, page, &small_render()).unwrap(),
        );
        assert_eq!(a.text, b.text, "page {page} text");
        assert_eq!(a.image, b.image, "page {page} image");
        assert_eq!(a.tiles, b.tiles, "page {page} tiles");
        assert_eq!(
            isolated.summarize_page(&pdf, page),
            local.summarize_page(&pdf, page),
            "page {page} summary"
        );
    }
}

#[test]
fn a_bad_file_gets_the_engines_own_code_through_the_worker() {
    let engine = worker(IsolationLimits::default());
    let encrypted = engine
        .inspect(&fixture("encrypted.pdf"), &PdfLimits::default())
        .unwrap_err();
    assert_eq!(encrypted.code, ErrorCode::EncryptedPdf);
    let garbage = engine
        .inspect(b"%PDF-1.7 not really", &PdfLimits::default())
        .unwrap_err();
    assert_eq!(garbage.code, ErrorCode::InvalidPdf);
    let out_of_range = engine
        .extract_page(&fixture("single-sheet.pdf"), 9, &small_render())
        .unwrap_err();
    assert_eq!(out_of_range.code, ErrorCode::InvalidPdf);
}

#[test]
fn a_worker_that_runs_past_the_wall_clock_is_stopped_with_processing_timeout() {
    let started = Instant::now();
    let error = shell("exec sleep 30", Duration::from_millis(300))
        .inspect(&fixture("single-sheet.pdf"), &PdfLimits::default())
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::ProcessingTimeout, "{error}");
    assert_eq!(error.class(), ErrorClass::Permanent);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_worker_that_crashes_or_aborts_maps_to_a_permanent_code() {
    let pdf = fixture("single-sheet.pdf");
    let segv = shell("kill -SEGV $$", Duration::from_secs(10))
        .extract_page(&pdf, 0, &small_render())
        .unwrap_err();
    assert_eq!(segv.code, ErrorCode::InvalidPdf, "{segv}");
    let abort = shell("kill -ABRT $$", Duration::from_secs(10))
        .extract_page(&pdf, 0, &small_render())
        .unwrap_err();
    assert_eq!(abort.code, ErrorCode::ResourceLimit, "{abort}");
    let xcpu = shell("kill -XCPU $$", Duration::from_secs(10))
        .extract_page(&pdf, 0, &small_render())
        .unwrap_err();
    assert_eq!(xcpu.code, ErrorCode::ProcessingTimeout, "{xcpu}");
}

#[test]
fn a_worker_that_cannot_start_or_answers_nonsense_is_a_transient_internal_error() {
    let missing = WorkerCommand {
        program: "/nonexistent/pdf-worker".into(),
        args: vec![],
    };
    let error = IsolatedPdfEngine::new(missing, IsolationLimits::default())
        .inspect(&fixture("single-sheet.pdf"), &PdfLimits::default())
        .unwrap_err();
    assert_eq!(
        (error.code, error.class()),
        (ErrorCode::Internal, ErrorClass::Transient)
    );
    let nonsense = shell("cat >/dev/null; echo hello", Duration::from_secs(10))
        .inspect(&fixture("single-sheet.pdf"), &PdfLimits::default())
        .unwrap_err();
    assert_eq!(nonsense.code, ErrorCode::Internal, "{nonsense}");
}

#[test]
fn a_render_beyond_the_memory_cap_fails_with_resource_limit_and_the_next_call_works() {
    let engine = worker(IsolationLimits {
        wall: Duration::from_secs(60),
        memory_bytes: 512 << 20,
    });
    let pdf = fixture("security-plan.pdf");
    // An A3 sheet at 2400 DPI is a 4 GB bitmap.
    let huge = RenderOptions {
        dpi: 2400.0,
        max_pixels: u64::MAX,
        tiles: None,
    };
    let error = engine.extract_page(&pdf, 0, &huge).unwrap_err();
    assert_eq!(error.code, ErrorCode::ResourceLimit, "{error}");
    assert!(
        engine.extract_page(&pdf, 0, &small_render()).is_ok(),
        "a failed worker leaves nothing behind"
    );
}

#[test]
fn hostile_corpus_files_end_within_the_limit_with_a_result_or_a_code() {
    let Some(corpus) =
        drawings_testkit::corpus::dir("hostile_corpus_files_end_within_the_limit_with_a_result_or_a_code")
    else {
        return;
    };
    let dir = corpus.join("itext__itextpdf");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("acsploit"))
            {
                files.push(path);
            }
        }
    }
    let wall = Duration::from_secs(5);
    let engine = worker(IsolationLimits {
        wall,
        memory_bytes: 1 << 30,
    });
    for path in files {
        let pdf = std::fs::read(&path).unwrap();
        let started = Instant::now();
        let outcome = engine
            .inspect(&pdf, &PdfLimits::default())
            .and_then(|_| engine.extract_page(&pdf, 0, &RenderOptions::default()));
        let took = started.elapsed();
        eprintln!(
            "{}: {:?} in {took:?}",
            path.display(),
            outcome.as_ref().map(|_| "ok").map_err(|e| e.code)
        );
        assert!(
            took < wall * 2 + Duration::from_secs(2),
            "{} ran {took:?}",
            path.display()
        );
    }
}
