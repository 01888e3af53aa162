//! [`DeadLetters`]: what operators do with dead letters (`drawings dlq`), on any backend.
//!
//! A dead letter is a job with a [`DeadLetterRecord`], listed through
//! `JobStore::list(dead_lettered)`. Every operation first lets [`DeadLetters::drain`] turn
//! messages still waiting on the dead-letter queue (its consumer disabled or failing) into
//! records, through the same [`DeadLetterHandler`] the consumer runs.
//!
//! A redrive is three writes in an order that never loses a job:
//! 1. the job goes back to `queued` (error, lease and attempts reset; stages, pages and stored
//!    analyses kept, so it resumes from its last checkpoint), its record **kept**;
//! 2. a [`MessageKind::Redrive`] message goes to the work queue;
//! 3. the record is cleared.
//!
//! A crash after 1 leaves a queued job still listed, and running the redrive again sends its
//! message; a crash after 2 leaves at most a duplicate message, which the processor's lease and
//! terminal checks absorb.

use super::{DeadLetterHandler, DeadLetterOutcome};
use crate::error::{ErrorCode, StoreError};
use crate::job::{DeadLetterRecord, Failure, Job, JobId, JobStatus, Stage};
use crate::ports::{Decision, JobQuery, JobQueue, MessageKind, Ports, QueueMessage};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Messages taken from the dead-letter queue per receive (the SQS maximum).
const DRAIN_BATCH: u32 = 10;
/// How long a drained message stays hidden; one the handler could not take comes back after.
const DRAIN_VISIBILITY: Duration = Duration::from_secs(30);
/// Receives per drain at most, so that a queue refilled as fast as it drains cannot hold the
/// command forever.
const MAX_DRAIN_BATCHES: usize = 1000;

/// Which dead letters an operation works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// One job (an error when it is not dead-lettered).
    Job(JobId),
    /// Every dead letter.
    All,
    /// Dead letters taken by the handler at least this long ago.
    OlderThan(chrono::Duration),
}

/// What [`DeadLetters::drain`] did with the messages on the dead-letter queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Messages that became records (their jobs marked failed, alerts sent), then deleted.
    pub recorded: usize,
    /// Messages with nothing to do (job finished, unknown or message undecodable), deleted.
    pub already_handled: usize,
    /// Messages the handler could not take now, left to come back, with the reason.
    pub failed: Vec<String>,
}

/// One dead letter, as `drawings dlq list` shows it (the same on every backend).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterEntry {
    /// The job.
    pub job_id: JobId,
    /// `input.client_name`.
    pub client: Option<String>,
    /// The job's status (`failed`; `queued` when a redrive stopped halfway).
    pub status: JobStatus,
    /// The stage it was given up in.
    pub stage: Option<Stage>,
    /// The job's error code (`RETRIES_EXHAUSTED`).
    pub code: Option<ErrorCode>,
    /// The last failure before it: the cause.
    pub cause: Option<ErrorCode>,
    /// That failure's message.
    pub cause_message: Option<String>,
    /// Receives of the message before it moved to the dead-letter queue.
    pub receive_count: u32,
    /// The first failure since the previous dead letter (or ever).
    pub first_failure_at: Option<DateTime<Utc>>,
    /// The last failure before the handler took the message.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// When the handler took the message.
    pub dead_at: DateTime<Utc>,
    /// Seconds since `dead_at`.
    pub age_secs: i64,
}

impl DeadLetterEntry {
    /// The entry of a dead-lettered job; `None` when the job has no record.
    pub fn from_job(job: &Job, now: DateTime<Utc>) -> Option<Self> {
        let record = job.dead_letter.as_ref()?;
        let episode = episode(&job.failures);
        let cause = episode.last();
        Some(DeadLetterEntry {
            job_id: job.id.clone(),
            client: job.input.client_name.clone(),
            status: job.status,
            stage: job.error.as_ref().and_then(|e| e.stage).or(job.current_stage),
            code: job.error.as_ref().map(|e| e.code),
            cause: cause.map(|f| f.error.code),
            cause_message: cause.map(|f| f.error.message.clone()),
            receive_count: record.receive_count,
            first_failure_at: episode.first().map(|f| f.at),
            last_failure_at: record.last_failure_at.or(cause.map(|f| f.at)),
            dead_at: record.dead_at,
            age_secs: (now - record.dead_at).num_seconds().max(0),
        })
    }
}

