//! The [`PageContext`] the pipeline hands to an analyzer that asks for one: the offline
//! analyzer's components as hints, and [`BlobPageParts`], the page's tiles and partial answers
//! in the blob store (see [`PageParts`]). Partial answers live beside the page's analysis
//! (`analysis/{n}/parts/{name}.json`), so they expire with the job.

use super::Processor;
use super::stages::{page_tiles_manifest_key, store_unavailable};
use crate::error::{ErrorClass, ErrorCode};
use crate::job::JobId;
use crate::ports::{AnalyzeError, BlobStore, PageContext, PageInput, PageParts, TileManifestEntry};
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;
use tracing::warn;

/// Blob key of a partial answer of a page.
pub fn page_part_key(id: &JobId, page: u32, name: &str) -> String {
    id.blob_key(&format!("analysis/{page}/parts/{name}.json"))
}

impl Processor {
    /// The extras of an analyzer that asks for them: the offline analyzer's components as
    /// hints (when it is another analyzer than the one asking), and the page's tiles and
    /// partial answers. Hints are a help, not a need: a failure there is logged and skipped.
    pub(crate) async fn page_context(&self, job: &crate::Job, input: &PageInput) -> PageContext {
        let mut hints = Vec::new();
        if let Some(reference) = self.reference.as_ref().filter(|r| r.name() != self.analyzer.name()) {
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
            blobs: self.backends.blobs.clone(),
            job: job.id.clone(),
            page: input.page,
        };
        PageContext {
            hints,
            parts: Some(Arc::new(parts)),
        }
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
        let key = page_tiles_manifest_key(&self.job, self.page);
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
        match self.blobs.get(&page_part_key(&self.job, self.page, name)).await {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.class() == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(store_unavailable(e)),
        }
    }

    async fn save(&self, name: &str, body: Bytes) -> Result<(), AnalyzeError> {
        let key = page_part_key(&self.job, self.page, name);
        self.blobs
            .put(&key, body, "application/json")
            .await
            .map_err(store_unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StoreError;
    use crate::ports::BlobMeta;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Blobs in a map.
    #[derive(Default)]
    struct Blobs(Mutex<HashMap<String, Bytes>>);

    #[async_trait]
    impl BlobStore for Blobs {
        async fn put(&self, key: &str, body: Bytes, _: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().insert(key.to_owned(), body);
            Ok(())
        }

        async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
            self.0
                .lock()
                .unwrap()
                .get(key)
                .cloned()
                .ok_or_else(|| StoreError::not_found(key))
        }

        async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .get(key)
                .map(|b| BlobMeta { size: b.len() as u64 }))
        }

        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
    }

    #[tokio::test]
    async fn tiles_come_from_the_manifest_and_partial_answers_persist_beside_the_analysis() {
        let blobs = Arc::new(Blobs::default());
        let job = JobId::generate();
        let parts = BlobPageParts {
            blobs: blobs.clone(),
            job: job.clone(),
            page: 2,
        };
        assert!(parts.tiles().await.unwrap().is_empty(), "no manifest: no tiles");
        assert_eq!(parts.load("tile-0").await.unwrap(), None);

        let tile = TileManifestEntry {
            key: super::super::stages::page_tile_key(&job, 2, 0),
            x_px: 0,
            y_px: 0,
            width_px: 3072,
            height_px: 3072,
            dpi: 150.0,
        };
        let manifest = serde_json::to_vec(&[&tile]).unwrap();
        blobs
            .put(&page_tiles_manifest_key(&job, 2), manifest.into(), "application/json")
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
        assert!(blobs.0.lock().unwrap().contains_key(&page_part_key(&job, 2, "tile-0")));
        assert!(page_part_key(&job, 2, "tile-0").ends_with("analysis/2/parts/tile-0.json"));
    }
}
