//! Temporary: dump one page's PNG and runs.
use drawings_core::ports::{PdfEngine, RenderOptions, PdfLimits};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let index: u32 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(0);
    let pdf = std::fs::read(&path).unwrap();
    let engine = drawings_pdf::PdfiumEngine::new();
    let i = engine.inspect(&pdf, &PdfLimits::default()).unwrap();
    println!("{:?}", &i.pages[..i.pages.len().min(3)]);
    let t = std::time::Instant::now();
    let p = engine.extract_page(&pdf, index, &RenderOptions { dpi: 30.0, max_pixels: 1 << 30 }).unwrap();
    println!("extract {:?}", t.elapsed());
    std::fs::write("/tmp/pdf_dump.png", &p.image.png).unwrap();
    std::fs::write("/tmp/pdf_dump.json", serde_json::to_string(&p.text).unwrap()).unwrap();
    println!("{}x{} dpi {}", p.image.width_px, p.image.height_px, p.image.dpi);
    for r in p.text.runs.iter().take(40) { println!("{:?}", r); }
}
