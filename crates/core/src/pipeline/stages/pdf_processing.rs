//! `pdf_processing`: each page rendered and its text read by the PDF engine (in its isolated
//! worker), the image, the text and any tiles stored, then the page checkpointed.
//!
//! Up to `render_concurrency` pages are in flight at once: each isolated call is its own
//! worker process, so pages of one job use every core the host grants, where one page at a
//! time leaves all but one idle. Each page is checkpointed as it comes back, in whatever
//! order, so a continuation or a retry resumes at exactly the pages not done. A page starts
//! only when the invocation's time and the job's budget allow it, as one page at a time did.
//!
//! After a failure no new page starts, but the pages in flight are awaited and kept: the
//! stage never returns with a render still writing behind it, and the first failure is the
//! one the job reports.

use super::{StageCtx, StageEnd, put, put_json};
use crate::job::Stage;
use crate::layout::JobFiles;
use crate::pipeline::Processor;
use crate::pipeline::failure::StepError;
use crate::ports::{HeldPdf, TileManifestEntry};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use std::time::{Duration, Instant as StdInstant};
use tracing::debug;

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::PdfProcessing;
    let processor = cx.processor;
    let job = cx.handle.snapshot().await;
    let files = job.id.files();
    let total = job.progress.total;
    let mut pending = (0..total).filter(|p| !job.progress.is_done(*p)).peekable();
    if pending.peek().is_none() {
        return Ok(StageEnd::Done);
    }
    // The engine holds the document for the pages (the isolated engine in the memory file its
    // workers share), and these bytes go: a copy fewer for the whole stage.
    let bytes = cx.take_input_pdf(stage).await?;
    let engine = processor.pdf.clone();
    let span = tracing::Span::current();
    let pdf = tokio::task::spawn_blocking(move || span.in_scope(|| engine.hold(bytes)))
        .await
        .map_err(|e| StepError::internal(stage, format!("PDF engine crashed holding the document: {e}")))?
        .map_err(|e| StepError::pdf(stage, None, e))?;
    let limit = processor.config.render_concurrency.max(1);
    let mut left = (0..total).filter(|p| !job.progress.is_done(*p)).count() as u32;
    let (mut pages_here, mut time_here) = (0u32, Duration::ZERO);
    let mut in_flight = FuturesUnordered::new();
    let mut failure: Option<StepError> = None;
    loop {
        while failure.is_none() && in_flight.len() < limit && pending.peek().is_some() {
            // The pages left at the pace of this delivery's pages so far, `limit` at a time.
            let to_come = if pages_here == 0 {
                Duration::ZERO
            } else {
                time_here / pages_here * left.div_ceil(limit as u32)
            };
            if !cx.may_start_page(stage, total, to_come, &mut failure) {
                break;
            }
            if let Some(page) = pending.next() {
                in_flight.push(process_page(processor, files, pdf.clone(), page));
            }
        }
        let Some((page, result, took)) = in_flight.next().await else {
            break;
        };
        if let Err(e) = result {
            failure.get_or_insert(e);
            continue;
        }
        if let Err(e) = cx.handle.update(|j| j.progress.mark_done(page)).await {
            failure.get_or_insert(e.into());
            continue;
        }
        debug!(page, took_ms = took.as_millis() as u64, "Page processed.");
        cx.budget.record(took);
        (pages_here, time_here, left) = (pages_here + 1, time_here + took, left - 1);
    }
    match failure {
        Some(e) => Err(e),
        None if pending.peek().is_none() => Ok(StageEnd::Done),
        None => Ok(StageEnd::Paused),
    }
}

/// One page rendered and its outputs stored (not checkpointed: the stage does that), with
/// how long it took.
async fn process_page(
    processor: &Processor,
    files: JobFiles<'_>,
    pdf: HeldPdf,
    page: u32,
) -> (u32, Result<(), StepError>, Duration) {
    let started = StdInstant::now();
    let result = render_and_store(processor, files, pdf, page).await;
    (page, result, started.elapsed())
}

async fn render_and_store(
    processor: &Processor,
    files: JobFiles<'_>,
    pdf: HeldPdf,
    page: u32,
) -> Result<(), StepError> {
    let stage = Stage::PdfProcessing;
    let ports = &processor.ports;
    let engine = processor.pdf.clone();
    let render = processor.config.render.clone();
    let span = tracing::Span::current();
    let extracted = tokio::task::spawn_blocking(move || span.in_scope(|| engine.extract_held(&pdf, page, &render)))
        .await
        .map_err(|e| StepError::internal(stage, format!("PDF engine crashed on page {}: {e}", page + 1)))?
        .map_err(|e| StepError::pdf(stage, Some(page), e))?;
    put(
        ports,
        stage,
        &files.page_image(page),
        extracted.image.png.into(),
        "image/png",
    )
    .await?;
    put_json(ports, stage, &files.page_text(page), &extracted.text).await?;
    if processor.config.render.tiles.is_some() {
        // Tiles first, then the manifest that points at them, then the checkpoint:
        // nothing stored ever names a blob that is not there.
        let mut manifest = Vec::with_capacity(extracted.tiles.len());
        for (index, tile) in extracted.tiles.into_iter().enumerate() {
            let key = files.page_tile(page, index);
            manifest.push(TileManifestEntry::new(key.clone(), &tile));
            put(ports, stage, &key, tile.png.into(), "image/png").await?;
        }
        put_json(ports, stage, &files.page_tiles_manifest(page), &manifest).await?;
    }
    Ok(())
}
