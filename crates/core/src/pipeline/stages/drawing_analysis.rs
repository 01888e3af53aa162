//! `drawing_analysis`: the analyzer reads each page, `analysis_concurrency` pages at a time.
//! Each answer is stored and checkpointed as it arrives, so pages already paid for survive a
//! failure of their neighbours, a crash or a continuation. After a failure no new page
//! starts, but the pages in flight are awaited and kept.

use super::{StageCtx, StageEnd};
use crate::error::{ErrorClass, ErrorCode};
use crate::job::{Job, Stage, Usage};
use crate::pipeline::Processor;
use crate::pipeline::failure::{StepError, store_unavailable};
use crate::pipeline::page_parts::page_context;
use crate::ports::{AnalyzeError, PageAnalysis, PageInput, PageText};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use std::time::{Duration, Instant as StdInstant};
use tracing::{debug, warn};

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::DrawingAnalysis;
    let processor = cx.processor;
    let job = cx.handle.snapshot().await;
    let mut pending = (0..job.progress.total).filter(|p| !job.progress.is_done(*p)).peekable();
    let limit = processor.config.analysis_concurrency.max(1);
    let mut in_flight = FuturesUnordered::new();
    let mut failure: Option<StepError> = None;
    loop {
        while failure.is_none() && in_flight.len() < limit && pending.peek().is_some() {
            if !cx.may_start_page(stage, job.progress.total, Duration::ZERO, &mut failure) {
                break;
            }
            if let Some(page) = pending.next() {
                in_flight.push(analyze_page(processor, &job, page));
            }
        }
        let Some((page, result, took)) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(analysis) => {
                let checkpoint = cx
                    .handle
                    .update(|j| {
                        if !j.progress.is_done(page) {
                            j.progress.mark_done(page);
                            j.usage += analysis.usage;
                        }
                    })
                    .await;
                if let Err(e) = checkpoint {
                    failure.get_or_insert(e.into());
                }
                debug!(page, components = analysis.components.len(), "Page analyzed.");
                cx.budget.record(took);
            }
            Err(e) => {
                if e.usage != Usage::default()
                    && let Err(write) = cx.handle.update(|j| j.usage += e.usage).await
                {
                    warn!(error = %write, "Could not record the usage of a failed page.");
                }
                failure.get_or_insert(StepError::analysis(page, e));
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None if pending.peek().is_none() => Ok(StageEnd::Done),
        None => Ok(StageEnd::Paused),
    }
}

/// One page, with how long it took.
async fn analyze_page(
    processor: &Processor,
    job: &Job,
    page: u32,
) -> (u32, Result<PageAnalysis, AnalyzeError>, std::time::Duration) {
    let started = StdInstant::now();
    let result = stored_or_fresh_analysis(processor, job, page).await;
    (page, result, started.elapsed())
}

/// The stored answer when there is one (it was paid for), else the analyzer's, stored.
async fn stored_or_fresh_analysis(processor: &Processor, job: &Job, page: u32) -> Result<PageAnalysis, AnalyzeError> {
    let blobs = &processor.ports.blobs;
    let files = job.id.files();
    let key = files.page_analysis(page);
    match blobs.get(&key).await {
        Ok(body) => match serde_json::from_slice::<PageAnalysis>(&body) {
            Ok(stored) => return Ok(stored),
            Err(e) => warn!(page, error = %e, "Stored analysis unreadable; analyzing again."),
        },
        Err(e) if e.class() == ErrorClass::NotFound => {}
        Err(e) => return Err(store_unavailable(e)),
    }
    let text_body = blobs.get(&files.page_text(page)).await.map_err(store_unavailable)?;
    let text: PageText = serde_json::from_slice(&text_body).map_err(|e| {
        AnalyzeError::new(
            ErrorCode::Internal,
            ErrorClass::Permanent,
            format!("{}: {e}", Stage::DrawingAnalysis),
        )
    })?;
    let analyzer = &processor.analyzer;
    let image = if analyzer.needs_image() {
        Some(blobs.get(&files.page_image(page)).await.map_err(store_unavailable)?)
    } else {
        None
    };
    let input = PageInput {
        page,
        page_count: job.progress.total,
        text,
        image,
    };
    let analysis = if analyzer.wants_context() {
        let context = page_context(processor, job, &input).await;
        analyzer.analyze_page_in(input, context).await?
    } else {
        analyzer.analyze_page(input).await?
    };
    let body = serde_json::to_vec(&analysis)
        .map_err(|e| AnalyzeError::new(ErrorCode::Internal, ErrorClass::Permanent, e.to_string()))?;
    // Stored before the checkpoint: a crash between the two adopts this answer instead of
    // paying for it again. A failed write is retried later, and that costs the page again,
    // so the usage travels with the error.
    if let Err(e) = blobs.put(&key, body.into(), "application/json").await {
        let mut err = store_unavailable(e);
        err.usage = analysis.usage;
        return Err(err);
    }
    Ok(analysis)
}
