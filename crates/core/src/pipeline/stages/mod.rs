//! The five stages, each in its own file, run in order over one [`StageCtx`]. Each stage
//! writes its outputs to blobs before it checkpoints, so a checkpoint never points at an
//! output that is not there; per-page stages checkpoint after each page.
//!
//! Work is cut into units (a stage, a page). Before each unit the context asks whether it
//! may start: near the invocation's deadline the stages pause for a continuation
//! ([`Budget`]); past the job's compute budget they fail it ([`JobBudget`](super::JobBudget)).

mod drawing_analysis;
mod evaluation;
mod pdf_processing;
mod schedule_generation;
mod validation;

use super::failure::StepError;
use super::{Budget, JobHandle, Processor};
use crate::error::{ErrorClass, ErrorCode};
use crate::job::Stage;
use crate::ports::Ports;
use bytes::Bytes;
use std::time::{Duration, Instant as StdInstant};
use tokio::time::Instant;
use tracing::info;

/// How the stages ended for this invocation.
pub(crate) enum RunEnd {
    Completed,
    Paused,
}

/// How one stage ended.
enum StageEnd {
    Done,
    Paused,
}

/// Runs every stage the job has not completed, until they are done or the invocation must
/// hand over.
pub(crate) async fn run_stages(
    processor: &Processor,
    handle: &JobHandle,
    deadline: Instant,
) -> Result<RunEnd, StepError> {
    let job = handle.snapshot().await;
    let mut cx = StageCtx {
        processor,
        handle,
        budget: Budget::new(deadline, processor.config.reserve),
        spent_before: Duration::from_secs_f64(job.cost.compute_seconds.max(0.0)),
        claimed: StdInstant::now(),
        input: None,
    };
    for stage in Stage::ALL.into_iter().filter(|s| !job.stage_done(*s)) {
        if !cx.may_start(stage, job.progress.total, Duration::ZERO)? {
            return Ok(RunEnd::Paused);
        }
        handle
            .update(|j| {
                if j.current_stage != Some(stage) {
                    j.current_stage = Some(stage);
                    j.progress.done.clear();
                }
            })
            .await?;
        let started = StdInstant::now();
        let end = match stage {
            Stage::Validation => validation::run(&mut cx).await?,
            Stage::PdfProcessing => pdf_processing::run(&mut cx).await?,
            Stage::DrawingAnalysis => drawing_analysis::run(&mut cx).await?,
            Stage::ScheduleGeneration => schedule_generation::run(&mut cx).await?,
            Stage::Evaluation => evaluation::run(&mut cx).await?,
        };
        if let StageEnd::Paused = end {
            return Ok(RunEnd::Paused);
        }
        handle.update(|j| j.stages_completed.push(stage)).await?;
        info!(stage = %stage, took_ms = started.elapsed().as_millis() as u64, "Stage completed.");
        processor.observe_stage(stage, started.elapsed());
        if !stage.is_per_page() {
            cx.budget.record(started.elapsed());
        }
    }
    Ok(RunEnd::Completed)
}

/// What every stage works with: the processor's ports and settings, the leased job, this
/// invocation's time, and the input PDF once read.
pub(crate) struct StageCtx<'a> {
    processor: &'a Processor,
    handle: &'a JobHandle,
    budget: Budget,
    /// The job's compute before this delivery.
    spent_before: Duration,
    claimed: StdInstant,
    input: Option<Bytes>,
}

impl StageCtx<'_> {
    fn ports(&self) -> &Ports {
        &self.processor.ports
    }

    /// Whether the next unit of `stage` may start: `false` pauses for a continuation; an
    /// error fails a job that has spent, or at this pace would spend, more than its budget.
    fn may_start(&self, stage: Stage, pages: u32, to_come: Duration) -> Result<bool, StepError> {
        let spent = self.spent_before + self.claimed.elapsed();
        if let Err(message) = self.processor.config.job_budget.check(pages, spent, to_come) {
            return Err(StepError::of(
                ErrorClass::Permanent,
                ErrorCode::ProcessingTimeout,
                message,
                Some(stage),
            ));
        }
        Ok(!self.budget.should_pause())
    }

    /// [`StageCtx::may_start`] for a loop with pages in flight, which must await them before
    /// it returns: a refusal that is an error goes into `failure` (the stage's first) rather
    /// than out.
    fn may_start_page(&self, stage: Stage, pages: u32, to_come: Duration, failure: &mut Option<StepError>) -> bool {
        match self.may_start(stage, pages, to_come) {
            Ok(go) => go,
            Err(e) => {
                failure.get_or_insert(e);
                false
            }
        }
    }

    /// The uploaded PDF, read once per delivery.
    async fn input_pdf(&mut self, stage: Stage) -> Result<Bytes, StepError> {
        if let Some(b) = &self.input {
            return Ok(b.clone());
        }
        let key = self.handle.snapshot().await.input.blob_key;
        let bytes = self
            .ports()
            .blobs
            .get(&key)
            .await
            .map_err(|e| StepError::store(Some(stage), e))?;
        self.input = Some(bytes.clone());
        Ok(bytes)
    }

    /// The uploaded PDF for the last stage that reads it: taken out of the delivery's cache,
    /// so that the bytes go once the engine holds them.
    async fn take_input_pdf(&mut self, stage: Stage) -> Result<Bytes, StepError> {
        let bytes = self.input_pdf(stage).await?;
        self.input = None;
        Ok(bytes)
    }

    async fn put_json<T: serde::Serialize>(&self, stage: Stage, key: &str, value: &T) -> Result<(), StepError> {
        put_json(self.ports(), stage, key, value).await
    }

    async fn put(&self, stage: Stage, key: &str, body: Bytes, content_type: &str) -> Result<(), StepError> {
        put(self.ports(), stage, key, body, content_type).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, stage: Stage, key: &str) -> Result<T, StepError> {
        get_json(self.ports(), stage, key).await
    }
}

/// Stores a stage's output; the free form serves work that runs beside the context (pages
/// in flight), which cannot borrow it.
async fn put(ports: &Ports, stage: Stage, key: &str, body: Bytes, content_type: &str) -> Result<(), StepError> {
    ports
        .blobs
        .put(key, body, content_type)
        .await
        .map_err(|e| StepError::store(Some(stage), e))
}

/// Stores a stage's output as JSON.
async fn put_json<T: serde::Serialize>(ports: &Ports, stage: Stage, key: &str, value: &T) -> Result<(), StepError> {
    let body = serde_json::to_vec(value).map_err(|e| StepError::internal(stage, e.to_string()))?;
    put(ports, stage, key, body.into(), "application/json").await
}

/// Reads a JSON blob a stage stored.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    ports: &Ports,
    stage: Stage,
    key: &str,
) -> Result<T, StepError> {
    let body = ports
        .blobs
        .get(key)
        .await
        .map_err(|e| StepError::store(Some(stage), e))?;
    serde_json::from_slice(&body).map_err(|e| StepError::internal(stage, format!("{key}: {e}")))
}