/// The failures of the dead message's deliveries: those after the previous
/// `RETRIES_EXHAUSTED`, without the final one.
fn episode(failures: &[Failure]) -> &[Failure] {
    let exhausted = |f: &Failure| f.error.code == ErrorCode::RetriesExhausted;
    let end = match failures.last() {
        Some(last) if exhausted(last) => failures.len() - 1,
        _ => failures.len(),
    };
    let head = &failures[..end];
    let start = head.iter().rposition(exhausted).map_or(0, |i| i + 1);
    &head[start..]
}

/// What a redrive does to one job, decided from its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedriveAction {
    /// Requeue the job, send a redrive message, clear the record.
    Redrive,
    /// An earlier redrive stopped after requeueing: send the message again, clear the record.
    Resume,
    /// The job moved on since an earlier redrive (running, finished, or failed for another
    /// reason): only clear the record.
    ClearRecord,
}

/// What [`DeadLetters::redrive`] did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedriveOutcome {
    /// The job.
    pub job_id: JobId,
    /// What was done.
    pub action: RedriveAction,
    /// The job's status before.
    pub status: JobStatus,
    /// `false` on a dry run: nothing was written or sent.
    pub applied: bool,
    /// The id of the message sent, if one was.
    pub message_id: Option<String>,
}

/// What [`DeadLetters::purge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeOutcome {
    /// The record is gone; the job stays as it was (failed).
    Purged,
    /// A redrive of this job stopped halfway (the job is queued, its message perhaps never
    /// sent): purging would lose it, so it was left for `redrive` to finish.
    RedriveUnfinished,
}

/// Dead-letter operations over a stack's ports and its dead-letter queue.
pub struct DeadLetters {
    ports: Ports,
    queue: Arc<dyn JobQueue>,
    handler: DeadLetterHandler,
    drain_wait: Duration,
}

impl DeadLetters {
    /// Operations on `ports`' jobs; `dead_letter_queue` is drained first.
    pub fn new(ports: Ports, dead_letter_queue: Arc<dyn JobQueue>) -> Self {
        DeadLetters {
            handler: DeadLetterHandler::new(ports.clone()),
            ports,
            queue: dead_letter_queue,
            drain_wait: Duration::ZERO,
        }
    }

    /// How long each drain receive waits for messages (default none; SQS's short receives
    /// sample only some servers, so a second of long polling finds every message).
    pub fn with_drain_wait(mut self, wait: Duration) -> Self {
        self.drain_wait = wait;
        self
    }

    /// Takes every message waiting on the dead-letter queue through the dead-letter handler,
    /// deleting each only after the handler succeeded, so each becomes a record.
    pub async fn drain(&self) -> Result<DrainReport, StoreError> {
        let mut report = DrainReport::default();
        for _ in 0..MAX_DRAIN_BATCHES {
            let batch = self
                .queue
                .receive(DRAIN_BATCH, DRAIN_VISIBILITY, self.drain_wait)
                .await?;
            if batch.is_empty() {
                break;
            }
            for delivery in batch {
                match self.handler.handle(&delivery).await {
                    Ok(outcome) => {
                        self.queue.delete(&delivery.receipt).await?;
                        match outcome {
                            DeadLetterOutcome::MarkedFailed => report.recorded += 1,
                            DeadLetterOutcome::AlreadyHandled => report.already_handled += 1,
                        }
                    }
                    Err(e) => report.failed.push(format!("message {}: {e}", delivery.message_id)),
                }
            }
        }
        Ok(report)
    }

    /// The dead-lettered jobs a selection names, oldest dead letter first.
    pub async fn select(&self, selection: &Selection, now: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        let mut jobs = match selection {
            Selection::Job(id) => {
                let job = self.ports.jobs.get(id).await?;
                if job.dead_letter.is_none() {
                    return Err(not_listed(id));
                }
                vec![job]
            }
            Selection::All | Selection::OlderThan(_) => {
                let query = JobQuery {
                    dead_lettered: true,
                    ..JobQuery::default()
                };
                self.ports.jobs.list(&query).await?
            }
        };
        if let Selection::OlderThan(age) = selection {
            jobs.retain(|j| j.dead_letter.as_ref().is_some_and(|r| r.dead_at <= now - *age));
        }
        jobs.sort_by_key(|j| j.dead_letter.as_ref().map(|r| r.dead_at));
        Ok(jobs)
    }

