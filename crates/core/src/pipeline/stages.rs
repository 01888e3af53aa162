//! The five stages. Each writes its outputs to blobs before it checkpoints, so a checkpoint
//! never points at an output that is not there; per-page stages checkpoint after each page.

use super::{Budget, JobHandle, Processor, RunEnd, StepError, remaining_stages};
use crate::error::{ErrorClass, ErrorCode, JobError, StoreError};
use crate::evaluation::evaluate;
use crate::job::{JobId, Stage, Usage};
use crate::ports::{AnalyzeError, PageAnalysis, PageInput, PageText, PdfError, TileManifestEntry};
use crate::schedule::Schedule;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use std::time::Instant as StdInstant;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// Maps a store failure to what the pipeline does about it.
pub(crate) fn store_failure(stage: Option<Stage>, e: StoreError) -> StepError {
    let class = e.class();
    let err = JobError {
        code: if class.is_retryable() {
            ErrorCode::ServiceUnavailable
        } else {
            ErrorCode::Internal
        },
        message: e.to_string(),
        stage,
        retryable: true,
    };
    if class.is_retryable() {
        StepError::Retry(err)
    } else {
        StepError::Fail(err)
    }
}

fn pdf_failure(stage: Stage, page: Option<u32>, e: PdfError) -> StepError {
    let message = match page {
        Some(p) => format!("page {}: {}", p + 1, e.message),
        None => e.message.clone(),
    };
    let err = JobError {
        code: e.code,
        message,
        stage: Some(stage),
        retryable: e.class() == ErrorClass::Transient,
    };
    if err.retryable {
        StepError::Retry(err)
    } else {
        StepError::Fail(err)
    }
}

pub(crate) fn analyze_failure(page: u32, e: AnalyzeError) -> StepError {
    let retryable = e.class.is_retryable();
    let err = JobError {
        code: e.code,
        message: format!("page {}: {}", page + 1, e.message),
        stage: Some(Stage::DrawingAnalysis),
        retryable,
    };
    if retryable {
        StepError::Retry(err)
    } else {
        StepError::Fail(err)
    }
}

/// A blob store failure met while analyzing a page, as the analyzer port reports it.
pub(crate) fn store_unavailable(e: StoreError) -> AnalyzeError {
    let class = if e.class().is_retryable() {
        ErrorClass::Transient
    } else {
        ErrorClass::Permanent
    };
    AnalyzeError::new(ErrorCode::ServiceUnavailable, class, e.to_string())
}

fn internal(stage: Stage, message: String) -> StepError {
    StepError::Fail(JobError {
        code: ErrorCode::Internal,
        message,
        stage: Some(stage),
        retryable: false,
    })
}

/// Blob keys of per-page outputs.
pub fn page_image_key(id: &JobId, page: u32) -> String {
    id.blob_key(&format!("pages/{page}.png"))
}

/// Blob key of a page's text layer.
pub fn page_text_key(id: &JobId, page: u32) -> String {
    id.blob_key(&format!("pages/{page}.text.json"))
}

/// Blob key of tile `tile` of a page (when tiles are rendered).
pub fn page_tile_key(id: &JobId, page: u32, tile: usize) -> String {
    id.blob_key(&format!("pages/{page}/tiles/{tile}.png"))
}

/// Blob key of a page's tile manifest (a JSON list of [`TileManifestEntry`]).
pub fn page_tiles_manifest_key(id: &JobId, page: u32) -> String {
    id.blob_key(&format!("pages/{page}.tiles.json"))
}

/// Blob key of a page's analysis.
pub fn page_analysis_key(id: &JobId, page: u32) -> String {
    id.blob_key(&format!("analysis/{page}.json"))
}

