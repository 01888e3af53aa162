//! Secrets from SSM Parameter Store: SecureString parameters, decrypted with the caller's
//! role (the Gemini key, the completion-notice secret), read once per process at start.

use crate::AwsError;
use aws_config::SdkConfig;

/// The decrypted value of the SSM parameter `name`.
pub async fn secure_parameter(config: &SdkConfig, name: &str) -> Result<String, AwsError> {
    let ssm = aws_sdk_ssm::Client::new(config);
    let answer = ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(AwsError::sdk)?;
    answer.parameter.and_then(|p| p.value).ok_or(AwsError::MissingField {
        operation: "GetParameter",
        field: "Parameter.Value",
    })
}
