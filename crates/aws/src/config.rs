//! Building the AWS SDK configuration and the service clients the adapters (and the
//! functions' secrets) need.
//!
//! Production (Lambda) loads everything from the environment through aws-config's default
//! chain. Tests and local runs against an emulator (moto) pass the endpoint explicitly: the
//! library itself reads no environment variable of its own, so the caller decides.

use crate::tls::{Roots, https_client};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

/// The region used with an explicit endpoint when the caller names none (moto accepts any).
pub const EMULATOR_REGION: &str = "us-east-1";

/// The SDK configuration from the environment: aws-config's default credential chain
/// (Lambda's role, `AWS_PROFILE`, ...), the region from `AWS_REGION`, and the SDK's standard
/// retries for throttling, 5xx answers and timeouts. HTTPS trusts Amazon Trust Services'
/// roots only, which every AWS endpoint chains to and which load in well under a
/// millisecond, not the platform's whole store (most of a function's init; see `tls.rs`);
/// with an endpoint override over `https` (`AWS_ENDPOINT_URL`), the platform's store.
pub async fn config_from_env() -> SdkConfig {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client(Roots::Amazon))
        .load()
        .await;
    match config.endpoint_url() {
        Some(url) if url.starts_with("https://") => {
            config.into_builder().http_client(https_client(Roots::Platform)).build()
        }
        _ => config,
    }
}

/// The SDK configuration for an emulator or other endpoint override, such as
/// `http://127.0.0.1:5000` for moto: static test credentials and region `us-east-1`.
///
/// Retries are cut to two attempts so that an operation the emulator does not implement
/// (answered with a 500) fails in well under a second instead of after the standard backoff.
pub async fn config_for_endpoint(endpoint_url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(EMULATOR_REGION))
        .endpoint_url(endpoint_url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "drawings-static"))
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await
}

/// One client per service, built from one [`SdkConfig`]. Clients are cheap to clone (an
/// `Arc` inside) and share their connection pools, so build this once per process.
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// Job records.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Blobs.
    pub s3: aws_sdk_s3::Client,
    /// Work queues.
    pub sqs: aws_sdk_sqs::Client,
    /// Alerts.
    pub sns: aws_sdk_sns::Client,
    /// Secrets (SecureString parameters).
    pub ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    /// Clients for `config`. When the configuration carries an endpoint override, S3 uses
    /// path-style addressing: `bucket.localhost` does not resolve, and emulators serve paths.
    pub fn new(config: &SdkConfig) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }

    /// Clients from the environment ([`config_from_env`]).
    pub async fn from_env() -> Self {
        AwsClients::new(&config_from_env().await)
    }

    /// Clients for an endpoint override ([`config_for_endpoint`]).
    pub async fn for_endpoint(endpoint_url: &str) -> Self {
        AwsClients::new(&config_for_endpoint(endpoint_url).await)
    }
}
