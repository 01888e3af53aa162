//! The API tests' one stack: job records and the queue on SQLite in memory, operator alerts
//! to the log, no completion notices, and whatever blob store the test gives.
#![allow(dead_code)] // each test binary uses the part it needs

use drawings_api::AppState;
use drawings_core::intake::{Intake, IntakeConfig};
use drawings_core::ports::{BlobStore, NoNotices, Ports};
use drawings_local::{Database, LogNotifier, SqliteJobQueue, SqliteJobStore};
use std::sync::Arc;
use std::time::Duration;

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

/// The API's state over `ports`, with `intake`'s limits and hour-long result links.
pub fn state(ports: &Ports, intake: IntakeConfig) -> AppState {
    AppState {
        intake: Arc::new(Intake::new(ports.clone(), intake)),
        ports: ports.clone(),
        link_ttl: Duration::from_secs(3600),
        metrics: None,
        status_cache: Default::default(),
    }
}
