//! Secrets from SSM Parameter Store: SecureString parameters, decrypted with the caller's
//! role (the Gemini key, the intake's API key hashes), read once per process at start.

use crate::AwsError;
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use aws_smithy_runtime_api::client::result::SdkError;

/// The decrypted value of the SSM parameter `name`.
pub async fn secure_parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<String, AwsError> {
    optional_secure_parameter(ssm, name)
        .await?
        .ok_or(AwsError::MissingField {
            operation: "GetParameter",
            field: "Parameter.Value",
        })
}

/// [`secure_parameter`], with `None` when the parameter does not exist (`ParameterNotFound`):
/// for a setting that may be left unset, such as the Gemini key.
pub async fn optional_secure_parameter(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<Option<String>, AwsError> {
    let answer = ssm.get_parameter().name(name).with_decryption(true).send().await;
    match answer {
        Ok(answer) => Ok(answer.parameter.and_then(|p| p.value)),
        Err(SdkError::ServiceError(e)) if matches!(e.err(), GetParameterError::ParameterNotFound(_)) => Ok(None),
        Err(e) => Err(AwsError::sdk(e)),
    }
}
