//! OCR inside the PDF worker: Tesseract, a child of the worker, runs under the worker's
//! resource limits, ends before the worker's wall clock does, and a page whose OCR fails is
//! still a page. The corpus scans (category `scan`) are read for real when present.
//! Shell scripts stand in for Tesseract where its behaviour is the point.

use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions, TextSource};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, OcrSettings, WorkerCommand};
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// A Letter page whose only content is a small gray image stretched over it: a scan, as
/// far as deciding to OCR goes.
fn image_only_pdf() -> Vec<u8> {
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let image = document.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        (0..64u8).map(|value| value.wrapping_mul(4)).collect(),
    ));
    let operations = vec![
        Operation::new("q", vec![]),
        Operation::new("cm", [612, 0, 0, 792, 0, 0].map(Object::from).to_vec()),
        Operation::new("Do", vec![Object::Name(b"Im0".to_vec())]),
        Operation::new("Q", vec![]),
    ];
    let content = document.add_object(Stream::new(dictionary! {}, Content { operations }.encode().unwrap()));
    let page = document.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).unwrap();
    bytes
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

#[test]
fn a_hanging_tesseract_costs_the_page_its_text_not_the_page() {
    let hanging = fake_tesseract("hanging", "echo $$ > \"$0.pid\"; exec sleep 60");
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
    let pid = std::fs::read_to_string(hanging.with_extension("pid")).unwrap();
    assert!(
        !Path::new("/proc").join(pid.trim()).exists(),
        "the worker killed and reaped Tesseract before it ended"
    );
}

#[test]
fn ocr_switched_off_reaches_the_worker() {
    let never = fake_tesseract("never", "touch \"$0.ran\"; exit 1");
    let off = OcrSettings {
        enabled: false,
        ..with_program(&never)
    };
    let page = worker(&off, IsolationLimits::default())
        .extract_page(&image_only_pdf(), 0, &small_render())
        .unwrap();
    assert_eq!(page.text.source, TextSource::OcrUnavailable);
    assert!(!never.with_extension("ran").exists(), "Tesseract was not started");
}

#[test]
fn corpus_scans_are_read_through_the_worker_within_the_page_limits() {
    let corpus = PathBuf::from("/work/shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        eprintln!("SKIP: {} is absent", corpus.display());
        return;
    };
    let scans: Vec<PathBuf> = manifest
        .lines()
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let path = columns.next()?;
            (columns.next()? == "scan").then(|| corpus.join(path))
        })
        .filter(|path| path.is_file())
        .collect();
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
