//! The text-layer analyzer against the `Analyzer` port's conformance suite, on a real page
//! (the repository's security plan, read by PDFium) and a blank one.

use drawings_core::ports::{PageInput, PageText, PdfEngine, RenderOptions};
use drawings_pdf::PdfiumEngine;
use drawings_testkit::analyzer_conformance;
use drawings_textlayer::TextLayerAnalyzer;
use std::path::Path;

#[tokio::test]
async fn the_text_layer_analyzer_passes_conformance() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/security-plan.pdf");
    let pdf = std::fs::read(&fixture).expect("fixtures/security-plan.pdf");
    let text = PdfiumEngine::new()
        .extract_page(&pdf, 0, &RenderOptions::default())
        .expect("page 1 of the security plan")
        .text;
    let blank = PageText {
        runs: Vec::new(),
        lines: Vec::new(),
        ..text.clone()
    };
    let input = |text: PageText| PageInput {
        page: 0,
        page_count: 4,
        text,
        image: None,
    };
    analyzer_conformance(&TextLayerAnalyzer::default(), input(blank), input(text)).await;
}
