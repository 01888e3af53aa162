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

/// Sends alerts. Delivery is best effort; callers log a failure and carry on.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one alert.
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError>;
}
