//! What the processor tells the outside about its work: metrics through the [`Metrics`]
//! port, recorded at a claim, at each stage's end and at a delivery's end.

use super::{Outcome, Processor};
use crate::job::{Job, Stage, Usage};
use crate::ports::{Delivery, Metric};
use chrono::Utc;
use std::time::Duration;

impl Processor {
    /// A job claimed: how long its message waited.
    pub(crate) fn observe_claim(&self, delivery: &Delivery) {
        let waited = (Utc::now() - delivery.sent_at).to_std().unwrap_or(Duration::ZERO);
        self.metrics.record(Metric::QueueWait, None, waited.as_secs_f64());
    }

    /// A stage finished in this delivery.
    pub(crate) fn observe_stage(&self, stage: Stage, took: Duration) {
        self.metrics
            .record(Metric::StageDuration, Some(stage.as_str()), took.as_secs_f64());
    }

    /// A claimed delivery ended: its duration, the model use it added (the job's usage now
    /// minus `usage_before` at claim), and the job's end if it ended.
    pub(crate) fn observe_end(&self, usage_before: Usage, job: &Job, outcome: &Outcome) {
        let m = &self.metrics;
        if let Some(meter) = &self.meter {
            m.record(Metric::DeliveryDuration, None, meter.elapsed().as_secs_f64());
        }
        let tokens_in = job.usage.input_tokens.saturating_sub(usage_before.input_tokens);
        let tokens_out = job.usage.output_tokens.saturating_sub(usage_before.output_tokens);
        let usd = job.usage.usd - usage_before.usd;
        if tokens_in > 0 || tokens_out > 0 || usd > 0.0 {
            m.record(Metric::GeminiInputTokens, None, tokens_in as f64);
            m.record(Metric::GeminiOutputTokens, None, tokens_out as f64);
            m.record(Metric::GeminiUsd, None, usd.max(0.0));
        }
        match outcome {
            Outcome::Completed => {
                m.record(Metric::JobsCompleted, None, 1.0);
                m.record(Metric::PagesProcessed, None, f64::from(job.progress.total));
            }
            Outcome::Failed(code) => m.record(Metric::JobsFailed, Some(code.as_str()), 1.0),
            _ => {}
        }
    }
}
