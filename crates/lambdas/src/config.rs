//! The Lambda functions' configuration, read once per process by [`LambdaConfig::from_env`].
//! The SAM template sets these variables; nothing else in the functions reads the
//! environment (aws-config reads its own `AWS_*` variables, including `AWS_ENDPOINT_URL`).

use anyhow::{Context, Result, bail};
use drawings_core::intake::IntakeConfig;
use drawings_core::pipeline::PipelineConfig;
use std::time::Duration;

/// Everything a function is configured with.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// `DRAWINGS_TABLE`: the DynamoDB table of jobs.
    pub table: String,
    /// `DRAWINGS_QUEUE_URL`: the work queue.
    pub queue_url: String,
    /// `DRAWINGS_DLQ_URL`: its dead-letter queue.
    pub dlq_url: String,
    /// `DRAWINGS_BUCKET`: PDFs and outputs.
    pub bucket: String,
    /// `DRAWINGS_ALERT_TOPIC_ARN`: the SNS topic for alerts.
    pub alert_topic_arn: String,
    /// `DRAWINGS_GEMINI_KEY_PARAMETER`: the SSM SecureString holding the Gemini key (none:
    /// the offline text-layer analyzer).
    pub gemini_key_parameter: Option<String>,
    /// `DRAWINGS_MAX_UPLOAD_BYTES`, `DRAWINGS_JOB_TTL_DAYS`.
    pub intake: IntakeConfig,
    /// `DRAWINGS_ANALYSIS_CONCURRENCY`, `DRAWINGS_LEASE_SECS`, `DRAWINGS_MAX_CONTINUATIONS`.
    pub pipeline: PipelineConfig,
    /// `PDFIUM_LIB`: the PDFium library (`/opt/lib/libpdfium.so` from the layer).
    pub pdfium_lib: Option<String>,
    /// How long presigned links stay valid (one hour).
    pub link_ttl: Duration,
}

/// One environment variable, trimmed; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn required(name: &str) -> Result<String> {
    var(name).with_context(|| format!("{name} is not set"))
}

fn number<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    var(name)
        .map(|v| v.parse::<T>().map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number")))
        .transpose()
}

impl LambdaConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<LambdaConfig> {
        let mut intake = IntakeConfig::default();
        if let Some(n) = number("DRAWINGS_MAX_UPLOAD_BYTES")? {
            intake.max_upload_bytes = n;
        }
        if let Some(days) = number::<i64>("DRAWINGS_JOB_TTL_DAYS")? {
            if days < 1 {
                bail!("DRAWINGS_JOB_TTL_DAYS must be at least 1");
            }
            intake.ttl = chrono::Duration::days(days);
        }
        let mut pipeline = PipelineConfig::default();
        pipeline.limits.max_bytes = intake.max_upload_bytes;
        if let Some(n) = number::<usize>("DRAWINGS_ANALYSIS_CONCURRENCY")? {
            pipeline.analysis_concurrency = n.clamp(1, 64);
        }
        if let Some(secs) = number::<u64>("DRAWINGS_LEASE_SECS")? {
            pipeline.lease = Duration::from_secs(secs.max(3));
        }
        if let Some(n) = number("DRAWINGS_MAX_CONTINUATIONS")? {
            pipeline.max_continuations = n;
        }
        // The Lambda's own deadline bounds each invocation; keep the last 20 s for the
        // checkpoint and the continuation message.
        pipeline.reserve = Duration::from_secs(20);
        if let Some(name) = var("AWS_LAMBDA_LOG_STREAM_NAME") {
            pipeline.worker_id = name;
        }
        Ok(LambdaConfig {
            table: required("DRAWINGS_TABLE")?,
            queue_url: required("DRAWINGS_QUEUE_URL")?,
            dlq_url: required("DRAWINGS_DLQ_URL")?,
            bucket: required("DRAWINGS_BUCKET")?,
            alert_topic_arn: required("DRAWINGS_ALERT_TOPIC_ARN")?,
            gemini_key_parameter: var("DRAWINGS_GEMINI_KEY_PARAMETER"),
            intake,
            pipeline,
            pdfium_lib: var("PDFIUM_LIB"),
            link_ttl: Duration::from_secs(3600),
        })
    }
}
