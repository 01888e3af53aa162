//! What an analyzer that reads images may get beside its [`PageInput`](super::PageInput): the
//! offline analyzer's candidates for the page (hints), and [`PageParts`], the page's stored
//! tiles plus a place to keep partial answers. A page read in several model calls (one per
//! tile) stores each answer as it arrives, so a retry pays only for the calls not yet answered,
//! the same promise the per-page checkpoint makes for whole pages.

use super::analyzer::AnalyzeError;
use super::pdf::TileManifestEntry;
use crate::component::Component;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// The extras the pipeline hands to [`Analyzer::analyze_page_in`](super::Analyzer::analyze_page_in).
#[derive(Clone, Default)]
pub struct PageContext {
    /// What the offline (text-layer) analyzer found on this page; empty when it found nothing
    /// or was not run.
    pub hints: Vec<Component>,
    /// The page's tiles and partial answers; `None` outside the pipeline.
    pub parts: Option<Arc<dyn PageParts>>,
}

impl std::fmt::Debug for PageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageContext")
            .field("hints", &self.hints.len())
            .field("parts", &self.parts.is_some())
            .finish()
    }
}

/// Per-page storage beyond the page image: the tiles `pdf_processing` cut from the
/// full-resolution render, and partial answers of a page analyzed in several calls.
///
/// Semantics every implementation keeps: `tiles` lists the tiles in the order they were cut
/// (empty when none were rendered); `load` of a name never saved is `Ok(None)`; a `save`d
/// body is what a later `load` returns, across processes and retries of the same job.
#[async_trait]
pub trait PageParts: Send + Sync {
    /// The page's tile manifest.
    async fn tiles(&self) -> Result<Vec<TileManifestEntry>, AnalyzeError>;

    /// The PNG of one tile of the manifest.
    async fn tile(&self, entry: &TileManifestEntry) -> Result<Bytes, AnalyzeError>;

    /// A partial answer saved earlier under `name` (`tile-3`), if any.
    async fn load(&self, name: &str) -> Result<Option<Bytes>, AnalyzeError>;

    /// Saves a partial answer under `name`, replacing any earlier one.
    async fn save(&self, name: &str, body: Bytes) -> Result<(), AnalyzeError>;
}