impl Processor {
    pub(crate) async fn run_stages(&self, handle: &JobHandle, deadline: Instant) -> Result<RunEnd, StepError> {
        let mut budget = Budget::new(deadline, self.config.reserve);
        let job = handle.snapshot().await;
        let mut pdf: Option<Bytes> = None;
        for stage in remaining_stages(&job).collect::<Vec<_>>() {
            if budget.should_pause() {
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
            let finished = match stage {
                Stage::Validation => self.validation(handle, &mut pdf).await?,
                Stage::PdfProcessing => self.pdf_processing(handle, &mut pdf, &mut budget).await?,
                Stage::DrawingAnalysis => self.drawing_analysis(handle, &mut budget).await?,
                Stage::ScheduleGeneration => self.schedule_generation(handle).await?,
                Stage::Evaluation => self.evaluation(handle).await?,
            };
            if !finished {
                return Ok(RunEnd::Paused);
            }
            handle.update(|j| j.stages_completed.push(stage)).await?;
            info!(stage = %stage, took_ms = started.elapsed().as_millis() as u64, "Stage completed.");
            self.observe_stage(stage, started.elapsed());
            if !stage.is_per_page() {
                budget.record(started.elapsed());
            }
        }
        Ok(RunEnd::Completed)
    }

    async fn input_pdf(&self, handle: &JobHandle, cache: &mut Option<Bytes>, stage: Stage) -> Result<Bytes, StepError> {
        if let Some(b) = cache {
            return Ok(b.clone());
        }
        let key = handle.snapshot().await.input.blob_key;
        let bytes = self
            .backends
            .blobs
            .get(&key)
            .await
            .map_err(|e| store_failure(Some(stage), e))?;
        *cache = Some(bytes.clone());
        Ok(bytes)
    }

    async fn put_json<T: serde::Serialize>(&self, stage: Stage, key: &str, value: &T) -> Result<(), StepError> {
        let body = serde_json::to_vec(value).map_err(|e| internal(stage, e.to_string()))?;
        self.put(stage, key, body.into(), "application/json").await
    }

    async fn put(&self, stage: Stage, key: &str, body: Bytes, content_type: &str) -> Result<(), StepError> {
        self.backends
            .blobs
            .put(key, body, content_type)
            .await
            .map_err(|e| store_failure(Some(stage), e))
    }

    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        stage: Stage,
        key: &str,
    ) -> Result<T, StepError> {
        let body = self
            .backends
            .blobs
            .get(key)
            .await
            .map_err(|e| store_failure(Some(stage), e))?;
        serde_json::from_slice(&body).map_err(|e| internal(stage, format!("{key}: {e}")))
    }

    async fn validation(&self, handle: &JobHandle, cache: &mut Option<Bytes>) -> Result<bool, StepError> {
        let stage = Stage::Validation;
        let pdf = self.input_pdf(handle, cache, stage).await?;
        let engine = self.pdf.clone();
        let limits = self.config.limits.clone();
        // The PDF engine's own log lines keep the job's span on the blocking thread.
        let span = tracing::Span::current();
        let inspection = tokio::task::spawn_blocking(move || span.in_scope(|| engine.inspect(&pdf, &limits)))
            .await
            .map_err(|e| internal(stage, format!("PDF engine crashed: {e}")))?
            .map_err(|e| pdf_failure(stage, None, e))?;
        let id = handle.snapshot().await.id;
        self.put_json(stage, &id.blob_key("inspect.json"), &inspection).await?;
        handle.update(|j| j.progress.total = inspection.page_count).await?;
        Ok(true)
    }

