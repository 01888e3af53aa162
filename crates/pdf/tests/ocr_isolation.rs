//! OCR inside the PDF worker: Tesseract, a child of the worker, runs under the worker's
//! resource limits, ends before the worker's wall clock does, and a page whose OCR fails is
//! still a page. The corpus scans (category `scan`) are read for real when present.
//! Shell scripts stand in for Tesseract where its behaviour is the point.

use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions, TextSource};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, OcrSettings, WorkerCommand};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use drawings_testkit::fixtures::pdf::image_only_pdf;

fn worker(ocr: &OcrSettings, limits: IsolationLimits) -> IsolatedPdfEngine {
    let command = WorkerCommand {
        program: env!("CARGO_BIN_EXE_drawings-pdf-worker").into(),
        args: ocr.to_args(),
    };
    IsolatedPdfEngine::new(command, limits)
}

fn with_program(program: &Path) -> OcrSettings {
    OcrSettings {
        program: program.to_path_buf(),
        ..OcrSettings::default()
    }
}

/// A stand-in for Tesseract: a shell script at a fresh path.
fn fake_tesseract(name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("drawings-ocr-isolation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn small_render() -> RenderOptions {
    RenderOptions {
        dpi: 50.0,
        ..RenderOptions::default()
    }
}

#[test]
fn tesseract_runs_under_the_workers_memory_and_cpu_limits() {
    // It answers with one word per limit it finds itself under, in Tesseract's TSV.
    let reporting = fake_tesseract(
        "reporting",
        r#"cat >/dev/null
printf 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n'
printf '5\t1\t1\t1\t1\t1\t100\t100\t200\t40\t95\tcpu%s\n' "$(ulimit -t)"
printf '5\t1\t1\t1\t1\t2\t400\t100\t200\t40\t95\tkb%s\n' "$(ulimit -v)""#,
    );
    let limits = IsolationLimits {
        wall: Duration::from_secs(20),
        memory_bytes: 1 << 30,
    };
    let page = worker(&with_program(&reporting), limits)
        .extract_page(&image_only_pdf(), 0, &small_render())
        .unwrap();
    assert_eq!(page.text.source, TextSource::Ocr);
    let words: Vec<&str> = page.text.runs.iter().map(|run| run.text.as_str()).collect();
    // The worker's CPU cap is the wall clock plus a second; RLIMIT_AS is in KiB here.
    assert_eq!(words, ["cpu21", "kb1048576"]);
}

/// Processes whose command line holds `needle`, as `/proc` lists them.
fn processes_running(needle: &str) -> Vec<String> {
    let needle = needle.as_bytes();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let named = cmdline.windows(needle.len()).any(|w| w == needle);
            named.then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

#[test]
fn a_hanging_tesseract_costs_the_page_its_text_not_the_page() {
    // It cannot leave its pid in a file (the worker's sandbox lets it write nothing), so it
    // sleeps for a time no other process does, and is looked for by that afterwards.
    let seconds = format!("60.{}", std::process::id());
    let hanging = fake_tesseract("hanging", &format!("exec sleep {seconds}"));
    let wall = Duration::from_secs(4);
    let engine = worker(
        &with_program(&hanging),
        IsolationLimits {
            wall,
            memory_bytes: 1 << 30,
        },
    );
    let started = Instant::now();
    let page = engine.extract_page(&image_only_pdf(), 0, &small_render()).unwrap();
    assert!(started.elapsed() < wall, "took {:?}", started.elapsed());
    assert_eq!(page.text.source, TextSource::OcrUnavailable);
    assert!(page.text.runs.is_empty());
    assert!(page.image.width_px > 0, "the page is still rendered");
    assert_eq!(
        processes_running(&seconds),
        Vec::<String>::new(),
        "the worker killed and reaped Tesseract before it ended"
    );
}

#[test]
fn ocr_switched_off_reaches_the_worker() {
    // Started, it would answer a word, and the page would be read by OCR.
    let never = fake_tesseract(
        "never",
        r#"cat >/dev/null
printf 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n'
printf '5\t1\t1\t1\t1\t1\t100\t100\t200\t40\t95\tstarted\n'"#,
    );
    let off = OcrSettings {
        enabled: false,
        ..with_program(&never)
    };
    let page = worker(&off, IsolationLimits::default())
        .extract_page(&image_only_pdf(), 0, &small_render())
        .unwrap();
    assert_eq!(
        page.text.source,
        TextSource::OcrUnavailable,
        "Tesseract was not started"
    );
    assert!(page.text.runs.is_empty());
}

#[test]
fn corpus_scans_are_read_through_the_worker_within_the_page_limits() {
    let Some(corpus) = drawings_testkit::corpus::dir("corpus_scans_are_read_through_the_worker_within_the_page_limits")
    else {
        return;
    };
    let scans = drawings_testkit::corpus::files(&corpus, "scan");
    assert!(!scans.is_empty(), "the corpus lists scans");
    // The service's defaults: a page gets 60 s and 2 GiB, OCR included.
    let engine = worker(&OcrSettings::default(), IsolationLimits::default());
    for path in scans {
        let pdf = std::fs::read(&path).unwrap();
        let pages = engine.inspect(&pdf, &PdfLimits::default()).unwrap().page_count;
        let started = Instant::now();
        let page = engine.extract_page(&pdf, 0, &RenderOptions::default()).unwrap();
        eprintln!(
            "{}: page 1 of {pages}: {:?}, {} words in {:.1} s",
            path.file_name().unwrap_or_default().to_string_lossy(),
            page.text.source,
            page.text.runs.len(),
            started.elapsed().as_secs_f32()
        );
        assert_eq!(page.text.source, TextSource::Ocr, "{}", path.display());
        assert!(page.text.runs.len() >= 50, "{}", path.display());
    }
}
