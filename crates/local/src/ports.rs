//! The embedded port set, assembled in one place: jobs and the work queue on one SQLite
//! database, blobs in a directory, operator alerts to the log, completion notices off until
//! the host adds its sender. `drawings serve`, `drawings process` and the test stacks start
//! from it and replace what they need (`Ports { alerts, ..ports }`), as the AWS hosts start
//! from `AwsResources::ports`.

use crate::{Database, FsBlobStore, LogNotifier, RedrivePolicy, SqliteJobQueue, SqliteJobStore};
use drawings_core::Ports;
use drawings_core::ports::{JobQueue, NoNotices};
use std::sync::Arc;

/// The work queue's name in the database.
pub const JOB_QUEUE: &str = "jobs";

/// The dead-letter queue's name in the database.
pub const DEAD_LETTER_QUEUE: &str = "jobs-dlq";

/// Receives before a message moves to the dead-letter queue, as the SQS redrive policy.
pub const MAX_RECEIVES: u32 = 3;

/// The port set over `db` and `blobs`, and the dead-letter queue a message moves to after
/// [`MAX_RECEIVES`] receives.
pub fn local_ports(db: Database, blobs: FsBlobStore) -> (Ports, Arc<dyn JobQueue>) {
    let redrive = RedrivePolicy::new(DEAD_LETTER_QUEUE, MAX_RECEIVES);
    let ports = Ports {
        jobs: Arc::new(SqliteJobStore::new(db.clone())),
        queue: Arc::new(SqliteJobQueue::new(db.clone(), JOB_QUEUE, Some(redrive))),
        blobs: Arc::new(blobs),
        alerts: Arc::new(LogNotifier),
        callbacks: Arc::new(NoNotices),
    };
    let dead_letters: Arc<dyn JobQueue> = Arc::new(SqliteJobQueue::new(db, DEAD_LETTER_QUEUE, None));
    (ports, dead_letters)
}