    async fn pdf_processing(
        &self,
        handle: &JobHandle,
        cache: &mut Option<Bytes>,
        budget: &mut Budget,
    ) -> Result<bool, StepError> {
        let stage = Stage::PdfProcessing;
        let job = handle.snapshot().await;
        for page in 0..job.progress.total {
            if job.progress.is_done(page) {
                continue;
            }
            if budget.should_pause() {
                return Ok(false);
            }
            let started = StdInstant::now();
            let pdf = self.input_pdf(handle, cache, stage).await?;
            let engine = self.pdf.clone();
            let render = self.config.render.clone();
            let span = tracing::Span::current();
            let extracted =
                tokio::task::spawn_blocking(move || span.in_scope(|| engine.extract_page(&pdf, page, &render)))
                    .await
                    .map_err(|e| internal(stage, format!("PDF engine crashed on page {}: {e}", page + 1)))?
                    .map_err(|e| pdf_failure(stage, Some(page), e))?;
            self.put(
                stage,
                &page_image_key(&job.id, page),
                extracted.image.png.into(),
                "image/png",
            )
            .await?;
            self.put_json(stage, &page_text_key(&job.id, page), &extracted.text)
                .await?;
            if self.config.render.tiles.is_some() {
                // Tiles first, then the manifest that points at them, then the checkpoint:
                // nothing stored ever names a blob that is not there.
                let mut manifest = Vec::with_capacity(extracted.tiles.len());
                for (index, tile) in extracted.tiles.into_iter().enumerate() {
                    let key = page_tile_key(&job.id, page, index);
                    manifest.push(TileManifestEntry::new(key.clone(), &tile));
                    self.put(stage, &key, tile.png.into(), "image/png").await?;
                }
                self.put_json(stage, &page_tiles_manifest_key(&job.id, page), &manifest)
                    .await?;
            }
            handle.update(|j| j.progress.mark_done(page)).await?;
            debug!(page, took_ms = started.elapsed().as_millis() as u64, "Page processed.");
            budget.record(started.elapsed());
        }
        Ok(true)
    }

