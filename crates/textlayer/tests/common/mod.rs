//! What the text-layer integration tests share: a page's reading as the drawing-analysis
//! stage records it, so a test can merge pages with `Schedule::build` as the schedule stage
//! does (label and sheet builders are the testkit's `text_layer`).

use drawings_core::ports::PageAnalysis;
use drawings_textlayer::PageReading;

/// `reading` of page `page` (0-based) as the pipeline records a text-layer analysis.
pub fn analysis(page: u32, reading: PageReading) -> PageAnalysis {
    PageAnalysis {
        page,
        components: reading.components,
        warnings: reading.warnings,
        legend: reading.legend,
        undefined_tags: reading.undefined_tags,
        analyzer: "text-layer".into(),
        ..PageAnalysis::default()
    }
}
