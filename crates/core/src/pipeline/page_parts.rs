//! The [`PageContext`] the pipeline hands to an analyzer that asks for one: the offline
//! analyzer's components as hints, and [`BlobPageParts`], the page's tiles and partial answers
//! in the blob store (see [`PageParts`]). Partial answers live beside the page's analysis
//! (see [`JobFiles::page_part`](crate::layout::JobFiles::page_part)), so they expire with the job.

use super::Processor;
use super::failure::store_unavailable;
use crate::error::{ErrorClass, ErrorCode};
use crate::job::{Job, JobId};
use crate::ports::{AnalyzeError, BlobStore, PageContext, PageInput, PageParts, TileManifestEntry};
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;
use tracing::warn;

/// The extras of an analyzer that asks for them: the offline analyzer's components as hints
/// (when it is another analyzer than the one asking), and the page's tiles and partial
/// answers. Hints are a help, not a need: a failure there is logged and skipped.
pub(crate) async fn page_context(processor: &Processor, job: &Job, input: &PageInput) -> PageContext {
    let mut hints = Vec::new();
    if let Some(reference) = processor
        .reference
        .as_ref()
        .filter(|r| r.name() != processor.analyzer.name())
    {
        let offline = PageInput {
            image: None,
            ..input.clone()
        };
        match reference.analyze_page(offline).await {
            Ok(found) => hints = found.components,
            Err(e) => warn!(page = input.page, error = %e, "No hints from the offline analyzer."),
        }
    }
    let parts = BlobPageParts {
        blobs: processor.ports.blobs.clone(),
        job: job.id.clone(),
        page: input.page,
    };
    PageContext {
        hints,
        parts: Some(Arc::new(parts)),
    }
}

/// One page's parts in the blob store.
pub(crate) struct BlobPageParts {
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) job: JobId,
    pub(crate) page: u32,
}

#[async_trait]
impl PageParts for BlobPageParts {
    async fn tiles(&self) -> Result<Vec<TileManifestEntry>, AnalyzeError> {
        let key = self.job.files().page_tiles_manifest(self.page);
        match self.blobs.get(&key).await {
            Ok(body) => serde_json::from_slice(&body)
                .map_err(|e| AnalyzeError::new(ErrorCode::Internal, ErrorClass::Permanent, format!("{key}: {e}"))),
            // Tiles are rendered only when the configuration asks for them.
            Err(e) if e.class() == ErrorClass::NotFound => Ok(Vec::new()),
            Err(e) => Err(store_unavailable(e)),
        }
    }

    async fn tile(&self, entry: &TileManifestEntry) -> Result<Bytes, AnalyzeError> {
        self.blobs.get(&entry.key).await.map_err(store_unavailable)
    }

    async fn load(&self, name: &str) -> Result<Option<Bytes>, AnalyzeError> {
        match self.blobs.get(&self.job.files().page_part(self.page, name)).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.class() == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(store_unavailable(e)),
        }
    }

    async fn save(&self, name: &str, body: Bytes) -> Result<(), AnalyzeError> {
        let key = self.job.files().page_part(self.page, name);
        self.blobs
            .put(&key, body, "application/json")
            .await
            .map_err(store_unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryBlobStore;

    #[tokio::test]
    async fn tiles_come_from_the_manifest_and_partial_answers_persist_beside_the_analysis() {
        let blobs = Arc::new(MemoryBlobStore::new());
        let job = JobId::generate();
        let parts = BlobPageParts {
            blobs: blobs.clone(),
            job: job.clone(),
            page: 2,
        };
        assert!(parts.tiles().await.unwrap().is_empty(), "no manifest: no tiles");
        assert_eq!(parts.load("tile-0").await.unwrap(), None);

        let tile = TileManifestEntry {
            key: job.files().page_tile(2, 0),
            x_px: 0,
            y_px: 0,
            width_px: 3072,
            height_px: 3072,
            dpi: 150.0,
        };
        let manifest = serde_json::to_vec(&[&tile]).unwrap();
        blobs
            .put(&job.files().page_tiles_manifest(2), manifest.into(), "application/json")
            .await
            .unwrap();
        blobs
            .put(&tile.key, Bytes::from_static(b"png"), "image/png")
            .await
            .unwrap();
        let listed = parts.tiles().await.unwrap();
        assert_eq!(listed, std::slice::from_ref(&tile));
        assert_eq!(parts.tile(&listed[0]).await.unwrap(), Bytes::from_static(b"png"));

        parts.save("tile-0", Bytes::from_static(b"{}")).await.unwrap();
        assert_eq!(parts.load("tile-0").await.unwrap(), Some(Bytes::from_static(b"{}")));
        assert!(blobs.keys().contains(&job.files().page_part(2, "tile-0")));
    }
}
