//! The text layer as an [`Analyzer`]: each page is read on the blocking pool, never on a
//! thread that serves requests, at most [`ReadingLimits::concurrent_pages`] at once in the
//! process, and each within its time and word limits ([`crate::budget`]). A page past a limit
//! fails its analysis with the limit's code; it is never answered with what was read so far.

use crate::budget::ReadingLimits;
use crate::page::{PageReading, read_page_within};
use crate::scheme::TagSchemes;
use async_trait::async_trait;
use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageInput};
use drawings_core::{ErrorClass, ErrorCode, Usage};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The offline analyzer over the text layer.
#[derive(Debug, Clone)]
pub struct TextLayerAnalyzer {
    schemes: Arc<TagSchemes>,
    limits: ReadingLimits,
    /// Turns at reading a page. Clones share them, so the one analyzer a stack uses for both
    /// analysis and evaluation keeps one bound.
    turns: Arc<Semaphore>,
}

impl Default for TextLayerAnalyzer {
    fn default() -> Self {
        TextLayerAnalyzer::new(TagSchemes::default())
    }
}

impl TextLayerAnalyzer {
    /// An analyzer using these tag schemes, within the default [`ReadingLimits`].
    pub fn new(schemes: TagSchemes) -> Self {
        let limits = ReadingLimits::default();
        TextLayerAnalyzer {
            schemes: Arc::new(schemes),
            limits,
            turns: turns(limits),
        }
    }

    /// This analyzer within `limits` (with turns of its own, not shared with earlier clones).
    pub fn with_limits(self, limits: ReadingLimits) -> Self {
        TextLayerAnalyzer {
            limits,
            turns: turns(limits),
            ..self
        }
    }

    /// The schemes in use.
    pub fn schemes(&self) -> &TagSchemes {
        &self.schemes
    }

    /// The limits in use.
    pub fn limits(&self) -> ReadingLimits {
        self.limits
    }
}

fn turns(limits: ReadingLimits) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(limits.concurrent_pages.max(1)))
}

fn internal(page: u32, e: impl std::fmt::Display) -> AnalyzeError {
    AnalyzeError::new(
        ErrorCode::Internal,
        ErrorClass::Permanent,
        format!("reading page {}: {e}", page + 1),
    )
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
        let page = input.page;
        // Waiting for a turn holds no thread. The turn goes into the blocking task, so a caller
        // that stops waiting (a cancelled job) does not free it while the reading still runs.
        let turn = self
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| internal(page, e))?;
        let (schemes, limits) = (self.schemes.clone(), self.limits);
        let reading = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            read_page_within(&input.text, &schemes, &limits)
        })
        .await
        .map_err(|e| internal(page, e))?
        .map_err(|e| AnalyzeError::new(e.code(), e.class(), e.to_string()))?;
        let PageReading {
            mut components,
            warnings,
            legend,
            undefined_tags,
        } = reading;
        // The pipeline's page index is authoritative if a text layer was stored under another.
        components.iter_mut().for_each(|c| c.page = page + 1);
        Ok(PageAnalysis {
            page,
            components,
            usage: Usage::default(),
            analyzer: self.name(),
            warnings,
            legend,
            undefined_tags,
        })
    }
}
