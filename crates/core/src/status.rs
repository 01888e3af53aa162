//! The status view (`GET /status/{job_id}`): what a client polls, derived from the job
//! record alone, with result links once the job has completed.

use crate::cost::{ComputeBasis, RequestCounts};
use crate::error::{JobError, StoreError};
use crate::job::{Job, JobId, JobStatus, Stage, Usage};
use crate::layout::ResultFile;
use crate::ports::BlobStore;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Progress through the pipeline.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// Pages finished in the current per-page stage; all of them once the per-page stages are
    /// behind the job, none before they start.
    pub pages_done: u32,
    /// Pages in the document (0 until validation has run).
    pub pages_total: u32,
    /// 0 to 100 over the whole pipeline.
    pub percent: f64,
    /// 0 to 100 within the current stage (100 once the job is finished).
    pub stage_percent: f64,
}

/// Where the results are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultLinks {
    /// `components.json`.
    pub components: String,
    /// `schedule.xlsx`.
    pub schedule_xlsx: String,
    /// `schedule.csv`.
    pub schedule_csv: String,
}

/// The body of `GET /status/{job_id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// The job.
    pub job_id: JobId,
    /// Lifecycle status.
    pub status: JobStatus,
    /// Stage running now, or the one that failed.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub current_stage: Option<Stage>,
    /// Finished stages.
    pub stages_completed: Vec<Stage>,
    /// Progress.
    pub progress: ProgressView,
    /// Accepted at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Record and files are deleted after this.
    pub expires_at: DateTime<Utc>,
    /// Deliveries that worked on the job.
    pub attempts: u32,
    /// Hand-overs near a deadline.
    pub continuations: u32,
    /// Model usage and price.
    pub usage: Usage,
    /// What the job has cost so far: the model, compute and requests ([`CostView`]).
    pub cost: CostView,
    /// The uploaded file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Result links, once completed.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub result: Option<ResultLinks>,
    /// Why it failed, or the last transient error while it is retried.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<JobError>,
    /// What the user should know about the result: pages without a text layer, OCR used,
    /// no legend found, no devices found; each with a code and what to try.
    pub warnings: Vec<crate::Warning>,
}

