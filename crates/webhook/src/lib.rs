//! Completion notices (webhooks): the [`CallbackNotifier`] that POSTs a finished job's status
//! to the job's `callback_url`. Its own crate so that every host that finishes jobs (the
//! embedded server, the processor and dlq functions) sends notices without linking the HTTP
//! router.
//!
//! - [`notifier`]: delivery, retries and where it runs;
//! - [`signature`]: Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`), and the check a receiver makes;
//! - [`guard`]: public https receivers only, checked on the address actually connected to.
#![warn(missing_docs)]

pub mod guard;
pub mod notifier;
pub mod signature;

pub use guard::{Lookup, Refused, SystemLookup};
pub use notifier::{BuildError, CallbackConfig, CallbackNotifier, DeliveryMode, EVENT_HEADER, Outcomes};
pub use signature::{NoticeHeaders, SigningKey, VerifyError, notice_id};
