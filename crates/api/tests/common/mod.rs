//! The API tests' one stack: job records and the queue on SQLite in memory, operator alerts
//! to the log, no completion notices, and whatever blob store the test gives.
#![allow(dead_code)] // each test binary uses the part it needs

use drawings_core::ports::{BlobStore, NoNotices, Ports};
use drawings_local::{Database, LogNotifier, SqliteJobQueue, SqliteJobStore};
use std::sync::Arc;

/// The ports over `blobs`.
pub fn ports(blobs: Arc<dyn BlobStore>) -> Ports {
    let db = Database::open_in_memory().expect("an in-memory database");
    Ports {
        jobs: Arc::new(SqliteJobStore::new(db.clone())),
        queue: Arc::new(SqliteJobQueue::new(db, "jobs", None)),
        blobs,
        alerts: Arc::new(LogNotifier::new()),
        callbacks: Arc::new(NoNotices),
    }
}
