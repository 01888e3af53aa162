//! The Lambda functions' configuration: the settings every host shares
//! ([`drawings_settings::Settings`], read once per process from the environment the SAM
//! template sets), the stack's resources named by them, and what the Lambda runtime tells a
//! function about itself. Nothing else in the functions reads the environment (aws-config
//! reads its own `AWS_*` variables, including `AWS_ENDPOINT_URL`).

use drawings_api::RateLimit;
use drawings_aws::{AwsResources, MissingResource};
use drawings_core::ErrorClass;
use drawings_settings::{AuthSetting, Host, SettingError, Settings, keys};
use std::time::Duration;

/// Everything a function is configured with.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// The shared settings: pipeline, analyzer, PDF engine, intake limits, callbacks.
    pub settings: Settings,
    /// `DRAWINGS_TABLE`, `DRAWINGS_QUEUE_URL`, `DRAWINGS_DLQ_URL`, `DRAWINGS_BUCKET`,
    /// `DRAWINGS_ALERT_TOPIC_ARN`: the stack's resources.
    pub resources: AwsResources,
    /// What the Lambda runtime sets for the function.
    pub runtime: LambdaRuntime,
    /// How long presigned links stay valid (one hour).
    pub link_ttl: Duration,
}

/// What the Lambda runtime tells a function about itself: facts, not settings (nobody
/// configures them, so they are not in the catalogue).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LambdaRuntime {
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub function_name: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`: each delivery's compute is priced at it.
    pub memory_mb: Option<u32>,
    /// `AWS_LAMBDA_LOG_STREAM_NAME`: names the execution environment, as lease owner.
    pub log_stream: Option<String>,
}

impl LambdaRuntime {
    /// The runtime's variables, as `lookup` finds them.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> LambdaRuntime {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        LambdaRuntime {
            function_name: get("AWS_LAMBDA_FUNCTION_NAME"),
            memory_mb: get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|v| v.parse().ok()),
            log_stream: get("AWS_LAMBDA_LOG_STREAM_NAME"),
        }
    }
}

/// A configuration a function cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key with a value that cannot be used.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A resource name the template should have set.
    #[error(transparent)]
    Resource(#[from] MissingResource),
}

impl ConfigError {
    /// Either way the deployment has to change: [`ErrorClass::Invalid`].
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Invalid
    }
}

impl LambdaConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<LambdaConfig, ConfigError> {
        LambdaConfig::from_lookup(&drawings_settings::env)
    }

    /// Reads `lookup` (the environment, or the template's variables in a test).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<LambdaConfig, ConfigError> {
        let settings = Settings::read(lookup)?;
        Ok(LambdaConfig {
            resources: AwsResources::from_names(&settings.aws)?,
            runtime: LambdaRuntime::from_lookup(lookup),
            settings,
            link_ttl: Duration::from_secs(3600),
        })
    }

    /// The host the pipeline runs on: this function, priced at its memory size.
    pub fn host(&self) -> Host {
        Host::Lambda {
            memory_mb: self.runtime.memory_mb,
            worker_id: self.runtime.log_stream.clone(),
        }
    }
}

/// The intake's API access, from the settings: a type of its own, so the processor and dlq
/// functions never need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// `DRAWINGS_API_KEYS_PARAMETER`: the SSM SecureString holding the API key hashes
    /// (`{"keys":[{"client","sha256","created_at"}]}`). `None` only with `DRAWINGS_AUTH=off`.
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
    /// The intake's access. Without `DRAWINGS_API_KEYS_PARAMETER` the intake refuses to
    /// start, unless `DRAWINGS_AUTH=off` says explicitly that the API is to be open.
    pub fn from_settings(settings: &Settings) -> Result<AccessConfig, SettingError> {
        let keys_parameter = match (settings.auth, &settings.api_keys_parameter) {
            (AuthSetting::Off, _) => None,
            (AuthSetting::Keys, Some(name)) => Some(name.clone()),
            (AuthSetting::Keys, None) => {
                return Err(SettingError::new(
                    keys::API_KEYS_PARAMETER,
                    "",
                    "is not set: the intake does not serve without API keys (set DRAWINGS_AUTH=off to run \
                     it open, e.g. in a local test)",
                ));
            }
        };
        Ok(AccessConfig {
            keys_parameter,
            rate_limit: settings.rate_limit(),
            auth_failure_limit: settings.auth_failure_limit(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(pairs: &[(&str, &str)]) -> Result<AccessConfig, SettingError> {
        let settings = Settings::read(&|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned()))?;
        AccessConfig::from_settings(&settings)
    }

    #[test]
    fn the_intake_needs_a_keys_parameter_unless_auth_is_explicitly_off() {
        let error = access(&[]).unwrap_err();
        assert_eq!(error.key, keys::API_KEYS_PARAMETER);
        let keyed = access(&[(keys::API_KEYS_PARAMETER, "/drawings/api-keys")]);
        assert_eq!(keyed.unwrap().keys_parameter.as_deref(), Some("/drawings/api-keys"));
        assert_eq!(access(&[(keys::AUTH, "off")]).unwrap().keys_parameter, None);
        assert_eq!(access(&[(keys::AUTH, "none")]).unwrap_err().key, keys::AUTH);
    }

    #[test]
    fn the_rate_limits_are_the_shared_settings() {
        let open = access(&[(keys::AUTH, "off")]).unwrap();
        assert_eq!((open.rate_limit.per_minute, open.rate_limit.burst), (120, 30));
        assert_eq!(
            (open.auth_failure_limit.per_minute, open.auth_failure_limit.burst),
            (10, 20)
        );
        let set = access(&[
            (keys::AUTH, "off"),
            (keys::RATE_LIMIT_PER_MINUTE, "0"),
            (keys::AUTH_FAILURE_BURST, "4"),
        ])
        .unwrap();
        assert_eq!((set.rate_limit.per_minute, set.auth_failure_limit.burst), (0, 4));
    }

    #[test]
    fn the_runtimes_variables_price_and_name_the_execution_environment() {
        let config = LambdaConfig::from_lookup(&|key| match key {
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" => Some("1769".into()),
            "AWS_LAMBDA_LOG_STREAM_NAME" => Some("stream-7".into()),
            k if k.starts_with("DRAWINGS_")
                && keys::find(k).is_some_and(|key| key.meaning.starts_with("AWS hosts")) =>
            {
                Some("x".into())
            }
            _ => None,
        })
        .unwrap();
        let pipeline = config.settings.pipeline_for(&config.host(), false);
        assert_eq!(pipeline.cost.memory_mb, 1769);
        assert_eq!(pipeline.worker_id, "stream-7");
        let missing = LambdaConfig::from_lookup(&|_| None).unwrap_err();
        assert!(matches!(missing, ConfigError::Resource(_)), "{missing}");
    }
}
