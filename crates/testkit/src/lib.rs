//! Test support shared by every crate of the workspace (a dev-dependency only).
//!
//! - One conformance suite per port ([`job_store_conformance`], [`job_queue_conformance`],
//!   [`blob_store_conformance`], [`notifier_conformance`], [`analyzer_conformance`]). Every
//!   adapter's tests run the
//!   same suite, which is what keeps the embedded and the AWS adapters behaviourally
//!   identical. The suites panic with a message naming the broken rule.
//! - Small fixtures ([`fixtures`]) for tests that need a job or an alert, and the
//!   workspace's one PDF writer ([`fixtures::pdf`], with the synthetic drawings of
//!   [`fixtures::drawings`] on top).
//! - Hand-written text layers ([`text_layer`]) for analyzers, and captured log lines
//!   ([`logs`]) for components whose output is a log.
//! - Webhook receivers on 127.0.0.1 ([`receiver`]) for the completion-notice tests.
//! - A fake Gemini API server ([`fake_gemini`]) for the Gemini client's and the end-to-end tests.
//! - A moto server per test ([`moto::MotoServer`]) for the AWS adapters' and functions' tests.
//! - The shared corpus ([`corpus`]), and the policy for what tests need from outside the
//!   repository.
//!
//! The suites write real data: read each module's docs for what it creates and deletes
//! before pointing one at a shared backend.
#![warn(missing_docs)]

pub mod analyzer;
pub mod blob_store;
pub mod corpus;
pub mod decorators;
pub mod fake_gemini;
pub mod fixtures;
pub mod job_queue;
pub mod job_store;
pub mod logs;
pub mod moto;
pub mod notifier;
pub mod receiver;
pub mod text_layer;

pub use analyzer::analyzer_conformance;
pub use blob_store::blob_store_conformance;
pub use fixtures::{full_job, sample_alert, sample_job, sample_job_with_key, unique};
pub use job_queue::{QueuePair, job_queue_conformance};
pub use job_store::job_store_conformance;
pub use notifier::notifier_conformance;
