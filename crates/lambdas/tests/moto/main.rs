//! The three functions end to end on a moto server: the intake function's router, the
//! processor function's and the dlq function's SQS handlers, over DynamoDB, SQS, S3 and SNS
//! as `drawings_aws::provision` creates them.
//!
//! moto does not trigger Lambdas, so each test plays the SQS event source mapping
//! ([`event_source`]): it receives with the real attributes, builds the `SqsEvent` Lambda
//! would send and applies the `SqsBatchResponse` the way Lambda does. PDFium runs in process
//! (a test binary cannot be re-run as the processor's `pdf-worker`). One test binary, so
//! the AWS SDK is linked once.

mod analyzer_choice;
mod completes;
mod duplicate;
mod event_source;
mod harness;
mod large_files;
mod poison;
