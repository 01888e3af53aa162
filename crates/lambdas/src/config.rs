//! The Lambda functions' configuration, read once per process by [`LambdaConfig::from_env`].
//! The SAM template sets these variables; nothing else in the functions reads the
//! environment (aws-config reads its own `AWS_*` variables, including `AWS_ENDPOINT_URL`).

use anyhow::{Context, Result, bail};
use drawings_api::RateLimit;
use drawings_aws::AwsResources;
use drawings_core::cost::{CloudPrices, ComputeBasis};
use drawings_core::intake::IntakeConfig;
use drawings_core::pipeline::PipelineConfig;
use drawings_textlayer::ReadingLimits;
use std::time::Duration;

/// Everything a function is configured with.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// `DRAWINGS_TABLE`, `DRAWINGS_QUEUE_URL`, `DRAWINGS_DLQ_URL`, `DRAWINGS_BUCKET`,
    /// `DRAWINGS_ALERT_TOPIC_ARN`: the stack's resources.
    pub resources: AwsResources,
    /// `DRAWINGS_GEMINI_KEY_PARAMETER`: the SSM SecureString holding the Gemini key (none:
    /// the offline text-layer analyzer).
    pub gemini_key_parameter: Option<String>,
    /// `DRAWINGS_MAX_UPLOAD_BYTES`, `DRAWINGS_JOB_TTL_DAYS`, and
    /// `DRAWINGS_CALLBACK_ALLOW_PRIVATE` (default `false`; `true` only against a local
    /// emulator: plain-http and loopback or private callback receivers), which the
    /// completion-notice sender of every function follows too.
    pub intake: IntakeConfig,
    /// `DRAWINGS_ANALYSIS_CONCURRENCY`, `DRAWINGS_LEASE_SECS`, `DRAWINGS_MAX_CONTINUATIONS`;
    /// compute priced at `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` with `DRAWINGS_AWS_PRICES`.
    pub pipeline: PipelineConfig,
    /// `PDFIUM_LIB`: the PDFium library (`/opt/lib/libpdfium.so` from the layer).
    pub pdfium_lib: Option<String>,
    /// The text-layer analyzer's limits on reading one page:
    /// `DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS` (10), `DRAWINGS_PAGE_ANALYSIS_MAX_WORDS` (200000)
    /// and `DRAWINGS_PAGE_ANALYSIS_THREADS` (default the function's vCPUs).
    pub page_analysis: ReadingLimits,
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

fn number<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    var(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number"))
        })
        .transpose()
}

/// `true` or `false`; unset is `false`.
fn flag(name: &str) -> Result<bool> {
    match var(name).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => bail!("{name}={other:?}: expected `true` or `false`"),
    }
}

/// `DRAWINGS_PAGE_ANALYSIS_*`: what reading one page's text may cost (see [`ReadingLimits`]).
fn page_analysis_limits() -> Result<ReadingLimits> {
    let defaults = ReadingLimits::default();
    let limits = ReadingLimits {
        page_timeout: number::<u64>("DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS")?
            .map_or(defaults.page_timeout, Duration::from_secs),
        max_words: number("DRAWINGS_PAGE_ANALYSIS_MAX_WORDS")?.unwrap_or(defaults.max_words),
        concurrent_pages: number("DRAWINGS_PAGE_ANALYSIS_THREADS")?.unwrap_or(defaults.concurrent_pages),
    };
    if limits.page_timeout.is_zero() || limits.max_words == 0 || limits.concurrent_pages == 0 {
        bail!("DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS, _MAX_WORDS and _THREADS must be at least 1");
    }
    Ok(limits)
}