    /// Every dead letter, oldest first.
    pub async fn list(&self, now: DateTime<Utc>) -> Result<Vec<DeadLetterEntry>, StoreError> {
        let jobs = self.select(&Selection::All, now).await?;
        Ok(jobs.iter().filter_map(|j| DeadLetterEntry::from_job(j, now)).collect())
    }

    /// A job's record, dead-lettered or not.
    pub async fn show(&self, id: &JobId) -> Result<Job, StoreError> {
        self.ports.jobs.get(id).await
    }

    /// Redrives one dead letter (see the module docs for the order of the writes); with
    /// `dry_run`, only says what it would do.
    pub async fn redrive(&self, id: &JobId, dry_run: bool) -> Result<RedriveOutcome, StoreError> {
        let (_, planned) = self
            .ports
            .jobs
            .modify(id, |job| {
                let Some(record) = job.dead_letter.clone() else {
                    return Decision::Keep(None);
                };
                let (action, status) = (plan(job), job.status);
                if dry_run || action != RedriveAction::Redrive {
                    return Decision::Keep(Some((record, action, status)));
                }
                job.status = JobStatus::Queued;
                job.error = None;
                job.lease = None;
                job.attempts = 0;
                Decision::Write(Some((record, action, status)))
            })
            .await?;
        let Some((record, action, status)) = planned else {
            return Err(not_listed(id));
        };
        let mut outcome = RedriveOutcome {
            job_id: id.clone(),
            action,
            status,
            applied: !dry_run,
            message_id: None,
        };
        if dry_run {
            return Ok(outcome);
        }
        if action != RedriveAction::ClearRecord {
            let message = QueueMessage {
                job_id: id.clone(),
                kind: MessageKind::Redrive,
            };
            outcome.message_id = Some(self.ports.queue.send(&message, Duration::ZERO).await?);
        }
        // A changed record is a newer dead letter of the same job: it stays listed.
        self.clear_record(id, &record).await?;
        Ok(outcome)
    }

    /// Forgets one dead letter: the job stays failed, its record is cleared.
    pub async fn purge(&self, id: &JobId) -> Result<PurgeOutcome, StoreError> {
        let (_, purged) = self
            .ports
            .jobs
            .modify(id, |job| {
                if job.dead_letter.is_none() {
                    return Decision::Keep(None);
                }
                // A redrive still under way keeps its record until the job finishes.
                if job.status == JobStatus::Queued {
                    return Decision::Keep(Some(PurgeOutcome::RedriveUnfinished));
                }
                job.dead_letter = None;
                Decision::Write(Some(PurgeOutcome::Purged))
            })
            .await?;
        purged.ok_or_else(|| not_listed(id))
    }

    /// Clears `record` from the job if it is still the job's record: a changed record (another
    /// operator, or a newer dead letter of the job) stays.
    async fn clear_record(&self, id: &JobId, record: &DeadLetterRecord) -> Result<(), StoreError> {
        self.ports
            .jobs
            .modify(id, |job| {
                if job.dead_letter.as_ref() != Some(record) {
                    return Decision::Keep(());
                }
                job.dead_letter = None;
                Decision::Write(())
            })
            .await?;
        Ok(())
    }
}

/// What a redrive does to a dead-lettered job in its present state.
fn plan(job: &Job) -> RedriveAction {
    let exhausted = job
        .error
        .as_ref()
        .is_some_and(|e| e.code == ErrorCode::RetriesExhausted);
    match job.status {
        JobStatus::Failed if exhausted => RedriveAction::Redrive,
        JobStatus::Queued => RedriveAction::Resume,
        _ => RedriveAction::ClearRecord,
    }
}

fn not_listed(id: &JobId) -> StoreError {
    StoreError::not_found(format!("dead letter for job {id}"))
}
