//! `validation`: the PDF engine inspects the upload against the limits (pages, page size,
//! encryption, a PDF at all); the inspection is stored and the page count checkpointed.

use super::{StageCtx, StageEnd};
use crate::job::Stage;
use crate::pipeline::failure::StepError;

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::Validation;
    let pdf = cx.input_pdf(stage).await?;
    let engine = cx.processor.pdf.clone();
    let limits = cx.processor.config.limits.clone();
    // The PDF engine's own log lines keep the job's span on the blocking thread.
    let span = tracing::Span::current();
    let inspection = tokio::task::spawn_blocking(move || span.in_scope(|| engine.inspect(&pdf, &limits)))
        .await
        .map_err(|e| StepError::internal(stage, format!("PDF engine crashed: {e}")))?
        .map_err(|e| StepError::pdf(stage, None, e))?;
    let id = cx.handle.snapshot().await.id;
    cx.put_json(stage, &id.files().inspection(), &inspection).await?;
    cx.handle.update(|j| j.progress.total = inspection.page_count).await?;
    Ok(StageEnd::Done)
}
