//! The one place where a port's error becomes what the pipeline does about it: retry the
//! delivery later (the failure is transient), fail the job (it would fail again), or stop
//! touching a job that is no longer ours. Every mapping goes through [`StepError::of`], so a
//! job's `retryable` has one meaning: the failure was transient, and the same file may
//! succeed when submitted again.

use super::HandleError;
use crate::error::{ErrorClass, ErrorCode, JobError, StoreError};
use crate::job::Stage;
use crate::ports::{AnalyzeError, PdfError};

/// Why the stages stopped early.
pub(crate) enum StepError {
    /// Fail the job: the same delivery would fail again.
    Fail(JobError),
    /// Leave the message to come back later.
    Retry(JobError),
    /// The job is no longer ours (lease lost, finished elsewhere): stop without a write.
    Lost(SkipReason),
}

/// Why a delivery did nothing, or stopped without a write of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The message could not be decoded.
    UndecodableMessage,
    /// No job has the message's id (expired or deleted).
    UnknownJob,
    /// The job had already completed, failed or been cancelled.
    JobFinished,
    /// Another delivery holds the job's lease.
    LeasedElsewhere,
    /// Our lease lapsed and another worker took the job.
    LeaseLost,
}

impl StepError {
    /// The step's error from its class: transient and conflicting failures are retried,
    /// every other class fails the job.
    pub(crate) fn of(class: ErrorClass, code: ErrorCode, message: String, stage: Option<Stage>) -> StepError {
        let retryable = class.is_retryable();
        let err = JobError {
            code,
            message,
            stage,
            retryable,
        };
        if retryable {
            StepError::Retry(err)
        } else {
            StepError::Fail(err)
        }
    }

    /// A store failure: retried when it is transient, else an internal failure of the job.
    pub(crate) fn store(stage: Option<Stage>, e: StoreError) -> StepError {
        let class = e.class();
        let code = if class.is_retryable() {
            ErrorCode::ServiceUnavailable
        } else {
            ErrorCode::Internal
        };
        StepError::of(class, code, e.to_string(), stage)
    }

    /// A PDF engine failure, on `page` when it concerns one.
    pub(crate) fn pdf(stage: Stage, page: Option<u32>, e: PdfError) -> StepError {
        let message = match page {
            Some(p) => format!("page {}: {}", p + 1, e.message),
            None => e.message.clone(),
        };
        StepError::of(e.class(), e.code, message, Some(stage))
    }

    /// An analyzer failure on `page`.
    pub(crate) fn analysis(page: u32, e: AnalyzeError) -> StepError {
        let message = format!("page {}: {}", page + 1, e.message);
        StepError::of(e.class, e.code, message, Some(Stage::DrawingAnalysis))
    }

    /// A bug or an unexpected state: fails the job, never silently.
    pub(crate) fn internal(stage: Stage, message: String) -> StepError {
        StepError::of(ErrorClass::Permanent, ErrorCode::Internal, message, Some(stage))
    }
}

impl From<HandleError> for StepError {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::LeaseLost(_) => StepError::Lost(SkipReason::LeaseLost),
            HandleError::Finished => StepError::Lost(SkipReason::JobFinished),
            HandleError::Store(e) => StepError::store(None, e),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_store_failure_fails_the_job_and_is_not_marked_retryable() {
        let e = StoreError::permanent("sqlite", "table missing");
        let StepError::Fail(err) = StepError::store(Some(Stage::Validation), e) else {
            panic!("a permanent failure must fail the job");
        };
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(!err.retryable);
    }

    #[test]
    fn a_transient_failure_is_retried_and_marked_retryable() {
        let e = AnalyzeError::new(ErrorCode::ModelRateLimited, ErrorClass::Transient, "429");
        let StepError::Retry(err) = StepError::analysis(2, e) else {
            panic!("a transient failure must be retried");
        };
        assert!(err.retryable);
        assert_eq!(err.message, "page 3: 429");
        assert_eq!(err.stage, Some(Stage::DrawingAnalysis));
    }
}
