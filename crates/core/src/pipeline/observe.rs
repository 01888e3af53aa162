//! What the processor tells the outside about its work: metrics through the [`Metrics`]
//! port, and each delivery's compute and requests added to the job's cost by the delivery's
//! last write ([`Processor::settle`]).

use super::meter::DeliveryMeter;
use super::{HandleError, JobHandle, Outcome, Processor};
use crate::job::{Job, Stage, Usage};
use crate::ports::{Delivery, Metric, Metrics};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

impl Processor {
    /// This processor, recording its metrics into `metrics` (the default records nothing).
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// A copy for one delivery: its backends count every request, and its meter runs from now.
    pub(crate) fn for_delivery(&self) -> Processor {
        let meter = DeliveryMeter::start(self.config.cost.clone());
        let mut scoped = self.clone();
        scoped.backends = meter.wrap(&self.backends);
        scoped.meter = Some(meter);
        scoped
    }

    /// The last write of a delivery: `change`, plus the delivery's compute and requests so
    /// far added to the job's cost and priced. A write that hands over to a continuation also
    /// pays for the continuation message sent right after it. Without a meter, a plain update.
    pub(crate) async fn settle(&self, handle: &JobHandle, change: impl Fn(&mut Job)) -> Result<Job, HandleError> {
        let Some(meter) = &self.meter else {
            return handle.update(change).await;
        };
        let before = handle.snapshot().await;
        let mut used = meter.take(&before);
        let mut after = before.clone();
        change(&mut after);
        if after.continuations > before.continuations {
            used.requests.queue += 1;
        }
        let settings = meter.settings();
        let written = handle
            .update(|j| {
                change(j);
                j.cost.add(&used, settings);
            })
            .await;
        if written.is_ok() {
            meter.settled();
        }
        written
    }

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
