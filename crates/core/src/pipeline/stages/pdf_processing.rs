//! `pdf_processing`: each page rendered and its text read by the PDF engine (in its isolated
//! worker), the image, the text and any tiles stored, then the page checkpointed.

use super::{StageCtx, StageEnd};
use crate::job::Stage;
use crate::pipeline::failure::StepError;
use crate::ports::TileManifestEntry;
use std::time::{Duration, Instant as StdInstant};
use tracing::debug;

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::PdfProcessing;
    let job = cx.handle.snapshot().await;
    let files = job.id.files();
    let total = job.progress.total;
    let mut left = (0..total).filter(|p| !job.progress.is_done(*p)).count() as u32;
    let (mut pages_here, mut time_here) = (0u32, Duration::ZERO);
    for page in 0..total {
        if job.progress.is_done(page) {
            continue;
        }
        // The pages left at the pace of this delivery's pages so far.
        let to_come = if pages_here == 0 {
            Duration::ZERO
        } else {
            time_here / pages_here * left
        };
        if !cx.may_start(stage, total, to_come)? {
            return Ok(StageEnd::Paused);
        }
        let started = StdInstant::now();
        let pdf = cx.input_pdf(stage).await?;
        let engine = cx.processor.pdf.clone();
        let render = cx.processor.config.render.clone();
        let span = tracing::Span::current();
        let extracted = tokio::task::spawn_blocking(move || span.in_scope(|| engine.extract_page(&pdf, page, &render)))
            .await
            .map_err(|e| StepError::internal(stage, format!("PDF engine crashed on page {}: {e}", page + 1)))?
            .map_err(|e| StepError::pdf(stage, Some(page), e))?;
        cx.put(stage, &files.page_image(page), extracted.image.png.into(), "image/png")
            .await?;
        cx.put_json(stage, &files.page_text(page), &extracted.text).await?;
        if cx.processor.config.render.tiles.is_some() {
            // Tiles first, then the manifest that points at them, then the checkpoint:
            // nothing stored ever names a blob that is not there.
            let mut manifest = Vec::with_capacity(extracted.tiles.len());
            for (index, tile) in extracted.tiles.into_iter().enumerate() {
                let key = files.page_tile(page, index);
                manifest.push(TileManifestEntry::new(key.clone(), &tile));
                cx.put(stage, &key, tile.png.into(), "image/png").await?;
            }
            cx.put_json(stage, &files.page_tiles_manifest(page), &manifest).await?;
        }
        cx.handle.update(|j| j.progress.mark_done(page)).await?;
        let took = started.elapsed();
        debug!(page, took_ms = took.as_millis() as u64, "Page processed.");
        cx.budget.record(took);
        (pages_here, time_here, left) = (pages_here + 1, time_here + took, left - 1);
    }
    Ok(StageEnd::Done)
}