    /// Analyzes the pages not yet done, up to `analysis_concurrency` at a time. Each answer is
    /// stored and checkpointed as it arrives, so pages already paid for survive a failure of
    /// their neighbours, a crash or a continuation. After a failure no new page starts, but
    /// the pages in flight are awaited and kept.
    async fn drawing_analysis(&self, handle: &JobHandle, budget: &mut Budget) -> Result<bool, StepError> {
        let job = handle.snapshot().await;
        let mut pending = (0..job.progress.total).filter(|p| !job.progress.is_done(*p)).peekable();
        let limit = self.config.analysis_concurrency.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut failure: Option<StepError> = None;
        loop {
            while failure.is_none() && in_flight.len() < limit && pending.peek().is_some() && !budget.should_pause() {
                if let Some(page) = pending.next() {
                    in_flight.push(self.analyze_page(&job, page));
                }
            }
            let Some((page, result, took)) = in_flight.next().await else {
                break;
            };
            match result {
                Ok(analysis) => {
                    let checkpoint = handle
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
                    budget.record(took);
                }
                Err(e) => {
                    if e.usage != Usage::default()
                        && let Err(write) = handle.update(|j| j.usage += e.usage).await
                    {
                        warn!(error = %write, "Could not record the usage of a failed page.");
                    }
                    failure.get_or_insert(analyze_failure(page, e));
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(pending.peek().is_none()),
        }
    }

    /// One page: the stored answer when there is one (it was paid for), else the analyzer's.
    async fn analyze_page(
        &self,
        job: &crate::Job,
        page: u32,
    ) -> (u32, Result<PageAnalysis, AnalyzeError>, std::time::Duration) {
        let started = StdInstant::now();
        let result = self.stored_or_fresh_analysis(job, page).await;
        (page, result, started.elapsed())
    }

    async fn stored_or_fresh_analysis(&self, job: &crate::Job, page: u32) -> Result<PageAnalysis, AnalyzeError> {
        let stage = Stage::DrawingAnalysis;
        let unavailable = store_unavailable;
        let key = page_analysis_key(&job.id, page);
        match self.backends.blobs.get(&key).await {
            Ok(body) => match serde_json::from_slice::<PageAnalysis>(&body) {
                Ok(stored) => return Ok(stored),
                Err(e) => warn!(page, error = %e, "Stored analysis unreadable; analyzing again."),
            },
            Err(e) if e.class() == ErrorClass::NotFound => {}
            Err(e) => return Err(unavailable(e)),
        }
        let text_body = self
            .backends
            .blobs
            .get(&page_text_key(&job.id, page))
            .await
            .map_err(unavailable)?;
        let text: PageText = serde_json::from_slice(&text_body)
            .map_err(|e| AnalyzeError::new(ErrorCode::Internal, ErrorClass::Permanent, format!("{stage}: {e}")))?;
        let image = if self.analyzer.needs_image() {
            Some(
                self.backends
                    .blobs
                    .get(&page_image_key(&job.id, page))
                    .await
                    .map_err(unavailable)?,
            )
        } else {
            None
        };
        let input = PageInput {
            page,
            page_count: job.progress.total,
            text,
            image,
        };
        let analysis = if self.analyzer.wants_context() {
            let context = self.page_context(job, &input).await;
            self.analyzer.analyze_page_in(input, context).await?
        } else {
            self.analyzer.analyze_page(input).await?
        };
        let body = serde_json::to_vec(&analysis)
            .map_err(|e| AnalyzeError::new(ErrorCode::Internal, ErrorClass::Permanent, e.to_string()))?;
        // Stored before the checkpoint: a crash between the two adopts this answer instead of
        // paying for it again. A failed write is retried later, and that costs the page again,
        // so the usage travels with the error.
        if let Err(e) = self.backends.blobs.put(&key, body.into(), "application/json").await {
            let mut err = unavailable(e);
            err.usage = analysis.usage;
            return Err(err);
        }
        Ok(analysis)
    }

    async fn schedule_generation(&self, handle: &JobHandle) -> Result<bool, StepError> {
        let stage = Stage::ScheduleGeneration;
        let job = handle.snapshot().await;
        let mut pages = Vec::with_capacity(job.progress.total as usize);
        for page in 0..job.progress.total {
            pages.push(
                self.get_json::<PageAnalysis>(stage, &page_analysis_key(&job.id, page))
                    .await?,
            );
        }
        if self.reads_beside_a_model()
            && let Some(offline) = self.offline_reading(stage, &job).await?
        {
            for (model, text) in pages.iter_mut().zip(offline) {
                crate::schedule::merge_answers(model, text);
            }
        }
        let schedule = Schedule::build(&pages);
        let xlsx = schedule
            .to_xlsx()
            .map_err(|e| internal(stage, format!("writing schedule.xlsx: {e}")))?;
        let csv = schedule
            .to_csv()
            .map_err(|e| internal(stage, format!("writing schedule.csv: {e}")))?;
        let keys = crate::RESULT_FILES.map(|name| job.id.blob_key(name));
        self.put_json(stage, &keys[0], &schedule).await?;
        self.put(stage, &keys[1], xlsx.into(), crate::XLSX_CONTENT_TYPE).await?;
        self.put(stage, &keys[2], csv.into(), "text/csv").await?;
        let warnings: Vec<_> = schedule
            .warnings
            .iter()
            .take(crate::warning::MAX_JOB_WARNINGS)
            .cloned()
            .collect();
        handle
            .update(|j| {
                j.result_keys = keys.to_vec();
                j.warnings = warnings.clone();
            })
            .await?;
        Ok(true)
    }

    async fn evaluation(&self, handle: &JobHandle) -> Result<bool, StepError> {
        let stage = Stage::Evaluation;
        let job = handle.snapshot().await;
        // The analyzer's own answer, before the schedule merged the offline reading into it.
        let mut answered = Vec::new();
        for page in 0..job.progress.total {
            let analysis: PageAnalysis = self.get_json(stage, &page_analysis_key(&job.id, page)).await?;
            answered.extend(analysis.components);
        }
        // When the analyzer is the reference itself, its stored answer is the reference's:
        // reading every page again would give the same ids.
        let expected: Vec<String> = if self.reference.is_some() && !self.reads_beside_a_model() {
            answered.iter().map(|c| c.id.clone()).collect()
        } else {
            self.offline_reading(stage, &job)
                .await?
                .into_iter()
                .flatten()
                .flat_map(|p| p.components.into_iter().map(|c| c.id))
                .collect()
        };
        let report = evaluate(self.reference.as_ref().map(|r| r.name()), &expected, &answered);
        self.put_json(stage, &job.id.blob_key("evaluation.json"), &report)
            .await?;
        Ok(true)
    }
}