/// The schema of a [`JobId`], by hand: the derive does not follow `#[serde(transparent)]`, and
/// the pattern is worth saying.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for JobId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-f]{32}$"))
            .description(Some("A job id: 32 lowercase hex digits."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for JobId {}

/// Percent done: each stage is a fifth, and a per-page stage advances page by page.
pub fn percent(job: &Job) -> f64 {
    if job.status == JobStatus::Completed {
        return 100.0;
    }
    let per_stage = 100.0 / Stage::ALL.len() as f64;
    let mut pct = job.stages_completed.len() as f64 * per_stage;
    if let Some(stage) = job.current_stage
        && stage.is_per_page()
        && !job.stage_done(stage)
        && job.progress.total > 0
    {
        pct += per_stage * job.progress.done.len() as f64 / job.progress.total as f64;
    }
    (pct * 10.0).round() / 10.0
}

/// Pages done as a person reads it: the current per-page stage's count, every page once the
/// per-page stages are done (a completed job read "0 of 4 pages, 100 %" before this).
pub fn pages_done(job: &Job) -> u32 {
    match job.current_stage {
        _ if job.status == JobStatus::Completed => job.progress.total,
        Some(stage) if stage.is_per_page() && !job.stage_done(stage) => job.progress.done.len() as u32,
        _ if job.stage_done(Stage::DrawingAnalysis) => job.progress.total,
        _ => 0,
    }
}

/// Percent of the current stage: by page in a per-page stage, else 0 until it is done.
pub fn stage_percent(job: &Job) -> f64 {
    match job.current_stage {
        _ if job.status == JobStatus::Completed => 100.0,
        Some(stage) if stage.is_per_page() && !job.stage_done(stage) && job.progress.total > 0 => {
            (1000.0 * job.progress.done.len() as f64 / job.progress.total as f64).round() / 10.0
        }
        _ => 0.0,
    }
}

/// Seconds a client should wait before polling again; none once the job is finished.
pub fn retry_after(job: &Job) -> Option<u32> {
    match job.status {
        JobStatus::Queued => Some(5),
        JobStatus::Processing => Some(2),
        _ => None,
    }
}

async fn result_link(job: &Job, blobs: &dyn BlobStore, file: ResultFile, ttl: Duration) -> Result<String, StoreError> {
    let presigned = blobs.presign_get(&job.id.files().result(file), ttl).await?;
    Ok(presigned.unwrap_or_else(|| format!("/results/{}/{}", job.id, file.name())))
}

/// Builds the status view. Result links are presigned URLs where the blob store has them
/// (valid for `link_ttl`), else the API's own `/results/{job_id}/{file}` paths.
pub async fn status_view(job: &Job, blobs: &dyn BlobStore, link_ttl: Duration) -> Result<StatusView, StoreError> {
    let result = if job.status == JobStatus::Completed {
        Some(ResultLinks {
            components: result_link(job, blobs, ResultFile::Components, link_ttl).await?,
            schedule_xlsx: result_link(job, blobs, ResultFile::ScheduleXlsx, link_ttl).await?,
            schedule_csv: result_link(job, blobs, ResultFile::ScheduleCsv, link_ttl).await?,
        })
    } else {
        None
    };
    Ok(StatusView {
        job_id: job.id.clone(),
        status: job.status,
        current_stage: job.current_stage,
        stages_completed: job.stages_completed.clone(),
        progress: ProgressView {
            pages_done: pages_done(job),
            pages_total: job.progress.total,
            percent: percent(job),
            stage_percent: stage_percent(job),
        },
        created_at: job.created_at,
        updated_at: job.updated_at,
        expires_at: job.expires_at,
        attempts: job.attempts,
        continuations: job.continuations,
        usage: job.usage,
        cost: CostView::of(job),
        file_name: job.input.file_name.clone(),
        result,
        error: job.error.clone(),
        warnings: job.warnings.clone(),
    })
}

/// The `cost` of `GET /status`: the model's price from `usage`, plus compute and requests.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    /// Gemini tokens, priced (equal to `usage.usd`).
    pub gemini_usd: f64,
    /// Processor compute.
    pub compute_usd: f64,
    /// Lambda invocations, S3, DynamoDB and SQS requests.
    pub requests_usd: f64,
    /// The sum of the three.
    pub total_usd: f64,
    /// Processor wall time.
    pub compute_seconds: f64,
    /// Memory the compute is priced at, MB.
    pub memory_mb: u32,
    /// `lambda`, or `as_if_lambda` on the embedded server.
    pub basis: ComputeBasis,
    /// Requests by kind.
    pub requests: RequestCounts,
    /// Date of the AWS price table.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub as_of: Option<String>,
}

impl CostView {
    /// The cost of `job` so far.
    pub fn of(job: &Job) -> CostView {
        let c = &job.cost;
        CostView {
            gemini_usd: job.usage.usd,
            compute_usd: c.compute_usd,
            requests_usd: c.requests_usd,
            total_usd: job.usage.usd + c.compute_usd + c.requests_usd,
            compute_seconds: c.compute_seconds,
            memory_mb: c.memory_mb,
            basis: c.basis,
            requests: c.requests,
            as_of: c.as_of.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::test_job as job;

    #[test]
    fn percent_advances_a_fifth_per_stage_and_by_page_inside_per_page_stages() {
        let mut j = job();
        assert_eq!(percent(&j), 0.0);
        j.stages_completed = vec![Stage::Validation];
        j.current_stage = Some(Stage::PdfProcessing);
        j.progress.total = 4;
        j.progress.done = vec![0, 1];
        assert_eq!(percent(&j), 30.0);
        j.status = JobStatus::Completed;
        assert_eq!(percent(&j), 100.0);
    }

    #[test]
    fn pages_and_stage_progress_add_up_before_during_and_after_the_per_page_stages() {
        let mut j = job();
        j.progress.total = 4;
        assert_eq!((pages_done(&j), stage_percent(&j)), (0, 0.0));
        j.stages_completed = vec![Stage::Validation];
        j.current_stage = Some(Stage::PdfProcessing);
        j.progress.done = vec![0];
        assert_eq!((pages_done(&j), stage_percent(&j)), (1, 25.0));
        j.stages_completed = vec![Stage::Validation, Stage::PdfProcessing, Stage::DrawingAnalysis];
        j.current_stage = Some(Stage::ScheduleGeneration);
        j.progress.done = vec![];
        assert_eq!((pages_done(&j), stage_percent(&j)), (4, 0.0));
        j.status = JobStatus::Completed;
        assert_eq!((pages_done(&j), stage_percent(&j), percent(&j)), (4, 100.0, 100.0));
    }

    #[test]
    fn only_unfinished_jobs_ask_clients_to_poll_again() {
        let mut j = job();
        assert!(retry_after(&j).is_some());
        j.status = JobStatus::Failed;
        assert_eq!(retry_after(&j), None);
    }

    #[test]
    fn the_view_totals_gemini_compute_and_requests() {
        let mut job = job();
        job.usage.usd = 0.01;
        job.cost.add(
            &crate::cost::Measured {
                compute_seconds: 2.0,
                requests: RequestCounts::at_intake(&job),
            },
            &crate::cost::CostSettings::default(),
        );
        let view = CostView::of(&job);
        assert_eq!(view.total_usd, view.gemini_usd + view.compute_usd + view.requests_usd);
        assert!(view.compute_usd > 0.0 && view.requests_usd > 0.0);
        assert_eq!(view.basis, ComputeBasis::AsIfLambda);
    }
}
