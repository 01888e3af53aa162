//! CloudWatch metrics from the processor function: the core's [`Metrics`] port on the
//! `metrics` facade, written by `metrics_cloudwatch_embedded` as Embedded Metric Format lines
//! on stdout, one flush after each invocation ([`flush`]). CloudWatch Logs turns each line
//! into metrics in namespace `Drawings` with dimension `Function`, plus `Stage` (stage
//! durations) or `ErrorCode` (failed jobs).
//!
//! The collector only accumulates whole-number counters, so the fractional Gemini price is
//! recorded as a distribution (its `Sum` statistic is the total). Until [`install`] runs, the
//! facade has no recorder and [`FacadeMetrics`] records nothing: tests and other hosts that
//! build the processor pay nothing for it.

use anyhow::{Result, anyhow};
use drawings_core::ports::{Metric, MetricKind, MetricUnit, Metrics};
use metrics_cloudwatch_embedded::{Builder, Collector};
use std::sync::OnceLock;

/// The CloudWatch namespace.
pub const NAMESPACE: &str = "Drawings";

/// The core's metrics, through the `metrics` facade.
#[derive(Debug, Clone, Copy, Default)]
pub struct FacadeMetrics;

/// The CloudWatch dimension of a metric's label.
fn dimension(label: &str) -> &'static str {
    match label {
        "stage" => "Stage",
        "code" => "ErrorCode",
        _ => "Label",
    }
}

fn as_distribution(metric: Metric) -> bool {
    metric.kind() == MetricKind::Distribution || metric.unit() == MetricUnit::Usd
}

impl Metrics for FacadeMetrics {
    fn record(&self, metric: Metric, label: Option<&str>, value: f64) {
        let labels: Vec<(&'static str, String)> = match (metric.label(), label) {
            (Some(name), Some(value)) => vec![(dimension(name), value.to_owned())],
            _ => Vec::new(),
        };
        if as_distribution(metric) {
            metrics::histogram!(metric.name(), &labels).record(value);
        } else {
            metrics::counter!(metric.name(), &labels).increment(value.max(0.0).round() as u64);
        }
    }
}

static COLLECTOR: OnceLock<Result<&'static Collector, String>> = OnceLock::new();

/// Makes the EMF collector the process's metrics recorder, with dimension `Function` =
/// `function`, and gives every metric its unit. Once per process: later calls return the
/// first collector.
pub fn install(function: &str) -> Result<&'static Collector> {
    let installed = COLLECTOR.get_or_init(|| {
        let collector = Builder::new()
            .cloudwatch_namespace(NAMESPACE)
            .with_dimension("Function", function.to_owned())
            .init()
            .map_err(|e| e.to_string())?;
        for metric in Metric::ALL {
            let unit = match metric.unit() {
                MetricUnit::Seconds => Some(metrics::Unit::Seconds),
                MetricUnit::Count => Some(metrics::Unit::Count),
                MetricUnit::Usd => None,
            };
            match (as_distribution(metric), unit) {
                (true, Some(unit)) => metrics::describe_histogram!(metric.name(), unit, metric.help()),
                (true, None) => metrics::describe_histogram!(metric.name(), metric.help()),
                (false, Some(unit)) => metrics::describe_counter!(metric.name(), unit, metric.help()),
                (false, None) => metrics::describe_counter!(metric.name(), metric.help()),
            }
        }
        Ok(collector)
    });
    installed
        .clone()
        .map_err(|e| anyhow!("installing the EMF metrics recorder: {e}"))
}

/// Writes what was recorded since the last flush to `out` (stdout in the function), each
/// line tagged with the invocation's `RequestId`.
pub fn flush(collector: &Collector, request_id: &str, out: impl std::io::Write) -> std::io::Result<()> {
    collector.set_property("RequestId", request_id.to_owned()).flush(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The one test in this binary that installs the global recorder.
    #[test]
    fn metrics_flush_as_emf_lines_with_namespace_dimensions_units_and_values() {
        let collector = install("drawings-test-processor").expect("install");
        let m = FacadeMetrics;
        m.record(Metric::StageDuration, Some("validation"), 1.5);
        m.record(Metric::JobsCompleted, None, 1.0);
        m.record(Metric::PagesProcessed, None, 3.0);
        m.record(Metric::GeminiUsd, None, 0.0125);
        m.record(Metric::JobsFailed, Some("INVALID_PDF"), 1.0);
        let mut out = Vec::new();
        flush(collector, "req-1", &mut out).expect("flush");
        let text = String::from_utf8(out).expect("utf-8");
        println!("{text}");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect();
        let find = |name: &str| {
            lines
                .iter()
                .find(|l| l.get(name).is_some())
                .unwrap_or_else(|| panic!("no line carries {name}: {lines:?}"))
        };
        for line in &lines {
            let aws = &line["_aws"];
            assert!(
                aws["Timestamp"].as_u64().is_some_and(|t| t > 1_600_000_000_000),
                "{line}"
            );
            let directive = &aws["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], NAMESPACE);
            assert_eq!(line["Function"], "drawings-test-processor");
            assert_eq!(line["RequestId"], "req-1");
            // Every dimension named in the directive has a value on the line, and every
            // metric named has one too.
            for dims in directive["Dimensions"].as_array().expect("Dimensions") {
                for d in dims.as_array().expect("dimension set") {
                    assert!(line[d.as_str().unwrap()].is_string(), "{d} missing in {line}");
                }
            }
            for metric in directive["Metrics"].as_array().expect("Metrics") {
                assert!(!line[metric["Name"].as_str().unwrap()].is_null(), "{line}");
            }
        }
        let stage = find("stage_duration_seconds");
        assert_eq!(stage["Stage"], "validation");
        assert_eq!(
            stage["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Function", "Stage"]])
        );
        assert_eq!(stage["stage_duration_seconds"], serde_json::json!([1.5]));
        let metric_unit = |line: &Value, name: &str| {
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["Name"] == name)
                .map(|m| m["Unit"].clone())
                .unwrap()
        };
        assert_eq!(metric_unit(stage, "stage_duration_seconds"), "Seconds");
        let jobs = find("jobs_completed");
        assert_eq!(jobs["jobs_completed"], 1);
        assert_eq!(jobs["pages_processed"], 3);
        assert_eq!(metric_unit(jobs, "pages_processed"), "Count");
        assert_eq!(jobs["gemini_usd"], serde_json::json!([0.0125]));
        assert_eq!(find("jobs_failed")["ErrorCode"], "INVALID_PDF");
        // A second flush carries only what was recorded since.
        let mut again = Vec::new();
        flush(collector, "req-2", &mut again).expect("flush");
        assert!(!String::from_utf8(again).unwrap().contains("jobs_completed"));
    }
}
