//! Minimal domain values for tests. Every call returns fresh ids and keys, so fixtures can
//! be used against a shared backend without colliding with another run. PDFs are built in
//! the submodules: [`pdf`] (the one writer) and [`drawings`] (whole synthetic drawings).

use chrono::{Duration, Utc};
use drawings_core::ports::Alert;
use drawings_core::{ErrorCode, Job, JobError, JobId, JobInput, JobStatus, Lease, PageProgress, Stage, Usage};

/// `{prefix}-{32 random hex}`: a name no other run will pick.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A freshly accepted job (queued, version 0, no idempotency key), expiring in 30 days.
pub fn sample_job() -> Job {
    let id = JobId::generate();
    let input = JobInput {
        blob_key: id.files().input(),
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        bytes: 1234,
        file_name: None,
        client_name: None,
        project_name: None,
        callback_url: None,
    };
    Job::new(id, input, None, Utc::now(), Duration::days(30))
}

/// [`sample_job`] with an idempotency key.
pub fn sample_job_with_key(key: &str) -> Job {
    Job {
        idempotency_key: Some(key.to_owned()),
        ..sample_job()
    }
}

/// A job with every optional field set, for round-trip checks: an adapter that drops or
/// mangles a field shows up here, not in production.
pub fn full_job() -> Job {
    let mut job = sample_job_with_key(&unique("idem"));
    let now = Utc::now();
    job.status = JobStatus::Processing;
    job.current_stage = Some(Stage::DrawingAnalysis);
    job.stages_completed = vec![Stage::Validation, Stage::PdfProcessing];
    job.progress = PageProgress {
        done: vec![0, 2],
        total: 3,
    };
    job.attempts = 2;
    job.continuations = 1;
    job.input.file_name = Some("Level 1 – security.pdf".into());
    job.input.client_name = Some("Acme".into());
    job.input.project_name = Some("Tower B".into());
    job.warnings = vec![drawings_core::Warning::page(
        drawings_core::warning::NO_LEGEND_FOUND,
        2,
        "No legend on page 2.",
    )];
    job.usage = Usage {
        input_tokens: 12_345,
        output_tokens: 678,
        usd: 0.0123,
    };
    let requests = drawings_core::cost::RequestCounts::at_intake(&job);
    let used = drawings_core::cost::Measured {
        compute_seconds: 1.25,
        requests,
    };
    job.cost.add(&used, &drawings_core::cost::CostSettings::default());
    job.result_keys = vec![job.id.files().result(drawings_core::ResultFile::Components)];
    job.error = Some(JobError {
        code: ErrorCode::ServiceUnavailable,
        message: "analyzer timed out; will retry".into(),
        stage: Some(Stage::DrawingAnalysis),
        retryable: true,
    });
    job.lease = Some(Lease {
        owner: "worker-a".into(),
        until: now + Duration::seconds(90),
    });
    job
}

/// A typical alert from the dead-letter processor.
pub fn sample_alert() -> Alert {
    Alert {
        job_id: JobId::generate(),
        client_name: Some("Acme".into()),
        file_name: Some("drawing.pdf".into()),
        stage: Some(Stage::DrawingAnalysis),
        code: ErrorCode::RetriesExhausted,
        message: "the job was received 3 times without finishing".into(),
        attempts: 3,
        hint: "look at the processor logs for this job_id".into(),
    }
}

/// Synthetic PDF drawings and their expected components (`fixtures/` of the workspace).
pub mod drawings;
pub mod pdf;
