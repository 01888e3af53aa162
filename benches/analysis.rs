//! Analysis-stage benchmark: `drawings process` with the Gemini analyzer against the fake
//! Gemini server, which holds every `generateContent` reply for a fixed latency. With `c`
//! pages in flight, `n` pages cannot take less than `ceil(n / c) × latency`: that bound is
//! the anchor, and the figure is the measured stage time over it (1.00 = no overhead).
//!
//! `cargo bench --bench analysis` (file: `DRAWINGS_BENCH_FILE`, default the 12-page
//! construction set in `../shared/corpus`; latency: `DRAWINGS_BENCH_LATENCY_MS`, default 500).

use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The default drawing, a path in the shared corpus (`drawings_testkit::corpus`).
const DEFAULT_FILE: &str = "wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf";

/// The `took_ms` of the `drawing_analysis` stage in the JSON log lines.
fn analysis_took(stderr: &str) -> Option<Duration> {
    stderr.lines().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let fields = &v["fields"];
        if fields["message"] != "Stage completed." || fields["stage"] != "drawing_analysis" {
            return None;
        }
        fields["took_ms"].as_u64().map(Duration::from_millis)
    })
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = std::env::var("DRAWINGS_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| drawings_testkit::corpus::root().join(DEFAULT_FILE));
    let file = if file.is_file() {
        file
    } else {
        eprintln!("{} is absent; using the 4-page fixture", file.display());
        root.join("fixtures/security-plan.pdf")
    };
    let latency = Duration::from_millis(
        std::env::var("DRAWINGS_BENCH_LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500),
    );
    let fake = FakeGemini::start(FakeOptions {
        latency,
        ..FakeOptions::default()
    })
    .await;
    println!("file: {}  latency per call: {latency:?}", file.display());
    println!(
        "{:>11} {:>6} {:>12} {:>12} {:>7}",
        "concurrency", "pages", "stage", "anchor", "ratio"
    );
    for concurrency in [1usize, 2, 4, 8] {
        let calls_before = fake.generate_calls();
        let out = tempfile::tempdir().expect("tempdir");
        let output = Command::new(env!("CARGO_BIN_EXE_drawings"))
            .arg("process")
            .arg(&file)
            .arg("--out")
            .arg(out.path())
            .env("DRAWINGS_ANALYZER", "gemini")
            .env("GEMINI_API_KEY", "test-key")
            .env("DRAWINGS_GEMINI_BASE_URL", fake.base_url())
            .env("DRAWINGS_ANALYSIS_CONCURRENCY", concurrency.to_string())
            .env("DRAWINGS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .output()
            .expect("run drawings process");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "drawings process failed:\n{stderr}");
        let pages = (fake.generate_calls() - calls_before) as u32;
        let took = analysis_took(&stderr).expect("a drawing_analysis stage log line");
        let anchor = latency * pages.div_ceil(concurrency as u32);
        println!(
            "{concurrency:>11} {pages:>6} {:>10.2} s {:>10.2} s {:>7.2}",
            took.as_secs_f64(),
            anchor.as_secs_f64(),
            took.as_secs_f64() / anchor.as_secs_f64()
        );
    }
}
