//! AWS adapters of the drawings ports: [`DynamoJobStore`] (DynamoDB), [`SqsJobQueue`] (SQS),
//! [`S3BlobStore`] (S3) and [`SnsNotifier`] (SNS), plus [`AwsClients`] to build their SDK
//! clients from the environment or for an emulator endpoint, and [`provision`] to create a
//! stack's resources on an emulator or a fresh account (tests, local set-ups).
//! [`AwsResources`] names one deployment's resources from its settings and assembles the
//! port set over them; [`ssm`] reads its secrets.
//!
//! Each adapter passes the same conformance suite as its embedded counterpart in
//! `drawings-local` (see `tests/`, run against a moto server). SDK errors become
//! [`drawings_core::StoreError`] classes at this boundary; nothing AWS-typed leaks out.
#![warn(missing_docs)]

mod config;
mod dynamo;
mod error;
pub mod provision;
mod resources;
mod s3;
mod sns;
mod sqs;
pub mod ssm;
mod tls;

pub use config::{AwsClients, EMULATOR_REGION, config_for_endpoint, config_from_env};
pub use dynamo::{DynamoJobStore, INDEX_BY_CLIENT, INDEX_BY_DAY, INDEX_DEAD_LETTERS};
pub use error::AwsError;
pub use provision::StackResources;
pub use resources::{AwsResources, MissingResource};
pub use s3::S3BlobStore;
pub use sns::SnsNotifier;
pub use sqs::SqsJobQueue;
