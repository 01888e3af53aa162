//! `Notifier`: alerts for operators.

use crate::error::{ErrorCode, StoreError};
use crate::job::{JobId, Stage};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One alert about one failed job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The job.
    pub job_id: JobId,
    /// The client label, if any.
    pub client_name: Option<String>,
    /// The uploaded file name, if any.
    pub file_name: Option<String>,
    /// The stage that failed.
    pub stage: Option<Stage>,
    /// Stable error code.
    pub code: ErrorCode,
    /// What happened.
    pub message: String,
    /// How many deliveries were tried.
    pub attempts: u32,
    /// What an operator should look at.
    pub hint: String,
}

impl Alert {
    /// The alert for `job`, failed with `err`; `hint` says what an operator should look at.
    pub fn for_job(job: &crate::Job, err: &crate::JobError, hint: &str) -> Alert {
        Alert {
            job_id: job.id.clone(),
            client_name: job.input.client_name.clone(),
            file_name: job.input.file_name.clone(),
            stage: err.stage.or(job.current_stage),
            code: err.code,
            message: err.message.clone(),
            attempts: job.attempts,
            hint: hint.to_owned(),
        }
    }
}

/// Sends alerts. Delivery is best effort; callers log a failure and carry on.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one alert.
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError>;
}
