//! `Analyzer`: finds components on one page.

use crate::component::Component;
use crate::error::{ErrorClass, ErrorCode};
use crate::job::Usage;
use crate::ports::page_context::PageContext;
use crate::ports::pdf::PageText;
use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// What an analyzer gets for one page.
#[derive(Debug, Clone)]
pub struct PageInput {
    /// 0-based page index.
    pub page: u32,
    /// Pages in the document.
    pub page_count: u32,
    /// The page's text layer.
    pub text: PageText,
    /// The rendered page (PNG), when the analyzer asked for it.
    pub image: Option<Bytes>,
}

/// What an analyzer found on one page (`analysis/{n}.json`). Usage is stored with the
/// result, so a page that was paid for is never asked again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageAnalysis {
    /// 0-based page index.
    pub page: u32,
    /// Components on the page.
    pub components: Vec<Component>,
    /// Tokens and price of this page.
    pub usage: Usage,
    /// The analyzer (and model) that produced it.
    pub analyzer: String,
    /// What the user should know about this page (no text layer, OCR used, no legend).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::Warning>,
    /// The legend and schedule rows read on the page: a set's legend sheet teaches the tags
    /// of its plan sheets ([`crate::schedule::Schedule::build`] resolves them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legend: Vec<LegendEntry>,
    /// Plan labels shaped like a tag that no legend on this page defines; another page's
    /// legend may.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undefined_tags: Vec<TagLabel>,
}

/// One legend or schedule row: `L4` is a 2x4 LED troffer, a luminaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegendEntry {
    /// The tag as printed.
    pub tag: String,
    /// The row's description.
    pub description: String,
    /// The type it names.
    #[serde(rename = "type")]
    pub kind: crate::ComponentType,
    /// The system it belongs to.
    pub system: String,
    /// The quantity the row prints, where the legend has a quantity column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
}

/// A tag-shaped label standing alone on a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagLabel {
    /// The label.
    pub tag: String,
    /// Where it is.
    pub bbox: crate::BBox,
}

/// Why a page could not be analyzed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AnalyzeError {
    /// Stable code.
    pub code: ErrorCode,
    /// What happened.
    pub message: String,
    /// Whether the pipeline should retry later or fail the job.
    pub class: ErrorClass,
    /// What the failed attempts were billed (a truncated answer still costs its tokens).
    pub usage: Usage,
}

impl AnalyzeError {
    /// A failure that cost nothing.
    pub fn new(code: ErrorCode, class: ErrorClass, message: impl Into<String>) -> Self {
        AnalyzeError {
            code,
            message: message.into(),
            class,
            usage: Usage::default(),
        }
    }
}

/// Finds components on a page.
///
/// Semantics every analyzer keeps: the same input gives the same components (modulo model
/// randomness); a failure says whether it is worth retrying; an empty page is `Ok` with no
/// components, never an error.
#[async_trait]
pub trait Analyzer: Send + Sync {
    /// A short name (`text-layer`, `gemini/gemini-3.8-flash`).
    fn name(&self) -> String;

    /// Whether the analyzer wants the page image (loading it costs a blob read).
    fn needs_image(&self) -> bool;

    /// Analyzes one page.
    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError>;

    /// Whether the analyzer uses a [`PageContext`] (hints and tiles cost blob reads and a run
    /// of the offline analyzer, so the pipeline gathers them only when asked).
    fn wants_context(&self) -> bool {
        false
    }

    /// Analyzes one page with the extras of `context`; without an override, the same as
    /// [`Analyzer::analyze_page`].
    async fn analyze_page_in(&self, input: PageInput, context: PageContext) -> Result<PageAnalysis, AnalyzeError> {
        let _ = context;
        self.analyze_page(input).await
    }
}
