//! The job record: the single source of truth for a job's state, kept small (DynamoDB caps
//! items at 400 KB), with every output stored in blobs and only referenced here.

use crate::error::JobError;
pub use crate::stage::Stage;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An unguessable job identifier (122 random bits, 32 lowercase hex characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// A fresh random id.
    pub fn generate() -> Self {
        JobId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Parses an id received from a client; `None` when it cannot be one of ours, so a
    /// malformed id is a plain 404 and never reaches a backend as a key.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| JobId(s.to_owned()))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lifecycle of a job. `completed`, `failed` and `cancelled` are terminal.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (first time, or after a transient failure).
    Queued,
    /// A worker holds the lease and is running stages.
    Processing,
    /// Every stage finished; results are in blobs.
    Completed,
    /// Failed with a code; see `error`.
    Failed,
    /// Cancelled by a client or an operator.
    Cancelled,
}

impl JobStatus {
    /// Whether the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// The status as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

/// Who may process the job until when. Two deliveries of one job never run at once: the
/// second sees an unexpired lease owned by someone else and stands back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The worker that holds it.
    pub owner: String,
    /// When it lapses if not renewed.
    pub until: DateTime<Utc>,
}

/// The uploaded drawing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInput {
    /// Where the PDF is in blobs.
    pub blob_key: String,
    /// Hex sha256 of the bytes; an idempotent retry must match it.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The client's file name, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Optional client label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// Optional project label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Where the completion notice is POSTed once the job is finished (validated at intake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// Model usage and its price, summed over the job.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens (including cached).
    pub input_tokens: u64,
    /// Candidate and thought tokens.
    pub output_tokens: u64,
    /// Price in US dollars at the configured rates.
    pub usd: f64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
        self.usd += rhs.usd;
    }
}

/// Progress inside the current per-page stage. `done` lists finished pages (0-based) so a
/// resumed run skips exactly those, even when pages finish out of order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageProgress {
    /// Pages finished in the current stage, sorted.
    pub done: Vec<u32>,
    /// Pages in the document (0 before validation).
    pub total: u32,
}

impl PageProgress {
    /// Marks a page finished; keeps `done` sorted and free of duplicates.
    pub fn mark_done(&mut self, page: u32) {
        if let Err(at) = self.done.binary_search(&page) {
            self.done.insert(at, page);
        }
    }

    /// Whether a page is finished.
    pub fn is_done(&self, page: u32) -> bool {
        self.done.binary_search(&page).is_ok()
    }
}

/// The job record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unguessable id.
    pub id: JobId,
    /// Bumped by every write; writes are conditional on it.
    pub version: u64,
    /// Lifecycle status.
    pub status: JobStatus,
    /// The stage running now (or that failed), if any.
    pub current_stage: Option<Stage>,
    /// Stages finished, in order; a retry never runs these again.
    pub stages_completed: Vec<Stage>,
    /// Pages finished inside the current per-page stage.
    pub progress: PageProgress,
    /// How many times a worker claimed the job for a delivery (not counting continuations).
    pub attempts: u32,
    /// How many times a worker stopped near its deadline and handed over to a new message.
    pub continuations: u32,
    /// When the job was accepted.
    pub created_at: DateTime<Utc>,
    /// Last write.
    pub updated_at: DateTime<Utc>,
    /// When the record and its blobs may be deleted (TTL).
    pub expires_at: DateTime<Utc>,
    /// The uploaded drawing.
    pub input: JobInput,
    /// The client's `Idempotency-Key`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Model usage so far.
    #[serde(default)]
    pub usage: Usage,
    /// Compute and requests used so far, priced ([`crate::cost`]).
    #[serde(default)]
    pub cost: crate::cost::JobCost,
    /// Blob keys of the results, once written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result_keys: Vec<String>,
    /// Why the job failed (terminal), or the last transient error while it is retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    /// Current lease, if a worker holds or held one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// Every failure recorded while the job was retried, oldest first (the latest [`MAX_FAILURES_KEPT`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Set while the job sits in the dead-letter list (its receives are used up); cleared by a redrive or a purge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<DeadLetterRecord>,
    /// What the user should know about the result (the first [`crate::warning::MAX_JOB_WARNINGS`];
    /// `components.json` has them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::Warning>,
}

