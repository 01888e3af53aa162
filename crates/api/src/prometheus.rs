//! The in-memory metrics registry of the embedded server: it implements the core's [`Metrics`]
//! port and renders the Prometheus text exposition format (0.0.4) that `GET /metrics` serves.
//!
//! Names get the prefix `drawings_`, and counters the suffix `_total`. Durations are
//! histograms (`_bucket`, `_sum`, `_count`) over fixed buckets from 5 ms to 15 min.

use drawings_core::ports::{Metric, MetricKind, Metrics};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Upper bounds of the duration buckets, seconds.
pub const BUCKETS: [f64; 15] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

/// The media type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone)]
enum Series {
    Counter(f64),
    Histogram {
        buckets: [u64; BUCKETS.len()],
        sum: f64,
        count: u64,
    },
}

impl Series {
    fn empty(kind: MetricKind) -> Series {
        match kind {
            MetricKind::Counter => Series::Counter(0.0),
            MetricKind::Distribution => Series::Histogram {
                buckets: [0; BUCKETS.len()],
                sum: 0.0,
                count: 0,
            },
        }
    }
}

/// Every series recorded since the process started, by metric and label value.
#[derive(Debug, Default)]
pub struct PrometheusRegistry {
    series: Mutex<BTreeMap<(Metric, String), Series>>,
}

impl Metrics for PrometheusRegistry {
    fn record(&self, metric: Metric, label: Option<&str>, value: f64) {
        if !value.is_finite() {
            return;
        }
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let entry = series
            .entry((metric, label.unwrap_or_default().to_owned()))
            .or_insert_with(|| Series::empty(metric.kind()));
        match entry {
            Series::Counter(total) => *total += value.max(0.0),
            Series::Histogram { buckets, sum, count } => {
                // Cumulative buckets: an observation counts in every bucket at or above it.
                for (bound, n) in BUCKETS.iter().zip(buckets.iter_mut()) {
                    if value <= *bound {
                        *n += 1;
                    }
                }
                *sum += value;
                *count += 1;
            }
        }
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `{name="value"}`, `{name="value",le="1"}` or nothing.
fn labels(metric: Metric, value: &str, le: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(name) = metric.label() {
        parts.push(format!("{name}=\"{}\"", escape(value)));
    }
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

impl PrometheusRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The exposition: every metric with its `HELP` and `TYPE`; a metric without a label is
    /// shown at zero before its first record, so dashboards see it from the start.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut out = String::new();
        for metric in Metric::ALL {
            let name = match metric.kind() {
                MetricKind::Counter => format!("drawings_{}_total", metric.name()),
                MetricKind::Distribution => format!("drawings_{}", metric.name()),
            };
            let kind = match metric.kind() {
                MetricKind::Counter => "counter",
                MetricKind::Distribution => "histogram",
            };
            out.push_str(&format!("# HELP {name} {}\n", metric.help()));
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            let mut rows: Vec<(&str, Series)> = series
                .iter()
                .filter(|((m, _), _)| *m == metric)
                .map(|((_, label), s)| (label.as_str(), s.clone()))
                .collect();
            if rows.is_empty() && metric.label().is_none() {
                rows.push(("", Series::empty(metric.kind())));
            }
            for (label, s) in rows {
                match s {
                    Series::Counter(total) => {
                        out.push_str(&format!("{name}{} {total}\n", labels(metric, label, None)));
                    }
                    Series::Histogram { buckets, sum, count } => {
                        for (bound, n) in BUCKETS.iter().zip(buckets) {
                            let le = bound.to_string();
                            out.push_str(&format!("{name}_bucket{} {n}\n", labels(metric, label, Some(&le))));
                        }
                        out.push_str(&format!(
                            "{name}_bucket{} {count}\n",
                            labels(metric, label, Some("+Inf"))
                        ));
                        out.push_str(&format!("{name}_sum{} {sum}\n", labels(metric, label, None)));
                        out.push_str(&format!("{name}_count{} {count}\n", labels(metric, label, None)));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{text}"))
    }

    #[test]
    fn counters_render_as_totals_with_help_type_and_zero_before_the_first_record() {
        let registry = PrometheusRegistry::new();
        let empty = registry.render();
        assert!(empty.contains("# TYPE drawings_jobs_completed_total counter\n"));
        assert_eq!(
            line(&empty, "drawings_jobs_completed_total "),
            "drawings_jobs_completed_total 0"
        );
        assert!(
            !empty.contains("drawings_jobs_failed_total{"),
            "labelled series appear once recorded"
        );
        registry.record(Metric::JobsCompleted, None, 1.0);
        registry.record(Metric::JobsCompleted, None, 1.0);
        registry.record(Metric::JobsFailed, Some("INVALID_PDF"), 1.0);
        registry.record(Metric::GeminiUsd, None, 0.0125);
        let text = registry.render();
        assert_eq!(
            line(&text, "drawings_jobs_completed_total "),
            "drawings_jobs_completed_total 2"
        );
        assert_eq!(
            line(&text, "drawings_jobs_failed_total{"),
            r#"drawings_jobs_failed_total{code="INVALID_PDF"} 1"#
        );
        assert_eq!(
            line(&text, "drawings_gemini_usd_total "),
            "drawings_gemini_usd_total 0.0125"
        );
    }

    #[test]
    fn durations_render_as_cumulative_histograms_with_sum_and_count() {
        let registry = PrometheusRegistry::new();
        registry.record(Metric::StageDuration, Some("validation"), 0.2);
        registry.record(Metric::StageDuration, Some("validation"), 3.0);
        let text = registry.render();
        assert!(text.contains("# TYPE drawings_stage_duration_seconds histogram\n"));
        let bucket = |le: &str| {
            line(
                &text,
                &format!("drawings_stage_duration_seconds_bucket{{stage=\"validation\",le=\"{le}\"}} "),
            )
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
        };
        assert_eq!(bucket("0.1"), "0");
        assert_eq!(bucket("0.25"), "1");
        assert_eq!(bucket("5"), "2");
        assert_eq!(bucket("+Inf"), "2");
        assert_eq!(
            line(&text, "drawings_stage_duration_seconds_sum{"),
            r#"drawings_stage_duration_seconds_sum{stage="validation"} 3.2"#
        );
        assert_eq!(
            line(&text, "drawings_stage_duration_seconds_count{"),
            r#"drawings_stage_duration_seconds_count{stage="validation"} 2"#
        );
        // An unlabelled histogram shows empty before its first observation.
        assert_eq!(
            line(&text, "drawings_queue_wait_seconds_count"),
            "drawings_queue_wait_seconds_count 0"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let registry = PrometheusRegistry::new();
        registry.record(Metric::JobsFailed, Some("a\"b\\c\nd"), 1.0);
        assert!(
            registry
                .render()
                .contains(r#"drawings_jobs_failed_total{code="a\"b\\c\nd"} 1"#)
        );
    }
}
