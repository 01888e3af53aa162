//! Embedded adapters: the same ports as the AWS ones, on one machine with no service to run.
//!
//! - [`Database`]: one SQLite file (WAL mode) shared by [`SqliteJobStore`] and
//!   [`SqliteJobQueue`]; several processes (`drawings serve` and the CLI) may open it at once.
//! - [`FsBlobStore`]: blobs as files under a directory, written atomically.
//! - [`LogNotifier`]: alerts as one structured `tracing` error line.
//! - [`local_ports`]: the port set over those, the one assembly every embedded host starts from.
//! - [`worker::EmbeddedWorkers`]: the in-process workers that stand in for SQS-triggered
//!   Lambdas.
//! - [`sweeper::Sweeper`]: deletes expired jobs with their blobs, as DynamoDB's TTL and the S3
//!   lifecycle rule do on AWS.
//!
//! Each adapter passes its port's conformance suite from `drawings-testkit`.
#![warn(missing_docs)]

mod fs_blob;
mod log_notifier;
mod ports;
mod private;
mod sqlite;
pub mod sweeper;
pub mod worker;

pub use fs_blob::FsBlobStore;
pub use log_notifier::LogNotifier;
pub use ports::{DEAD_LETTER_QUEUE, JOB_QUEUE, MAX_RECEIVES, local_ports};
pub use private::ensure_private_dir;
pub use sqlite::{CHANGE_MARK_LAG, Database, RedrivePolicy, SqliteJobQueue, SqliteJobStore};