impl LambdaConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<LambdaConfig> {
        let mut intake = IntakeConfig {
            allow_private_callbacks: flag("DRAWINGS_CALLBACK_ALLOW_PRIVATE")?,
            ..IntakeConfig::default()
        };
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
        if let Some(secs) = number::<u64>("DRAWINGS_JOB_SECONDS_PER_PAGE")? {
            pipeline.job_budget.per_page = Duration::from_secs(secs);
        }
        if let Some(secs) = number::<u64>("DRAWINGS_JOB_MAX_SECONDS")? {
            pipeline.job_budget.max = Duration::from_secs(secs);
        }
        // The Lambda's own deadline bounds each invocation; keep the last 20 s for the
        // checkpoint and the continuation message.
        pipeline.reserve = Duration::from_secs(20);
        // Each delivery's compute is priced at the function's own memory size.
        if let Some(mb) = number::<u32>("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")? {
            pipeline.cost.memory_mb = mb;
            pipeline.cost.basis = ComputeBasis::Lambda;
        }
        if let Some(path) = var("DRAWINGS_AWS_PRICES") {
            let body = std::fs::read(&path).with_context(|| format!("reading DRAWINGS_AWS_PRICES={path}"))?;
            pipeline.cost.prices =
                CloudPrices::from_json(&body).with_context(|| format!("DRAWINGS_AWS_PRICES={path}"))?;
        }
        if let Some(name) = var("AWS_LAMBDA_LOG_STREAM_NAME") {
            pipeline.worker_id = name;
        }
        Ok(LambdaConfig {
            resources: AwsResources::from_lookup(var)?,
            gemini_key_parameter: var("DRAWINGS_GEMINI_KEY_PARAMETER"),
            intake,
            pipeline,
            pdfium_lib: var("PDFIUM_LIB"),
            page_analysis: page_analysis_limits()?,
            link_ttl: Duration::from_secs(3600),
        })
    }
}

/// `DRAWINGS_CALLBACK_SECRET`: the HMAC key signing completion notices (none: no notices
/// are sent). Read by [`crate::AwsStack::from_env`] beside [`LambdaConfig`], in every function:
/// each one may be the one that finishes a job.
pub fn callback_secret() -> Option<String> {
    var("DRAWINGS_CALLBACK_SECRET")
}

/// The intake's API access settings, read by [`AccessConfig::from_env`] in the intake's init
/// only (a type of its own, so the processor and dlq functions never need them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// `DRAWINGS_API_KEYS_PARAMETER`: the SSM SecureString holding the API key hashes
    /// (`{"keys":[{"client","sha256","created_at"}]}`). Required unless `DRAWINGS_AUTH=off`.
    /// `None` only with authentication off.
    pub keys_parameter: Option<String>,
    /// `DRAWINGS_RATE_LIMIT_PER_MINUTE` (120; 0: off) and `DRAWINGS_RATE_LIMIT_BURST` (30):
    /// requests per key, per execution environment.
    pub rate_limit: RateLimit,
    /// `DRAWINGS_AUTH_FAILURES_PER_MINUTE` (10; 0: off) and `DRAWINGS_AUTH_FAILURE_BURST` (20):
    /// failed authentications per source address (API Gateway's `sourceIp`), per execution
    /// environment.
    pub auth_failure_limit: RateLimit,
}

impl AccessConfig {
    /// Reads the environment. Without `DRAWINGS_API_KEYS_PARAMETER` the intake refuses to
    /// start, unless `DRAWINGS_AUTH=off` says explicitly that the API is to be open.
    pub fn from_env() -> Result<AccessConfig> {
        Self::from_settings(var)
    }

