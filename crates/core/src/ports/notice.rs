//! `CompletionNotifier`: tells a job's client that the job is finished (the per-job
//! `callback_url`). The core calls it once per terminal transition, right after the write
//! that made the job terminal, by whoever made it: the processor (completed, failed), the
//! dead-letter handler (failed) and the cancel service (cancelled). A write that found the
//! job already finished elsewhere sends nothing, so each transition is announced once.
//!
//! Delivery is the adapter's business and never the caller's problem: it returns no error,
//! and an adapter must not hold the pipeline up (it delivers in the background, or within a
//! short bounded budget where background work cannot outlive the call, as on Lambda).

use crate::job::{Job, JobStatus};
use async_trait::async_trait;

/// Announces finished jobs.
#[async_trait]
pub trait CompletionNotifier: Send + Sync {
    /// `job` (as stored by the terminal write) is finished. Jobs without a `callback_url` are
    /// ignored by the adapter.
    async fn job_finished(&self, job: &Job);
}

/// Sends nothing: the notifier when no callback secret is configured, and in tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotices;

#[async_trait]
impl CompletionNotifier for NoNotices {
    async fn job_finished(&self, _job: &Job) {}
}

/// The event name of a terminal status (`job.completed`, `job.failed`, `job.cancelled`);
/// `None` while the job is still live.
pub fn event_name(status: JobStatus) -> Option<&'static str> {
    match status {
        JobStatus::Completed => Some("job.completed"),
        JobStatus::Failed => Some("job.failed"),
        JobStatus::Cancelled => Some("job.cancelled"),
        JobStatus::Queued | JobStatus::Processing => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_terminal_statuses_have_an_event_name() {
        assert_eq!(event_name(JobStatus::Completed), Some("job.completed"));
        assert_eq!(event_name(JobStatus::Failed), Some("job.failed"));
        assert_eq!(event_name(JobStatus::Cancelled), Some("job.cancelled"));
        assert_eq!(event_name(JobStatus::Queued), None);
        assert_eq!(event_name(JobStatus::Processing), None);
    }
}
