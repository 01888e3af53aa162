//! Mapping AWS SDK errors to the port's [`StoreError`] classes, and the adapters' own errors.
//!
//! Callers branch on the class (retry a transient error, report a permanent one, treat a
//! conflict as a lost race), so the mapping looks only at structured facts: the `SdkError`
//! variant, the service's error code (`ProvideErrorMetadata::code`) and the HTTP status.
//! Each adapter first matches the typed variants that mean something for its operation
//! (`NoSuchKey`, `ConditionalCheckFailedException`, ...) and hands the rest to [`classify`].
//! The original error is kept as the source, so logs still show every detail.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use drawings_core::{BoxError, StoreError};
use std::time::Duration;

/// Errors the adapters raise themselves (everything else comes from the SDK).
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// A value the service would reject, caught before the call.
    #[error("{what} {value:?} is above the limit of {max:?}")]
    AboveLimit {
        /// The parameter.
        what: &'static str,
        /// What was asked for.
        value: Duration,
        /// The service's limit.
        max: Duration,
    },
    /// A count outside what the service accepts.
    #[error("{what} {value} is not within {min}..={max}")]
    OutOfRange {
        /// The parameter.
        what: &'static str,
        /// What was asked for.
        value: u64,
        /// Lowest accepted.
        min: u64,
        /// Highest accepted.
        max: u64,
    },
    /// A stored item that this code cannot read back (edited by hand, or by another version).
    #[error("item {key} is corrupt: {reason}")]
    Corrupt {
        /// The item's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value that could not be encoded as JSON.
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        /// What was encoded.
        what: &'static str,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A presigned URL could not be made (for example a TTL above S3's one-week limit).
    #[error("cannot presign {key}: {source}")]
    Presign {
        /// The blob key.
        key: String,
        /// The SDK's error.
        #[source]
        source: aws_sdk_s3::presigning::PresigningConfigError,
    },
    /// An SDK call failed. The summary names the service's code, message and HTTP status
    /// (the SDK's own `Display` says only "service error"); the SDK error is the source.
    #[error("{summary}")]
    Sdk {
        /// `HTTP 404 NoSuchBucket: The specified bucket does not exist`, or the transport error.
        summary: String,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },
    /// A service answered successfully but left out a field the adapter needs.
    #[error("{operation} answered without {field}")]
    MissingField {
        /// The operation.
        operation: &'static str,
        /// The missing field.
        field: &'static str,
    },
}

impl AwsError {
    /// Wraps an SDK error, keeping it as the source.
    pub(crate) fn sdk<E>(err: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let summary = match &err {
            SdkError::ServiceError(ctx) => format!(
                "HTTP {} {}: {}",
                ctx.raw().status().as_u16(),
                ctx.err().code().unwrap_or("(no error code)"),
                ctx.err().message().unwrap_or("(no message)")
            ),
            other => DisplayErrorContext(other).to_string(),
        };
        AwsError::Sdk {
            summary,
            source: Box::new(err),
        }
    }

    /// The class of each of the adapters' own errors.
    pub(crate) fn into_store(self, backend: &'static str) -> StoreError {
        match self {
            AwsError::AboveLimit { .. } | AwsError::OutOfRange { .. } | AwsError::Presign { .. } => {
                StoreError::Invalid {
                    backend,
                    source: Box::new(self),
                }
            }
            AwsError::Corrupt { .. } | AwsError::Encode { .. } | AwsError::MissingField { .. } => {
                StoreError::permanent(backend, self)
            }
            // Callers that know the class of an SDK error build the StoreError themselves.
            AwsError::Sdk { .. } => StoreError::permanent(backend, self),
        }
    }
}

/// Error codes that mean "ask again later", across DynamoDB, S3, SQS and SNS.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "TransactionInProgressException",
    "TransactionConflictException",
    "SlowDown",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "ReplicatedWriteConflictException",
    "KMSThrottlingException",
    "KMSThrottling",
    "KMS.ThrottlingException",
];