/// Why and when a job's message was given up on, kept on the job so operators can list,
/// inspect and redrive dead letters on any backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterRecord {
    /// The dead message's body, as it was on the queue.
    pub message_body: String,
    /// Its id on the dead-letter queue.
    pub message_id: String,
    /// Receives of the message before it moved (`ApproximateReceiveCount`).
    pub receive_count: u32,
    /// When the message was first sent (the first failure cannot be earlier).
    pub first_sent_at: DateTime<Utc>,
    /// When the last error was recorded on the job, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<DateTime<Utc>>,
    /// When the dead-letter handler took it.
    pub dead_at: DateTime<Utc>,
}

/// One failure of one attempt, kept in [`Job::failures`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The attempt it ended.
    pub attempt: u32,
    /// What went wrong.
    pub error: JobError,
}

/// Failures kept per job: enough to see a pattern, bounded so the record stays small.
pub const MAX_FAILURES_KEPT: usize = 20;

impl Job {
    /// Records `error` as the current error and in the failure history.
    pub fn record_failure(&mut self, error: JobError, at: DateTime<Utc>) {
        self.failures.push(Failure {
            at,
            attempt: self.attempts,
            error: error.clone(),
        });
        if self.failures.len() > MAX_FAILURES_KEPT {
            let excess = self.failures.len() - MAX_FAILURES_KEPT;
            self.failures.drain(..excess);
        }
        self.error = Some(error);
    }

    /// The job ends as `status` (failed or cancelled) with `error`: the error recorded, the
    /// lease dropped.
    pub fn end(&mut self, status: JobStatus, error: JobError, at: DateTime<Utc>) {
        debug_assert!(status.is_terminal());
        self.status = status;
        self.record_failure(error, at);
        self.lease = None;
    }

    /// A new queued job for an uploaded drawing.
    pub fn new(id: JobId, input: JobInput, idempotency_key: Option<String>, now: DateTime<Utc>, ttl: Duration) -> Self {
        Job {
            id,
            version: 0,
            status: JobStatus::Queued,
            current_stage: None,
            stages_completed: Vec::new(),
            progress: PageProgress::default(),
            attempts: 0,
            continuations: 0,
            created_at: now,
            updated_at: now,
            expires_at: now + ttl,
            input,
            idempotency_key,
            usage: Usage::default(),
            cost: crate::cost::JobCost::default(),
            result_keys: Vec::new(),
            error: None,
            lease: None,
            failures: Vec::new(),
            dead_letter: None,
            warnings: Vec::new(),
        }
    }

    /// Whether another worker holds an unexpired lease.
    pub fn leased_by_other(&self, owner: &str, now: DateTime<Utc>) -> bool {
        self.lease.as_ref().is_some_and(|l| l.owner != owner && l.until > now)
    }

    /// Whether a stage has finished.
    pub fn stage_done(&self, stage: Stage) -> bool {
        self.stages_completed.contains(&stage)
    }
}

/// A queued job with placeholder input, for unit tests in this crate.
#[cfg(test)]
pub(crate) fn test_job() -> Job {
    let input = JobInput {
        blob_key: "k".into(),
        sha256: "s".into(),
        bytes: 1,
        file_name: None,
        client_name: None,
        project_name: None,
        callback_url: None,
    };
    Job::new(JobId::generate(), input, None, Utc::now(), Duration::days(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_unique_and_parse_back() {
        let a = JobId::generate();
        let b = JobId::generate();
        assert_ne!(a, b);
        assert_eq!(JobId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn malformed_job_ids_are_rejected() {
        for bad in [
            "",
            "../etc/passwd",
            "ABCDEF0123456789ABCDEF0123456789",
            "123",
            &"a".repeat(33),
        ] {
            assert_eq!(JobId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_progress_keeps_pages_sorted_and_unique() {
        let mut p = PageProgress::default();
        for n in [3, 1, 3, 0] {
            p.mark_done(n);
        }
        assert_eq!(p.done, vec![0, 1, 3]);
        assert!(p.is_done(1) && !p.is_done(2));
    }

    #[test]
    fn lease_held_by_another_worker_blocks_until_it_lapses() {
        let now = Utc::now();
        let mut job = test_job();
        job.lease = Some(Lease {
            owner: "w1".into(),
            until: now + Duration::seconds(30),
        });
        assert!(job.leased_by_other("w2", now));
        assert!(!job.leased_by_other("w1", now));
        assert!(!job.leased_by_other("w2", now + Duration::seconds(31)));
    }
}
