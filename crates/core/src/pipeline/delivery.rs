//! One delivery from claim to its last write: the job is read and leased, the stages run
//! with a heartbeat, and the delivery ends one way — finished, failed, continued or left to
//! retry. Its last write ([`Processor::settle`]) adds the delivery's compute and requests to
//! the job's cost; the caller then settles the message ([`Outcome::settle`]).

use super::failure::{SkipReason, StepError};
use super::meter::DeliveryMeter;
use super::stages::{RunEnd, run_stages};
use super::{HandleError, JobHandle, Outcome, Processor};
use crate::error::{ErrorClass, ErrorCode, JobError};
use crate::job::{Job, JobStatus, Stage};
use crate::ports::{Alert, Delivery, MessageKind, QueueMessage};
use chrono::Utc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{error, info, warn};

impl Processor {
    /// A copy for one delivery: its ports count every request, and its meter runs from now.
    pub(crate) fn for_delivery(&self) -> Processor {
        let meter = DeliveryMeter::start(self.config.cost.clone());
        let mut scoped = self.clone();
        scoped.ports = meter.wrap(&self.ports);
        scoped.meter = Some(meter);
        scoped
    }

    pub(crate) async fn handle_message(
        &self,
        delivery: &Delivery,
        message: QueueMessage,
        deadline: Instant,
    ) -> Outcome {
        let jobs = &self.ports.jobs;
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::seconds(60));
        let job = match jobs.get(&message.job_id).await {
            Ok(job) => job,
            Err(e) if e.class() == ErrorClass::NotFound => {
                warn!("Message for an unknown job dropped.");
                return Outcome::Skipped(SkipReason::UnknownJob);
            }
            Err(e) => return self.retry_later(delivery, ErrorCode::ServiceUnavailable, &e.to_string()),
        };
        if job.status.is_terminal() {
            return Outcome::Skipped(SkipReason::JobFinished);
        }
        let job = match jobs.acquire_lease(&job.id, &self.config.worker_id, until, now).await {
            Ok(job) => job,
            // Another delivery holds the job; its own message comes back if it dies, so this
            // duplicate can go.
            Err(e) if e.class() == ErrorClass::Conflict => return Outcome::Skipped(SkipReason::LeasedElsewhere),
            Err(e) => return self.retry_later(delivery, ErrorCode::ServiceUnavailable, &e.to_string()),
        };
        if job.status.is_terminal() {
            // Cancelled between the read and the lease: drop the lease just taken, best effort.
            jobs.update(&Job { lease: None, ..job }).await.ok();
            return Outcome::Skipped(SkipReason::JobFinished);
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
            return self.after_write_error(delivery, e);
        }
        info!(attempt = delivery.receive_count, kind = ?message.kind, "Job claimed.");
        self.observe_claim(delivery);
        let heartbeat = handle.spawn_heartbeat(self.ports.queue.clone(), delivery.receipt.clone(), self.config.lease);
        let result = run_stages(self, &handle, deadline).await;
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
                        self.ports.callbacks.job_finished(&job).await;
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
                    Err(HandleError::Finished) => return Outcome::Skipped(SkipReason::JobFinished),
                    // The message still comes back; the record shows the error on a later write.
                    Err(e) => warn!(error = %e, "Could not record the transient error on the job."),
                    Ok(_) => {}
                }
                self.retry_later(delivery, err.code, &err.message)
            }
            Err(StepError::Lost(why)) => {
                warn!(?why, "Stopped: the job is no longer ours.");
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
        match self.ports.queue.send(&message, Duration::ZERO).await {
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
        if !err.code.is_input_error() {
            let alert = Alert::for_job(&job, &err, "the pipeline failed permanently; see the job's logs");
            if let Err(e) = self.ports.alerts.notify(&alert).await {
                warn!(error = %e, "Alert not sent.");
            }
        }
        self.ports.callbacks.job_finished(&job).await;
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

    /// The last write of a delivery: `change`, plus the delivery's compute and requests so
    /// far added to the job's cost and priced. A write that hands over to a continuation also
    /// pays for the continuation message sent right after it. Without a meter, a plain update.
    pub(crate) async fn settle(&self, handle: &JobHandle, change: impl Fn(&mut Job)) -> Result<Job, HandleError> {
        let Some(meter) = &self.meter else {
            return handle.update(change).await;
        };
        let before = handle.snapshot().await;
        let mut used = meter.take(&before);
        let mut after = before.clone();
        change(&mut after);
        if after.continuations > before.continuations {
            used.requests.queue += 1;
        }
        let settings = meter.settings();
        let written = handle
            .update(|j| {
                change(j);
                j.cost.add(&used, settings);
            })
            .await;
        if written.is_ok() {
            meter.settled();
        }
        written
    }
}
