//! Cancelling a job (`DELETE /jobs/{job_id}`, `drawings cancel`): one conditional write
//! that makes a queued or processing job `cancelled`, with the error `CANCELLED` naming the
//! stage it was in, and clears its lease.
//!
//! The write is conditional on the version, like every other, so it cannot be lost to a
//! worker's checkpoint: a worker whose next write finds the job terminal stops there (its
//! handle answers `Finished`), acknowledges the message and never writes the job again, so
//! a cancelled job stays cancelled. Its outputs stay until the job's TTL deletes them with
//! the record. Cancelling an already-cancelled job is a no-op that answers the same job;
//! a completed or failed one cannot be cancelled.

use crate::error::{ErrorClass, ErrorCode, JobError, StoreError};
use crate::job::{Job, JobId, JobStatus};
use crate::ports::{Decision, JobStore, Ports};
use tracing::info;

/// The error recorded on a cancelled job.
pub const CANCELLED_MESSAGE: &str = "cancelled by the client";

/// Why a job was not cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such job.
    #[error("job not found")]
    NotFound,
    /// The job completed or failed before the cancellation.
    #[error("job {} has already {}", .0.id, .0.status.as_str())]
    Finished(Box<Job>),
    /// The store failed (or kept losing the race); the client may retry.
    #[error(transparent)]
    Store(StoreError),
}

/// A cancelled job.
#[derive(Debug, Clone)]
pub struct Cancellation {
    /// The job as stored.
    pub job: Job,
    /// False when the job was already cancelled (nothing was written).
    pub changed: bool,
}

/// Cancels the job `id` if it is queued or processing.
pub async fn cancel_job(jobs: &dyn JobStore, id: &JobId) -> Result<Cancellation, CancelError> {
    // A worker checkpointing in between makes `modify` read again and decide again.
    let decided = jobs
        .modify(id, |job| match job.status {
            JobStatus::Cancelled => Decision::Keep(Seen::AlreadyCancelled),
            JobStatus::Completed | JobStatus::Failed => Decision::Keep(Seen::Finished),
            JobStatus::Queued | JobStatus::Processing => {
                job.status = JobStatus::Cancelled;
                job.error = Some(JobError {
                    code: ErrorCode::Cancelled,
                    message: CANCELLED_MESSAGE.into(),
                    stage: job.current_stage,
                    retryable: false,
                });
                job.lease = None;
                Decision::Write(Seen::Cancelled)
            }
        })
        .await;
    match decided {
        Ok((job, Seen::Cancelled)) => {
            info!(job_id = %job.id, stage = ?job.current_stage, "Job cancelled.");
            Ok(Cancellation { job, changed: true })
        }
        Ok((job, Seen::AlreadyCancelled)) => Ok(Cancellation { job, changed: false }),
        Ok((job, Seen::Finished)) => Err(CancelError::Finished(Box::new(job))),
        Err(e) if e.class() == ErrorClass::NotFound => Err(CancelError::NotFound),
        Err(e) => Err(CancelError::Store(e)),
    }
}

/// What a cancel found.
enum Seen {
    Cancelled,
    AlreadyCancelled,
    Finished,
}

/// [`cancel_job`], then the completion notice when this call is what cancelled the job.
pub async fn cancel(ports: &Ports, id: &JobId) -> Result<Job, CancelError> {
    let cancellation = cancel_job(ports.jobs.as_ref(), id).await?;
    if cancellation.changed {
        ports.callbacks.job_finished(&cancellation.job).await;
    }
    Ok(cancellation.job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Lease, Stage, test_job};
    use crate::memory::MemoryJobStore;
    use crate::ports::{Created, JobQuery};
    use async_trait::async_trait;
    use chrono::Utc;
    use std::sync::Mutex;

    /// The memory store, where `interfere` has the next read followed at once by a worker's
    /// checkpoint (a page marked done), so the write after it loses the race.
    #[derive(Default)]
    struct MemStore {
        store: MemoryJobStore,
        interfere: Mutex<u32>,
    }

    #[async_trait]
    impl JobStore for MemStore {
        async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
            let snapshot = self.store.get(id).await?;
            let interferes = {
                let mut interfere = self.interfere.lock().unwrap();
                let fires = *interfere > 0;
                *interfere = interfere.saturating_sub(1);
                fires
            };
            if interferes {
                let mut checkpoint = snapshot.clone();
                checkpoint.progress.mark_done(7);
                self.store.update(&checkpoint).await?;
            }
            Ok(snapshot)
        }
        async fn create(&self, job: &Job) -> Result<Created, StoreError> {
            self.store.create(job).await
        }
        async fn update(&self, job: &Job) -> Result<Job, StoreError> {
            self.store.update(job).await
        }
        async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
            self.store.list(query).await
        }
    }

    async fn store_with(job: &Job) -> MemStore {
        let store = MemStore::default();
        store.create(job).await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_processing_job_is_cancelled_with_its_stage_and_loses_its_lease() {
        let mut job = test_job();
        job.status = JobStatus::Processing;
        job.current_stage = Some(Stage::DrawingAnalysis);
        job.lease = Some(Lease {
            owner: "w".into(),
            until: Utc::now(),
        });
        let store = store_with(&job).await;
        let done = cancel_job(&store, &job.id).await.unwrap();
        assert!(done.changed);
        assert_eq!(done.job.status, JobStatus::Cancelled);
        assert_eq!(done.job.lease, None);
        let error = done.job.error.unwrap();
        assert_eq!(
            (error.code, error.message.as_str(), error.stage),
            (ErrorCode::Cancelled, CANCELLED_MESSAGE, Some(Stage::DrawingAnalysis))
        );
    }

    #[tokio::test]
    async fn a_write_that_loses_to_a_checkpoint_reads_again_and_keeps_the_checkpoint() {
        let job = test_job();
        let store = store_with(&job).await;
        *store.interfere.lock().unwrap() = 1;
        let done = cancel_job(&store, &job.id).await.unwrap();
        assert_eq!(done.job.status, JobStatus::Cancelled);
        assert!(done.job.progress.is_done(7), "the checkpoint that won must survive");
    }

    #[tokio::test]
    async fn cancelling_twice_answers_the_same_cancelled_job_without_writing() {
        let job = test_job();
        let store = store_with(&job).await;
        let first = cancel_job(&store, &job.id).await.unwrap();
        let second = cancel_job(&store, &job.id).await.unwrap();
        assert!(!second.changed);
        assert_eq!(second.job.version, first.job.version);
    }

    #[tokio::test]
    async fn finished_and_unknown_jobs_are_not_cancelled() {
        for status in [JobStatus::Completed, JobStatus::Failed] {
            let mut job = test_job();
            job.status = status;
            let store = store_with(&job).await;
            let err = cancel_job(&store, &job.id).await.unwrap_err();
            assert!(
                matches!(&err, CancelError::Finished(j) if j.status == status),
                "{err:?}"
            );
        }
        let store = MemStore::default();
        let err = cancel_job(&store, &JobId::generate()).await.unwrap_err();
        assert!(matches!(err, CancelError::NotFound));
    }
}
