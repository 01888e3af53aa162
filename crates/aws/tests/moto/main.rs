//! The AWS adapters against a real moto server on 127.0.0.1: each passes its port's
//! conformance suite from `drawings-testkit` (the same suites the embedded adapters pass),
//! plus the AWS-specific behaviour the suites cannot see (item layout, SSE, presigned URLs,
//! SNS delivery). One test binary, so the AWS SDK is linked once.

mod blob_store;
mod errors;
mod job_queue;
mod job_store;
mod notifier;
mod provision;
mod support;
mod uploads;
