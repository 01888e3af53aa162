//! The `text-layer` analyzer: finds device tags in a page's text layer by their positions,
//! offline and deterministically. It is the default analyzer when no Gemini key is set, and
//! the reference the evaluation stage checks a model against.
//!
//! Two rules, both driven by [`TagSchemes`]:
//! - tag boxes: `A B2 005 BB` (system letter, level, point number, package), usually four
//!   separate runs side by side inside a drawn box;
//! - id-style tags: `A-101-DR-B2`, `A.101.DR.B2`, `A_101_DR_B2`, typed by the device code.
#![warn(missing_docs)]

mod rooms;
mod scheme;
mod tags;
mod words;

pub use scheme::{SchemeError, TagMeaning, TagSchemes};

use async_trait::async_trait;
use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageInput, PageText};
use drawings_core::schedule::normalize_id;
use drawings_core::{Component, ComponentSource, Usage};
use std::collections::HashSet;

/// Every tag on a page, in reading order (top to bottom, then left to right), each id once.
/// `page` of each component is `text.page + 1`.
pub fn find_tags(text: &PageText, schemes: &TagSchemes) -> Vec<Component> {
    let (words, lines) = words::layout(&text.runs);
    let mut used = vec![false; words.len()];
    let mut found = Vec::new();
    for line in &lines {
        // Ids first: their words hold separators, so they never steal a tag box's parts.
        let mut on_line = tags::id_tags(&words, line, schemes, &mut used);
        on_line.extend(tags::tag_boxes(&words, line, schemes, &mut used));
        on_line.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        found.extend(on_line);
    }
    let labels = rooms::labels(&words, &lines, &used);
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|f| seen.insert(normalize_id(&f.id)))
        .map(|f| Component {
            location: rooms::nearest(&labels, f.bbox),
            id: f.id,
            kind: f.meaning.kind,
            system: f.meaning.system,
            page: text.page + 1,
            bbox: Some(f.bbox),
            confidence: f.confidence,
            source: ComponentSource::TextLayer,
            reason: Some(f.reason.to_owned()),
        })
        .collect()
}

/// The offline analyzer over the text layer.
#[derive(Debug, Clone, Default)]
pub struct TextLayerAnalyzer {
    schemes: TagSchemes,
}

impl TextLayerAnalyzer {
    /// An analyzer using these tag schemes.
    pub fn new(schemes: TagSchemes) -> Self {
        TextLayerAnalyzer { schemes }
    }

    /// The schemes in use.
    pub fn schemes(&self) -> &TagSchemes {
        &self.schemes
    }
}

#[async_trait]
impl Analyzer for TextLayerAnalyzer {
    fn name(&self) -> String {
        "text-layer".to_owned()
    }

    fn needs_image(&self) -> bool {
        false
    }

    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        let mut components = find_tags(&input.text, &self.schemes);
        // The pipeline's page index is authoritative if a text layer was stored under another.
        components.iter_mut().for_each(|c| c.page = input.page + 1);
        Ok(PageAnalysis {
            page: input.page,
            components,
            usage: Usage::default(),
            analyzer: self.name(),
        })
    }
}

#[cfg(test)]
mod tests;
