//! `Metrics`: what the pipeline counts and times, for dashboards and alarms. The core names
//! every metric once, in [`Metric`] (name, kind, unit, label, help text); adapters render
//! them in their own format (Prometheus text for the embedded server, CloudWatch Embedded
//! Metric Format on Lambda). Recording never fails and never waits: a metric is not worth
//! slowing or failing a job for.

/// How a metric accumulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A running total; each record adds to it.
    Counter,
    /// One observation per record (durations): adapters keep a histogram, a summary or the
    /// raw values, with their sum and count.
    Distribution,
}

/// What a metric's values measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricUnit {
    /// Seconds, fractional.
    Seconds,
    /// Whole things (jobs, pages, tokens).
    Count,
    /// US dollars, fractional.
    Usd,
}

/// Every metric the pipeline records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Time a stage took in the delivery that finished it (label `stage`).
    StageDuration,
    /// Wall time of one delivery, from claim to the last write.
    DeliveryDuration,
    /// Time a message waited in the queue before a worker claimed its job.
    QueueWait,
    /// Pages of the jobs that completed.
    PagesProcessed,
    /// Gemini prompt tokens.
    GeminiInputTokens,
    /// Gemini output tokens (thinking included).
    GeminiOutputTokens,
    /// What those tokens cost.
    GeminiUsd,
    /// Jobs that finished every stage.
    JobsCompleted,
    /// Jobs the pipeline failed permanently (label `code`).
    JobsFailed,
}

impl Metric {
    /// Every metric, in the order adapters list them.
    pub const ALL: [Metric; 9] = [
        Metric::JobsCompleted,
        Metric::JobsFailed,
        Metric::PagesProcessed,
        Metric::StageDuration,
        Metric::DeliveryDuration,
        Metric::QueueWait,
        Metric::GeminiInputTokens,
        Metric::GeminiOutputTokens,
        Metric::GeminiUsd,
    ];

    /// The metric's name: snake case, with its unit where it has one (`queue_wait_seconds`).
    /// Adapters may add a prefix or a suffix their format expects (`_total`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::StageDuration => "stage_duration_seconds",
            Metric::DeliveryDuration => "delivery_duration_seconds",
            Metric::QueueWait => "queue_wait_seconds",
            Metric::PagesProcessed => "pages_processed",
            Metric::GeminiInputTokens => "gemini_input_tokens",
            Metric::GeminiOutputTokens => "gemini_output_tokens",
            Metric::GeminiUsd => "gemini_usd",
            Metric::JobsCompleted => "jobs_completed",
            Metric::JobsFailed => "jobs_failed",
        }
    }

    /// Counter or distribution.
    pub fn kind(self) -> MetricKind {
        match self {
            Metric::StageDuration | Metric::DeliveryDuration | Metric::QueueWait => MetricKind::Distribution,
            _ => MetricKind::Counter,
        }
    }

    /// What the values measure.
    pub fn unit(self) -> MetricUnit {
        match self {
            Metric::StageDuration | Metric::DeliveryDuration | Metric::QueueWait => MetricUnit::Seconds,
            Metric::GeminiUsd => MetricUnit::Usd,
            _ => MetricUnit::Count,
        }
    }

    /// The name of the metric's one label, if it has one: `stage` (a stage's wire name) or
    /// `code` (an error code).
    pub fn label(self) -> Option<&'static str> {
        match self {
            Metric::StageDuration => Some("stage"),
            Metric::JobsFailed => Some("code"),
            _ => None,
        }
    }

    /// One line for people reading the metric.
    pub fn help(self) -> &'static str {
        match self {
            Metric::StageDuration => "Time a stage took in the delivery that finished it.",
            Metric::DeliveryDuration => "Wall time of one queue delivery, from claim to the last write.",
            Metric::QueueWait => "Time a message waited in the queue before its job was claimed.",
            Metric::PagesProcessed => "Pages of the jobs that completed.",
            Metric::GeminiInputTokens => "Gemini prompt tokens.",
            Metric::GeminiOutputTokens => "Gemini output tokens, thinking included.",
            Metric::GeminiUsd => "What the Gemini tokens cost, in US dollars.",
            Metric::JobsCompleted => "Jobs that finished every stage.",
            Metric::JobsFailed => "Jobs the pipeline failed permanently, by error code.",
        }
    }
}

/// Where the pipeline's metrics go.
pub trait Metrics: Send + Sync {
    /// Adds `value` to a counter, or records one observation of a distribution. `label` is
    /// the value of the metric's label ([`Metric::label`]); `None` for a metric without one.
    fn record(&self, metric: Metric, label: Option<&str>, value: f64);
}

/// Records nothing: the default of a [`Processor`](crate::pipeline::Processor).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn record(&self, _metric: Metric, _label: Option<&str>, _value: f64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_unique_and_only_durations_are_distributions() {
        let mut names: Vec<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        for m in Metric::ALL {
            assert_eq!(
                m.kind() == MetricKind::Distribution,
                m.unit() == MetricUnit::Seconds,
                "{m:?}"
            );
        }
    }
}
