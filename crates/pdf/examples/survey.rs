//! Temporary: survey the corpus.
use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions};
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new("/work/shared/corpus");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let engine = drawings_pdf::PdfiumEngine::new();
    let only: Option<String> = std::env::args().nth(1);
    let render = std::env::args().nth(2).is_some();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if let Some(c) = &only { if c != "all" && cols[1] != c { continue; } }
        if cols.get(7).is_some_and(|n| n.contains("HANG")) { println!("SKIP {}", cols[0]); continue; }
        let path = dir.join(cols[0]);
        let Ok(pdf) = std::fs::read(&path) else { continue };
        let t = Instant::now();
        let r = engine.inspect(&pdf, &PdfLimits::default());
        let ti = t.elapsed();
        let summary = match &r {
            Ok(i) => format!("OK pages={} warnings={:?}", i.page_count, i.warnings),
            Err(e) => format!("ERR {e}"),
        };
        let mut extra = String::new();
        if render && r.is_ok() {
            let t = Instant::now();
            let e = engine.extract_page(&pdf, 0, &RenderOptions::default());
            extra = match e { Ok(p) => format!(" render {:?} {}x{} dpi {:.1} runs {} png {}", t.elapsed(), p.image.width_px, p.image.height_px, p.image.dpi, p.text.runs.len(), p.image.png.len()), Err(e) => format!(" render ERR {e}") };
        }
        println!("{}\t{}\t{:?}\t{}{}", cols[1], cols[0], ti, summary.chars().take(300).collect::<String>(), extra);
    }
}
