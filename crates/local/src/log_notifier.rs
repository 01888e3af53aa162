//! [`LogNotifier`]: alerts as one structured `tracing` error line (target
//! `drawings::alert`), for the embedded mode where there is no SNS topic. Point a log
//! shipper or `grep` at that target to page someone.

use async_trait::async_trait;
use drawings_core::StoreError;
use drawings_core::ports::{Alert, Notifier};

/// The [`Notifier`] that logs. Never fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

impl LogNotifier {
    /// A notifier.
    pub fn new() -> Self {
        LogNotifier
    }
}

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError> {
        // `message` is tracing's own field for the line's text, so the alert's goes in
        // `error_message`.
        tracing::error!(
            target: "drawings::alert",
            job_id = %alert.job_id,
            client_name = alert.client_name.as_deref(),
            file_name = alert.file_name.as_deref(),
            stage = alert.stage.map(|s| s.as_str()),
            code = %alert.code,
            error_message = %alert.message,
            attempts = alert.attempts,
            hint = %alert.hint,
            "Job failed and needs an operator."
        );
        Ok(())
    }
}
