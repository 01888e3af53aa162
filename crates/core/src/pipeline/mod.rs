//! The processor: claims a job for one queue delivery, runs every stage not yet completed,
//! checkpoints after each stage and page, and says what to do with the message.
//!
//! Error handling is by class: a permanent failure fails the job with a code and acks the
//! message; a transient one leaves the message to come back (after a backoff), until the
//! queue's redrive policy moves it to the dead-letter queue. Near the deadline the processor
//! checkpoints, sends a continuation message and acks.

mod budget;
mod handle;
mod meter;
mod observe;
mod offline;
mod page_parts;
mod stages;

pub use budget::Budget;
pub use handle::{HandleError, JobHandle};
pub use page_parts::page_part_key;

use crate::cost::CostSettings;
use crate::error::{ErrorCode, JobError};
use crate::job::{JobStatus, Stage};
use crate::ports::{
    Alert, Analyzer, BlobStore, CompletionNotifier, Delivery, JobQueue, JobStore, MessageKind, Metrics, NoMetrics,
    Notifier, PdfEngine, PdfLimits, QueueMessage, RenderOptions,
};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{Instrument, error, error_span, info, warn};

/// The storage-like ports, as one bundle.
#[derive(Clone)]
pub struct Backends {
    /// Job records.
    pub jobs: Arc<dyn JobStore>,
    /// The work queue.
    pub queue: Arc<dyn JobQueue>,
    /// PDFs and outputs.
    pub blobs: Arc<dyn BlobStore>,
    /// Operator alerts.
    pub notifier: Arc<dyn Notifier>,
    /// Completion notices to clients, sent after each terminal write ([`NoNotices`](crate::ports::NoNotices): none).
    pub notices: Arc<dyn CompletionNotifier>,
}

/// How the processor behaves.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Limits checked by validation.
    pub limits: PdfLimits,
    /// Page rendering.
    pub render: RenderOptions,
    /// How long a lease (and the message's visibility) lasts between heartbeats.
    pub lease: Duration,
    /// Continuations allowed before the job fails with `PROCESSING_TIMEOUT`.
    pub max_continuations: u32,
    /// Time kept free before the deadline for the final checkpoint and hand-over.
    pub reserve: Duration,
    /// Delay before a message that failed transiently comes back (doubled per receive).
    pub retry_delay: Duration,
    /// This worker's name, as lease owner.
    pub worker_id: String,
    /// Pages the analyzer works on at once (each is a model call when it is remote).
    pub analysis_concurrency: usize,
    /// How each delivery's compute and requests are priced onto the job.
    pub cost: CostSettings,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            limits: PdfLimits::default(),
            render: RenderOptions::default(),
            lease: Duration::from_secs(60),
            max_continuations: 50,
            reserve: Duration::from_secs(2),
            retry_delay: Duration::from_secs(5),
            worker_id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            analysis_concurrency: 4,
            cost: CostSettings::default(),
        }
    }
}

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every stage finished.
    Completed,
    /// The job failed permanently with this code.
    Failed(ErrorCode),
    /// The worker ran out of time and handed over to a continuation message.
    Continued,
    /// A transient failure; the message comes back after `after`.
    Retrying {
        /// The error recorded on the job.
        code: ErrorCode,
        /// When the message should be visible again.
        after: Duration,
    },
    /// Nothing to do (duplicate, finished or unknown job, undecodable message).
    Skipped(&'static str),
}

impl Outcome {
    /// Whether the message should be deleted.
    pub fn ack(&self) -> bool {
        !matches!(self, Outcome::Retrying { .. })
    }
}

/// How the stages ended for this invocation.
pub(crate) enum RunEnd {
    Completed,
    Paused,
}

/// Why the stages stopped early.
pub(crate) enum StepError {
    Fail(JobError),
    Retry(JobError),
    Lost(&'static str),
}

impl From<HandleError> for StepError {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::LeaseLost(_) => StepError::Lost("lease lost"),
            HandleError::Finished => StepError::Lost("job finished elsewhere"),
            HandleError::Store(e) => stages::store_failure(None, e),
        }
    }
}

/// Runs jobs.
#[derive(Clone)]
pub struct Processor {
    pub(crate) backends: Backends,
    pub(crate) pdf: Arc<dyn PdfEngine>,
    pub(crate) analyzer: Arc<dyn Analyzer>,
    pub(crate) reference: Option<Arc<dyn Analyzer>>,
    pub(crate) config: PipelineConfig,
    pub(crate) metrics: Arc<dyn Metrics>,
    /// Set on the per-delivery copy ([`Processor::for_delivery`]).
    pub(crate) meter: Option<Arc<meter::DeliveryMeter>>,
}

