//! What reading the text costs: the default analyzer ([`read_page`] on every page) against the
//! whole job it is part of, in the same run.
//!
//! 1. On a real set (`DRAWINGS_BENCH_FILE`, default the 12-page construction set in
//!    `../shared/corpus`): `drawings process` end to end (the anchor, median of runs) beside
//!    the analysis of the same pages' text layers in this process (median of runs). The ratio
//!    is the share of the job the reading is.
//! 2. On hostile pages (N labels over the sheet: a legend tag, an equipment code and distinct
//!    addresses): the time for 2N over the time for N, which stays near 2 when the reading is
//!    linear.
//!
//! `cargo bench --bench reading`.

mod support;

use drawings_core::BBox;
use drawings_core::ports::{PageText, PdfEngine, PdfLimits, RenderOptions, TextRun};
use drawings_pdf::PdfiumEngine;
use drawings_textlayer::{TagSchemes, read_page};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::process_job;

/// The default drawing, a path in the shared corpus (`drawings_testkit::corpus`).
const DEFAULT_FILE: &str = "wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf";
const RUNS: usize = 5;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn read_all(pages: &[PageText], schemes: &TagSchemes) -> Duration {
    let started = Instant::now();
    for page in pages {
        std::hint::black_box(read_page(page, schemes));
    }
    started.elapsed()
}

/// A page with `n` labels spread over a grid: one legend tag, one equipment code, and distinct
/// loop addresses.
fn hostile(n: usize) -> PageText {
    let mut runs = vec![
        run("LEGEND", 10.0, 10.0),
        run("L4", 10.0, 30.0),
        run("LED", 40.0, 30.0),
        run("TROFFER", 60.0, 30.0),
    ];
    let side = (n as f32).sqrt().ceil() as usize;
    for i in 0..n {
        let (x, y) = (100.0 + 12.0 * (i % side) as f32, 100.0 + 9.0 * (i / side) as f32);
        let label = match i % 3 {
            0 => "L4".to_owned(),
            1 => "SRA".to_owned(),
            _ => format!("L{}D{:03}", i / 1000 % 99 + 1, i % 1000),
        };
        runs.push(run(&label, x, y));
    }
    PageText {
        width_pt: 100_000.0,
        height_pt: 100_000.0,
        runs,
        ..PageText::default()
    }
}

fn run(text: &str, x: f32, y: f32) -> TextRun {
    TextRun {
        text: text.into(),
        bbox: BBox {
            x0: x,
            y0: y,
            x1: x + 4.0 * text.len() as f32,
            y1: y + 6.0,
        },
    }
}

fn main() {
    let schemes = TagSchemes::default();
    let file = std::env::var("DRAWINGS_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| drawings_testkit::corpus::root().join(DEFAULT_FILE));
    if file.is_file() {
        let pdf = std::fs::read(&file).expect("read the file");
        let engine = PdfiumEngine::new();
        let count = engine.inspect(&pdf, &PdfLimits::default()).expect("inspect").page_count;
        let small = RenderOptions {
            dpi: 18.0,
            max_pixels: 400 * 400,
            tiles: None,
        };
        let pages: Vec<PageText> = (0..count)
            .map(|p| engine.extract_page(&pdf, p, &small).expect("extract").text)
            .collect();
        let reading = median((0..RUNS).map(|_| read_all(&pages, &schemes)).collect());
        let job = median((0..3).map(|_| process_job(&file).wall).collect());
        println!("file: {} ({count} pages)", file.display());
        println!("drawings process, end to end (anchor): {:>9.3} s", job.as_secs_f64());
        println!(
            "reading the text of every page:        {:>9.3} s",
            reading.as_secs_f64()
        );
        println!("ratio reading/job: {:.3}", reading.as_secs_f64() / job.as_secs_f64());
    } else {
        println!("skipping the real set: {} is absent", file.display());
    }
    println!("\nhostile page: n labels (a legend tag, an equipment code, distinct addresses)");
    let mut previous: Option<Duration> = None;
    for n in [5_000, 10_000, 20_000, 40_000] {
        let page = [hostile(n)];
        let took = median((0..3).map(|_| read_all(&page, &schemes)).collect());
        let growth = previous.map_or(String::new(), |p| {
            format!("  x{:.2} for twice the labels", took.as_secs_f64() / p.as_secs_f64())
        });
        println!("n = {n:>6}: {:>8.3} s{growth}", took.as_secs_f64());
        previous = Some(took);
    }
}