    /// [`AccessConfig::from_env`] over any source of settings.
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<AccessConfig> {
        let keys_parameter = match (get("DRAWINGS_AUTH").as_deref(), get("DRAWINGS_API_KEYS_PARAMETER")) {
            (Some("off"), _) => None,
            (None | Some("keys"), Some(name)) => Some(name),
            (None | Some("keys"), None) => bail!(
                "DRAWINGS_API_KEYS_PARAMETER is not set: the intake does not serve without API keys \
                 (set DRAWINGS_AUTH=off to run it open, e.g. in a local test)"
            ),
            (Some(other), _) => bail!("DRAWINGS_AUTH={other:?}: expected `keys` or `off`"),
        };
        let count = |name: &str, default: u32| -> Result<u32> {
            get(name).map_or(Ok(default), |v| {
                v.parse().map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number"))
            })
        };
        let defaults = RateLimit::default();
        let rate_limit = RateLimit {
            per_minute: count("DRAWINGS_RATE_LIMIT_PER_MINUTE", defaults.per_minute)?,
            burst: count("DRAWINGS_RATE_LIMIT_BURST", defaults.burst)?,
        };
        if rate_limit.burst == 0 {
            bail!("DRAWINGS_RATE_LIMIT_BURST must be at least 1");
        }
        let failures = RateLimit::AUTH_FAILURES;
        let auth_failure_limit = RateLimit {
            per_minute: count("DRAWINGS_AUTH_FAILURES_PER_MINUTE", failures.per_minute)?,
            burst: count("DRAWINGS_AUTH_FAILURE_BURST", failures.burst)?,
        };
        if auth_failure_limit.burst == 0 {
            bail!("DRAWINGS_AUTH_FAILURE_BURST must be at least 1");
        }
        Ok(AccessConfig {
            keys_parameter,
            rate_limit,
            auth_failure_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_intake_needs_a_keys_parameter_unless_auth_is_explicitly_off() {
        let error = AccessConfig::from_settings(settings(&[])).unwrap_err().to_string();
        assert!(error.contains("DRAWINGS_API_KEYS_PARAMETER"), "{error}");
        let keyed = AccessConfig::from_settings(settings(&[("DRAWINGS_API_KEYS_PARAMETER", "/drawings/api-keys")]));
        assert_eq!(keyed.unwrap().keys_parameter.as_deref(), Some("/drawings/api-keys"));
        let open = AccessConfig::from_settings(settings(&[("DRAWINGS_AUTH", "off")])).unwrap();
        assert_eq!(open.keys_parameter, None);
        assert!(AccessConfig::from_settings(settings(&[("DRAWINGS_AUTH", "none")])).is_err());
    }

    #[test]
    fn the_rate_limit_defaults_to_120_a_minute_with_a_burst_of_30_and_burst_0_is_refused() {
        let base = [("DRAWINGS_AUTH", "off")];
        assert_eq!(
            AccessConfig::from_settings(settings(&base)).unwrap().rate_limit,
            RateLimit {
                per_minute: 120,
                burst: 30
            }
        );
        let set = [
            base[0],
            ("DRAWINGS_RATE_LIMIT_PER_MINUTE", "0"),
            ("DRAWINGS_RATE_LIMIT_BURST", "5"),
        ];
        let limit = AccessConfig::from_settings(settings(&set)).unwrap().rate_limit;
        assert_eq!((limit.per_minute, limit.burst), (0, 5));
        assert!(AccessConfig::from_settings(settings(&[base[0], ("DRAWINGS_RATE_LIMIT_BURST", "0")])).is_err());
    }

    #[test]
    fn failed_authentications_per_address_default_to_10_a_minute_with_a_burst_of_20() {
        let base = [("DRAWINGS_AUTH", "off")];
        let limit = AccessConfig::from_settings(settings(&base)).unwrap().auth_failure_limit;
        assert_eq!((limit.per_minute, limit.burst), (10, 20));
        let set = [
            base[0],
            ("DRAWINGS_AUTH_FAILURES_PER_MINUTE", "3"),
            ("DRAWINGS_AUTH_FAILURE_BURST", "4"),
        ];
        let limit = AccessConfig::from_settings(settings(&set)).unwrap().auth_failure_limit;
        assert_eq!((limit.per_minute, limit.burst), (3, 4));
        assert!(AccessConfig::from_settings(settings(&[base[0], ("DRAWINGS_AUTH_FAILURE_BURST", "0")])).is_err());
    }
}