/// Error codes that will repeat until someone changes the deployment: missing resources,
/// credentials and permissions.
const PERMANENT_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "NotFound",
    "NotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "InvalidSecurity",
    "KMSDisabled",
    "KMSAccessDenied",
    "KMSNotFound",
    "KMSInvalidState",
    "KMSOptInRequired",
    "KMSDisabledException",
    "KMSAccessDeniedException",
    "KMS.DisabledException",
    "KMS.AccessDeniedException",
];

/// Error codes for a request the service refuses as malformed or too large.
const INVALID_CODES: &[&str] = &[
    "ValidationException",
    "ValidationError",
    "SerializationException",
    "ItemCollectionSizeLimitExceededException",
    "InvalidParameterValue",
    "InvalidParameterException",
    "InvalidParameterCombination",
    "InvalidArgument",
    "InvalidRequest",
    "MissingParameter",
    "InvalidAttributeValue",
    "InvalidMessageContents",
    "MessageTooLong",
    "EntityTooLarge",
    "KeyTooLongError",
    "InvalidParameter",
];

/// The class of any SDK error that the operation did not handle itself.
///
/// Transport failures (timeouts, dispatch failures, unparseable responses) are transient: the
/// same call may well succeed. Service errors go by their code, then by HTTP status (5xx and
/// 429 transient, other 4xx invalid). A request that could not even be built is invalid.
pub(crate) fn classify<E>(backend: &'static str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let class = match &err {
        SdkError::ConstructionFailure(_) => Class::Invalid,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Class::Transient,
        SdkError::ServiceError(ctx) => by_code(ctx.err().code(), ctx.raw().status().as_u16()),
        // `SdkError` is non-exhaustive; a kind this code does not know is not worth retrying blindly.
        _ => Class::Permanent,
    };
    let source = Box::new(AwsError::sdk(err));
    match class {
        Class::Transient => StoreError::Transient { backend, source },
        Class::Invalid => StoreError::Invalid { backend, source },
        Class::Permanent => StoreError::Permanent { backend, source },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Transient,
    Invalid,
    Permanent,
}

fn by_code(code: Option<&str>, status: u16) -> Class {
    if let Some(code) = code {
        if TRANSIENT_CODES.contains(&code) {
            return Class::Transient;
        }
        if PERMANENT_CODES.contains(&code) {
            return Class::Permanent;
        }
        if INVALID_CODES.contains(&code) {
            return Class::Invalid;
        }
    }
    match status {
        429 | 500..=599 => Class::Transient,
        // 401/403: credentials or policy; 404 here is a missing table, queue or topic, since
        // each adapter turns a missing *record* into NotFound before calling this.
        401 | 403 | 404 => Class::Permanent,
        400..=499 => Class::Invalid,
        _ => Class::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_status() {
        assert_eq!(by_code(Some("ThrottlingException"), 400), Class::Transient);
        assert_eq!(
            by_code(Some("ProvisionedThroughputExceededException"), 400),
            Class::Transient
        );
        assert_eq!(by_code(Some("ResourceNotFoundException"), 400), Class::Permanent);
        assert_eq!(by_code(Some("AccessDeniedException"), 400), Class::Permanent);
        assert_eq!(by_code(Some("ValidationException"), 400), Class::Invalid);
    }

    #[test]
    fn unknown_codes_go_by_status() {
        assert_eq!(by_code(Some("SomethingNew"), 503), Class::Transient);
        assert_eq!(by_code(None, 500), Class::Transient);
        assert_eq!(by_code(None, 429), Class::Transient);
        assert_eq!(by_code(None, 403), Class::Permanent);
        assert_eq!(by_code(Some("SomethingNew"), 400), Class::Invalid);
    }

    #[test]
    fn own_errors_have_classes() {
        let limit = AwsError::AboveLimit {
            what: "delay",
            value: Duration::from_secs(901),
            max: Duration::from_secs(900),
        };
        assert_eq!(limit.into_store("sqs").class(), drawings_core::ErrorClass::Invalid);
        let corrupt = AwsError::Corrupt {
            key: "k".into(),
            reason: "no job".into(),
        };
        assert_eq!(
            corrupt.into_store("dynamodb").class(),
            drawings_core::ErrorClass::Permanent
        );
    }
}
