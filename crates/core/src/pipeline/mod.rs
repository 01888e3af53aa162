//! The processor: claims a job for one queue delivery, runs every stage not yet completed,
//! checkpoints after each stage and page, and says what to do with the message.
//!
//! Error handling is by class: a permanent failure fails the job with a code and acks the
//! message; a transient one leaves the message to come back (after a backoff), until the
//! queue's redrive policy moves it to the dead-letter queue. Near the deadline the processor
//! checkpoints, sends a continuation message and acks.
//!
//! The rooms: `delivery.rs` claims a job and ends the delivery (finish, fail, continue,
//! retry); `stages/` holds one file per stage over a shared context; `failure.rs` maps port
//! errors to retry or fail; `handle.rs` writes the leased job; `budget.rs` and
//! `job_budget.rs` are the invocation's and the job's time; `meter.rs` and `observe.rs` the
//! delivery's cost and metrics.

mod budget;
mod config;
mod delivery;
mod failure;
mod handle;
mod job_budget;
mod meter;
mod observe;
mod offline;
mod page_parts;
mod stages;

pub use budget::Budget;
pub use config::PipelineConfig;
pub use failure::SkipReason;
pub use handle::{HandleError, JobHandle};
pub use job_budget::JobBudget;

use crate::error::{ErrorCode, StoreError};
use crate::ports::{Analyzer, Delivery, JobQueue, Metrics, NoMetrics, PdfEngine, Ports};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{Instrument, error, error_span};

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
    /// Nothing to do, or no longer ours to do.
    Skipped(SkipReason),
}

/// Who deletes the message of a delivery that is done with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledge {
    /// The worker deletes it (the embedded worker).
    Delete,
    /// The event source deletes every message the batch does not report failed (Lambda).
    ByEventSource,
}

impl Outcome {
    /// Whether the message is done with (deleted), rather than left to come back.
    pub fn is_done(&self) -> bool {
        !matches!(self, Outcome::Retrying { .. })
    }

    /// Settles the delivery's message on `queue`, the one policy every worker applies: a
    /// retry hides it for its backoff; any other outcome is acknowledged. A failure to settle
    /// loses nothing: the message reappears when its visibility lapses, and the pipeline's
    /// checkpoints make that redelivery cheap.
    pub async fn settle(&self, queue: &dyn JobQueue, delivery: &Delivery, ack: Acknowledge) -> Result<(), StoreError> {
        match (self, ack) {
            (Outcome::Retrying { after, .. }, _) => queue.set_visibility(&delivery.receipt, *after).await,
            (_, Acknowledge::Delete) => queue.delete(&delivery.receipt).await,
            (_, Acknowledge::ByEventSource) => Ok(()),
        }
    }
}

/// Runs jobs.
#[derive(Clone)]
pub struct Processor {
    pub(crate) ports: Ports,
    pub(crate) pdf: Arc<dyn PdfEngine>,
    pub(crate) analyzer: Arc<dyn Analyzer>,
    pub(crate) reference: Option<Arc<dyn Analyzer>>,
    pub(crate) config: PipelineConfig,
    pub(crate) metrics: Arc<dyn Metrics>,
    /// Set on the per-delivery copy (see `delivery.rs`).
    pub(crate) meter: Option<Arc<meter::DeliveryMeter>>,
}

impl Processor {
    /// A processor; `reference` is the deterministic analyzer the evaluation stage checks
    /// `analyzer` against (none: evaluation records that it was skipped).
    pub fn new(
        ports: Ports,
        pdf: Arc<dyn PdfEngine>,
        analyzer: Arc<dyn Analyzer>,
        reference: Option<Arc<dyn Analyzer>>,
        config: PipelineConfig,
    ) -> Self {
        Processor {
            ports,
            pdf,
            analyzer,
            reference,
            config,
            metrics: Arc::new(NoMetrics),
            meter: None,
        }
    }

    /// This processor, recording its metrics into `metrics` (the default records nothing).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Handles one delivery, working until `deadline` at most. The caller then settles the
    /// message with [`Outcome::settle`].
    pub async fn handle(&self, delivery: &Delivery, deadline: Instant) -> Outcome {
        let message = match delivery.message() {
            Ok(m) => m,
            Err(e) => {
                error!(message_id = %delivery.message_id, error = %e, "Undecodable queue message dropped.");
                return Outcome::Skipped(SkipReason::UndecodableMessage);
            }
        };
        let span = error_span!("job", job_id = %message.job_id, message_id = %delivery.message_id, receive_count = delivery.receive_count);
        let this = self.for_delivery();
        this.handle_message(delivery, message, deadline).instrument(span).await
    }
}