impl Processor {
    /// A processor; `reference` is the deterministic analyzer the evaluation stage checks
    /// `analyzer` against (none: evaluation records that it was skipped).
    pub fn new(
        backends: Backends,
        pdf: Arc<dyn PdfEngine>,
        analyzer: Arc<dyn Analyzer>,
        reference: Option<Arc<dyn Analyzer>>,
        config: PipelineConfig,
    ) -> Self {
        Processor {
            backends,
            pdf,
            analyzer,
            reference,
            config,
            metrics: Arc::new(NoMetrics),
            meter: None,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Handles one delivery, working until `deadline` at most. The caller deletes the
    /// message when [`Outcome::ack`] says so and otherwise hides it for the given delay.
    pub async fn handle(&self, delivery: &Delivery, deadline: Instant) -> Outcome {
        let message = match delivery.message() {
            Ok(m) => m,
            Err(e) => {
                error!(message_id = %delivery.message_id, error = %e, "Undecodable queue message dropped.");
                return Outcome::Skipped("undecodable message");
            }
        };
        let span = error_span!("job", job_id = %message.job_id, message_id = %delivery.message_id, receive_count = delivery.receive_count);
        let this = self.for_delivery();
        this.handle_message(delivery, message, deadline).instrument(span).await
    }

    async fn handle_message(&self, delivery: &Delivery, message: QueueMessage, deadline: Instant) -> Outcome {
        let jobs = &self.backends.jobs;
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::seconds(60));
        let job = match jobs.get(&message.job_id).await {
            Ok(job) => job,
            Err(e) if e.class() == crate::ErrorClass::NotFound => {
                warn!("Message for an unknown job dropped.");
                return Outcome::Skipped("unknown job");
            }
            Err(e) => return self.retry_later(delivery, ErrorCode::ServiceUnavailable, &e.to_string()),
        };
        if job.status.is_terminal() {
            return Outcome::Skipped("job already finished");
        }
        let job = match jobs.acquire_lease(&job.id, &self.config.worker_id, until, now).await {
            Ok(job) => job,
            // Another delivery holds the job; its own message comes back if it dies, so this
            // duplicate can go.
            Err(e) if e.class() == crate::ErrorClass::Conflict => return Outcome::Skipped("leased by another worker"),
            Err(e) => return self.retry_later(delivery, ErrorCode::ServiceUnavailable, &e.to_string()),
        };
        if job.status.is_terminal() {
            // Cancelled between the read and the lease: drop the lease just taken, best effort.
            jobs.update(&crate::Job { lease: None, ..job }).await.ok();
            return Outcome::Skipped("job already finished");
        }
        let usage_before = job.usage;
        let handle = JobHandle::new(jobs.clone(), self.config.worker_id.clone(), job);
        let counts_as_attempt = !(message.kind == MessageKind::Continuation && delivery.receive_count == 1);
        if let Err(e) = handle
            .update(|j| {
                j.status = JobStatus::Processing;
                if counts_as_attempt {
                    j.attempts += 1;
                }
            })
            .await
        {
            return match StepError::from(e) {
                StepError::Lost(why) => Outcome::Skipped(why),
                StepError::Fail(err) | StepError::Retry(err) => self.retry_later(delivery, err.code, &err.message),
            };
        }
        info!(attempt = delivery.receive_count, kind = ?message.kind, "Job claimed.");
        self.observe_claim(delivery);
        let heartbeat =
            handle.spawn_heartbeat(self.backends.queue.clone(), delivery.receipt.clone(), self.config.lease);
        let result = self.run_stages(&handle, deadline).await;
        heartbeat.abort();
        let outcome = self.finish(&handle, delivery, result).await;
        self.observe_end(usage_before, &handle.snapshot().await, &outcome);
        outcome
    }

    async fn finish(&self, handle: &JobHandle, delivery: &Delivery, result: Result<RunEnd, StepError>) -> Outcome {
        match result {
            Ok(RunEnd::Completed) => {
                let done = self
                    .settle(handle, |j| {
                        j.status = JobStatus::Completed;
                        j.current_stage = None;
                        j.error = None;
                        j.lease = None;
                    })
                    .await;
                match done {
                    Ok(job) => {
                        info!("Job completed.");
                        self.backends.notices.job_finished(&job).await;
                        Outcome::Completed
                    }
                    Err(e) => self.after_write_error(delivery, e),
                }
            }
            Ok(RunEnd::Paused) => self.continue_later(handle, delivery).await,
            Err(StepError::Fail(err)) => self.fail(handle, delivery, err).await,
            Err(StepError::Retry(err)) => {
                warn!(code = %err.code, error = %err.message, "Transient failure; the message will come back.");
                let requeued = self
                    .settle(handle, |j| {
                        j.status = JobStatus::Queued;
                        j.record_failure(err.clone(), Utc::now());
                        j.lease = None;
                    })
                    .await;
                match requeued {
                    Err(HandleError::Finished) => return Outcome::Skipped("job finished elsewhere"),
                    // The message still comes back; the record shows the error on a later write.
                    Err(e) => warn!(error = %e, "Could not record the transient error on the job."),
                    Ok(_) => {}
                }
                self.retry_later(delivery, err.code, &err.message)
            }
            Err(StepError::Lost(why)) => {
                warn!(why, "Stopped: the job is no longer ours.");
                Outcome::Skipped(why)
            }
        }
    }

    async fn continue_later(&self, handle: &JobHandle, delivery: &Delivery) -> Outcome {
        let job = handle.snapshot().await;
        if job.continuations >= self.config.max_continuations {
            let err = JobError {
                code: ErrorCode::ProcessingTimeout,
                message: format!(
                    "the job did not finish within {} continuations",
                    self.config.max_continuations
                ),
                stage: job.current_stage,
                retryable: false,
            };
            return self.fail(handle, delivery, err).await;
        }
        // Checkpoint first: if the send below fails, the unacked message still resumes the job.
        if let Err(e) = self
            .settle(handle, |j| {
                j.continuations += 1;
                j.lease = None;
            })
            .await
        {
            return self.after_write_error(delivery, e);
        }
        let message = QueueMessage {
            job_id: job.id.clone(),
            kind: MessageKind::Continuation,
        };
        match self.backends.queue.send(&message, Duration::ZERO).await {
            Ok(_) => {
                info!(
                    continuations = job.continuations + 1,
                    "Deadline near; handed over to a continuation."
                );
                Outcome::Continued
            }
            Err(e) => self.retry_later(delivery, ErrorCode::ServiceUnavailable, &e.to_string()),
        }
    }

    async fn fail(&self, handle: &JobHandle, delivery: &Delivery, err: JobError) -> Outcome {
        error!(code = %err.code, stage = err.stage.map_or("-", Stage::as_str), error = %err.message, "Job failed.");
        let failed = self
            .settle(handle, |j| {
                j.status = JobStatus::Failed;
                j.record_failure(err.clone(), Utc::now());
                j.lease = None;
            })
            .await;
        let job = match failed {
            Ok(job) => job,
            Err(e) => return self.after_write_error(delivery, e),
        };
        if !is_input_error(err.code) {
            let alert = alert_for(&job, &err, "the pipeline failed permanently; see the job's logs");
            if let Err(e) = self.backends.notifier.notify(&alert).await {
                warn!(error = %e, "Alert not sent.");
            }
        }
        self.backends.notices.job_finished(&job).await;
        Outcome::Failed(err.code)
    }

    fn after_write_error(&self, delivery: &Delivery, e: HandleError) -> Outcome {
        match StepError::from(e) {
            StepError::Lost(why) => Outcome::Skipped(why),
            StepError::Fail(err) | StepError::Retry(err) => self.retry_later(delivery, err.code, &err.message),
        }
    }

    fn retry_later(&self, delivery: &Delivery, code: ErrorCode, message: &str) -> Outcome {
        let factor = 1u32 << delivery.receive_count.saturating_sub(1).min(6);
        let after = self.config.retry_delay * factor;
        warn!(%code, error = message, after_secs = after.as_secs_f32(), "Will retry.");
        Outcome::Retrying { code, after }
    }
}

/// Failures caused by the uploaded file itself: the client is told, operators are not paged.
pub fn is_input_error(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidPdf
            | ErrorCode::EncryptedPdf
            | ErrorCode::TooManyPages
            | ErrorCode::PageTooLarge
            | ErrorCode::PayloadTooLarge
    )
}

/// The alert for a failed job.
pub fn alert_for(job: &crate::Job, err: &JobError, hint: &str) -> Alert {
    Alert {
        job_id: job.id.clone(),
        client_name: job.input.client_name.clone(),
        file_name: job.input.file_name.clone(),
        stage: err.stage.or(job.current_stage),
        code: err.code,
        message: err.message.clone(),
        attempts: job.attempts,
        hint: hint.to_owned(),
    }
}

/// Stages still to run for a job, in order.
pub fn remaining_stages(job: &crate::Job) -> impl Iterator<Item = Stage> + '_ {
    Stage::ALL.into_iter().filter(|s| !job.stage_done(*s))
}
