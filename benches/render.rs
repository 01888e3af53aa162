//! Render benchmark (issue 3, "Speed and memory"): every page of the corpus drawings
//! (`drawings_testkit::corpus`: `../shared/corpus` or `DRAWINGS_CORPUS`, category `drawing`)
//! rendered at 150 DPI and written as PNG, by
//! drawings-pdf (which also extracts and writes the text layer) and by pypdfium2 + Pillow
//! (the Python route a user would otherwise take), in the same run. Each side runs in a
//! child process of its own so that wall time and peak RSS (`wait4`) are that side's alone.
//!
//! Our side calls `PdfiumEngine::extract_page` per page, as the pipeline does, with
//! `max_pixels` high enough that no corpus page is capped (an A0 sheet at 150 DPI is 35 Mpx)
//! and no tiles: both sides then render and encode exactly the same pixels, one PNG a page.
//! Tiles would render the page a second time and encode overlapping pixels twice, work
//! pypdfium2 does not do.
//!
//! `cargo bench --bench render` (runs: `DRAWINGS_BENCH_RUNS`, default 2; the best wall time
//! and the highest peak RSS of each side are reported). pypdfium2 comes from `.venv`
//! (`scripts/setup.sh`); without it only our side runs.

mod support;

use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions};
use drawings_pdf::{OcrSettings, PdfiumEngine};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Run, measure};

const DPI: f32 = 150.0;
/// Far above the largest corpus page at 150 DPI, so the render is never capped.
const UNCAPPED_PIXELS: u64 = 256 * 1024 * 1024;

/// Our side, in a child process: extract (text + 150 DPI render) every page and write
/// `{n}.png` and `{n}.text.json`, as the pipeline's `pdf_processing` stage does.
fn ours(list: &Path, out: &Path) {
    // No OCR of the corpus's scanned sheets: pypdfium2 does none, and this compares renders.
    let engine = PdfiumEngine::with_ocr(OcrSettings {
        enabled: false,
        ..OcrSettings::default()
    });
    let options = RenderOptions {
        dpi: DPI,
        max_pixels: UNCAPPED_PIXELS,
        tiles: None,
    };
    let limits = PdfLimits::default();
    let (mut pages, mut capped) = (0u32, 0u32);
    for path in std::fs::read_to_string(list).expect("read list").lines() {
        let pdf = std::fs::read(path).expect("read PDF");
        let count = engine.inspect(&pdf, &limits).expect("inspect").page_count;
        for index in 0..count {
            let page = engine.extract_page(&pdf, index, &options).expect("extract page");
            if page.image.dpi < DPI {
                capped += 1;
            }
            std::fs::write(out.join(format!("{pages}.png")), &page.image.png).expect("write PNG");
            let text = serde_json::to_vec(&page.text).expect("text JSON");
            std::fs::write(out.join(format!("{pages}.text.json")), text).expect("write text");
            pages += 1;
        }
    }
    println!("pages={pages} capped={capped}");
}

/// `.venv/bin/python` with pypdfium2 and Pillow importable, if set up.
fn python(root: &Path) -> Option<PathBuf> {
    let python = root.join(".venv/bin/python");
    let works = Command::new(&python)
        .args(["-c", "import pypdfium2, PIL"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    works.then_some(python)
}

/// Total size of the files in `dir` ending in `.png`.
fn png_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "png"))
                .filter_map(|entry| entry.metadata().ok())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}

fn pages_of(run: &Run) -> u32 {
    run.stdout
        .split_whitespace()
        .find_map(|field| field.strip_prefix("pages="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Side {
    name: &'static str,
    best_wall: Duration,
    peak_rss_kib: i64,
    pages: u32,
    png_bytes: u64,
}

impl Side {
    fn new(name: &'static str) -> Side {
        Side {
            name,
            best_wall: Duration::MAX,
            peak_rss_kib: 0,
            pages: 0,
            png_bytes: 0,
        }
    }

    fn add(&mut self, run: &Run, out: &Path) {
        self.best_wall = self.best_wall.min(run.wall);
        self.peak_rss_kib = self.peak_rss_kib.max(run.peak_rss_kib);
        self.pages = pages_of(run);
        self.png_bytes = png_bytes(out);
    }

    fn pages_per_second(&self) -> f64 {
        f64::from(self.pages) / self.best_wall.as_secs_f64()
    }

    fn print(&self) {
        println!(
            "{:<44} {:>6} {:>9.3} {:>8.2} {:>14.1} {:>10.1}",
            self.name,
            self.pages,
            self.best_wall.as_secs_f64(),
            self.pages_per_second(),
            self.peak_rss_kib as f64 / 1024.0,
            self.png_bytes as f64 / 1_048_576.0
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--ours") {
        ours(Path::new(&args[2]), Path::new(&args[3]));
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let Some(corpus) = drawings_testkit::corpus::dir("bench render") else {
        return;
    };
    let files = drawings_testkit::corpus::files(&corpus, "drawing");
    let work = tempfile::tempdir().expect("tempdir");
    let list = work.path().join("drawings.txt");
    let listing: String = files.iter().map(|path| format!("{}\n", path.display())).collect();
    std::fs::write(&list, listing).expect("write list");
    let runs: usize = std::env::var("DRAWINGS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
        .max(1);
    let python = python(&root);
    if python.is_none() {
        eprintln!("note: .venv/bin/python with pypdfium2 and Pillow not found (run scripts/setup.sh); our side only");
    }
    let me = std::env::current_exe().expect("current exe");
    let (mut our_side, mut their_side) = (
        Side::new("drawings-pdf (render + PNG + text layer)"),
        Side::new("pypdfium2 5.15.2 + Pillow (render + PNG)"),
    );
    let mut capped = String::new();
    for _ in 0..runs {
        let out = tempfile::tempdir_in(work.path()).expect("tempdir");
        let run = measure(Command::new(&me).arg("--ours").arg(&list).arg(out.path()));
        capped = run.stdout.trim().to_owned();
        our_side.add(&run, out.path());
        drop(out);
        if let Some(python) = &python {
            let out = tempfile::tempdir_in(work.path()).expect("tempdir");
            let run = measure(
                Command::new(python)
                    .arg(root.join("benches/render_pypdfium2.py"))
                    .arg(&list)
                    .arg(out.path())
                    .arg(DPI.to_string()),
            );
            their_side.add(&run, out.path());
        }
    }
    println!(
        "{} drawings from {} at {DPI} DPI, {runs} runs each (best wall time, highest peak RSS); ours: {capped}",
        files.len(),
        corpus.display()
    );
    println!(
        "{:<44} {:>6} {:>9} {:>8} {:>14} {:>10}",
        "", "pages", "wall (s)", "pages/s", "peak RSS (MiB)", "PNG (MiB)"
    );
    our_side.print();
    if python.is_some() {
        their_side.print();
        assert_eq!(our_side.pages, their_side.pages, "both sides must do the same pages");
        println!(
            "ratio ours/pypdfium2: speed {:.2}x (pages/s), peak RSS {:.2}x, PNG size {:.2}x",
            our_side.pages_per_second() / their_side.pages_per_second(),
            our_side.peak_rss_kib as f64 / their_side.peak_rss_kib as f64,
            our_side.png_bytes as f64 / their_side.png_bytes as f64
        );
    }
}
