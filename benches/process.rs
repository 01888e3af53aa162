//! End-to-end benchmark: `drawings process` on a multi-page drawing beside a PDFium-only
//! render of the same pages (same DPI and pixel cap, bitmaps discarded), each run as its own
//! process so wall time and peak RSS are measured per run. Peak RSS twice: of the largest
//! single process in the tree (`wait4`: the CLI or one PDF worker), and of the tree as a
//! whole (sampled sums, see `support`). The figures are reported as ratios against that
//! anchor, measured in the same run.
//!
//! `cargo bench --bench process` (file: `DRAWINGS_BENCH_FILE`, default the 12-page
//! construction set in `../shared/corpus`; runs: `DRAWINGS_BENCH_RUNS`, default 3).

mod support;

use drawings_core::ports::RenderOptions;
use pdfium_render::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{Run, measure, process_job};

/// The default drawing, a path in the shared corpus (`drawings_testkit::corpus`).
const DEFAULT_FILE: &str = "wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf";

/// The anchor, in a child process: render every page with PDFium alone.
fn render_only(file: &Path) {
    let library = drawings_pdf::library_candidates()
        .into_iter()
        .find(|p| p.is_file())
        .expect("libpdfium; run scripts/setup.sh");
    let pdfium = Pdfium::new(Pdfium::bind_to_library(library).expect("bind PDFium"));
    let bytes = std::fs::read(file).expect("read file");
    let document = pdfium.load_pdf_from_byte_slice(&bytes, None).expect("open");
    let options = RenderOptions::default();
    for page in document.pages().iter() {
        let (w_pt, h_pt) = (page.width().value, page.height().value);
        let mut dpi = options.dpi;
        let pixels = |dpi: f32| (w_pt * dpi / 72.0) as u64 * (h_pt * dpi / 72.0) as u64;
        if pixels(dpi) > options.max_pixels {
            dpi *= (options.max_pixels as f32 / pixels(dpi) as f32).sqrt();
        }
        let config = PdfRenderConfig::new().scale_page_by_factor(dpi / 72.0);
        let bitmap = page.render_with_config(&config).expect("render");
        std::hint::black_box(bitmap.as_raw_bytes().len());
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--render-only") {
        render_only(Path::new(&args[2]));
        return;
    }
    let file = std::env::var("DRAWINGS_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| drawings_testkit::corpus::root().join(DEFAULT_FILE));
    if !file.is_file() {
        eprintln!(
            "skipping: {} is absent (set DRAWINGS_BENCH_FILE to a PDF)",
            file.display()
        );
        return;
    }
    let runs: usize = std::env::var("DRAWINGS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let me = std::env::current_exe().expect("current exe");
    let (mut process, mut render) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        process.push(process_job(&file));
        render.push(measure(Command::new(&me).arg("--render-only").arg(&file)));
    }
    let peak = |r: &[Run]| r.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let tree = |r: &[Run]| r.iter().map(|r| r.peak_tree_rss_kib).max().unwrap_or(0);
    let (p_wall, r_wall) = (
        median(process.iter().map(|r| r.wall).collect()),
        median(render.iter().map(|r| r.wall).collect()),
    );
    let (p_rss, r_rss) = (peak(&process), peak(&render));
    let (p_tree, r_tree) = (tree(&process), tree(&render));
    let mib = |kib: f64| kib / 1024.0;
    println!(
        "file: {} ({runs} runs each, median wall time, max peak RSS)",
        file.display()
    );
    println!(
        "{:<34} {:>10} {:>16} {:>16}",
        "", "wall (s)", "peak RSS (MiB)", "tree RSS (MiB)"
    );
    println!(
        "{:<34} {:>10.3} {:>16.1} {:>16.1}",
        "drawings process (end to end)",
        p_wall.as_secs_f64(),
        mib(p_rss as f64),
        mib(p_tree as f64)
    );
    println!(
        "{:<34} {:>10.3} {:>16.1} {:>16.1}",
        "PDFium-only render (anchor)",
        r_wall.as_secs_f64(),
        mib(r_rss as f64),
        mib(r_tree as f64)
    );
    println!(
        "ratio process/anchor: time {:.2}x, peak RSS {:.2}x (largest process), {:.2}x (tree, sampled)",
        p_wall.as_secs_f64() / r_wall.as_secs_f64(),
        p_rss as f64 / r_rss as f64,
        p_tree as f64 / r_tree as f64
    );
}
