//! Dead letters: a message that used up its receives means the job could not be finished.
//!
//! [`DeadLetterHandler`] is the dead-letter queue's consumer (the embedded DLQ worker, the
//! `dlq` Lambda): it marks the job failed with the reason, keeps a [`DeadLetterRecord`] on the
//! job and alerts once; a second copy of the same dead letter finds the job already failed and
//! does nothing. The caller then deletes the message: the record, not the message, is what
//! operators list, inspect, redrive and purge through [`DeadLetters`] (`drawings dlq`).

mod age;
#[cfg(test)]
mod memory;
mod ops;
#[cfg(test)]
mod tests;

pub use age::parse_age;
pub use ops::{DeadLetterEntry, DeadLetters, DrainReport, PurgeOutcome, RedriveAction, RedriveOutcome, Selection};

use crate::error::{ErrorClass, ErrorCode, JobError, StoreError};
use crate::job::{DeadLetterRecord, Job, JobStatus};
use crate::ports::{Alert, Decision, Delivery, Ports};
use chrono::Utc;
use tracing::{error, warn};

/// What happened to a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterOutcome {
    /// The job was marked failed and an alert sent.
    MarkedFailed,
    /// The job was already finished (or unknown, or the message undecodable): nothing to do.
    AlreadyHandled,
}

/// Handles messages from the dead-letter queue.
pub struct DeadLetterHandler {
    ports: Ports,
}

impl DeadLetterHandler {
    /// A handler.
    pub fn new(ports: Ports) -> Self {
        DeadLetterHandler { ports }
    }

    /// Marks the job failed and alerts. An `Err` is transient: leave the message for later.
    pub async fn handle(&self, delivery: &Delivery) -> Result<DeadLetterOutcome, StoreError> {
        let Ok(message) = delivery.message() else {
            error!(message_id = %delivery.message_id, body = %delivery.body, "Undecodable dead letter dropped.");
            return Ok(DeadLetterOutcome::AlreadyHandled);
        };
        // A concurrent writer makes `modify` read again and decide again.
        let marked = self
            .ports
            .jobs
            .modify(&message.job_id, |job| {
                if job.status.is_terminal() {
                    return Decision::Keep(None);
                }
                Decision::Write(Some(mark_failed(job, delivery)))
            })
            .await;
        let (stored, err) = match marked {
            Ok((stored, Some(err))) => (stored, err),
            Ok((_, None)) => return Ok(DeadLetterOutcome::AlreadyHandled),
            Err(e) if e.class() == ErrorClass::NotFound => {
                warn!(job_id = %message.job_id, "Dead letter for an unknown job.");
                return Ok(DeadLetterOutcome::AlreadyHandled);
            }
            Err(e) => return Err(e),
        };
        error!(job_id = %stored.id, code = %err.code, "Job moved to the dead-letter queue and marked failed.");
        let hint = format!(
            "inspect it with `drawings dlq show {id}`; once the cause is fixed, \
             `drawings dlq redrive --job {id}` resumes it from its last checkpoint",
            id = stored.id
        );
        let alert = Alert::for_job(&stored, &err, &hint);
        if let Err(e) = self.ports.alerts.notify(&alert).await {
            warn!(job_id = %stored.id, error = %e, "Alert not sent.");
        }
        self.ports.callbacks.job_finished(&stored).await;
        Ok(DeadLetterOutcome::MarkedFailed)
    }
}

/// Marks `job` failed for good by the dead letter `delivery`, recording where it was and
/// why; the error it failed with comes back.
fn mark_failed(job: &mut Job, delivery: &Delivery) -> JobError {
    let reason = match &job.error {
        Some(last) => format!("last error {}: {}", last.code, last.message),
        None => "the worker stopped each time without reporting an error (crash, timeout or out of memory)".into(),
    };
    let err = JobError {
        code: ErrorCode::RetriesExhausted,
        message: format!(
            "gave up after {} deliveries over {} attempts, first sent {}; {reason}",
            delivery.receive_count.saturating_sub(1).max(1),
            job.attempts,
            delivery.sent_at.to_rfc3339()
        ),
        stage: job.current_stage,
        retryable: true,
    };
    let now = Utc::now();
    job.dead_letter = Some(DeadLetterRecord {
        message_body: delivery.body.clone(),
        message_id: delivery.message_id.clone(),
        receive_count: delivery.receive_count.saturating_sub(1).max(1),
        first_sent_at: delivery.sent_at,
        last_failure_at: job.failures.last().map(|f| f.at),
        dead_at: now,
    });
    job.end(JobStatus::Failed, err.clone(), now);
    err
}
