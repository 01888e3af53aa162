//! The expiry sweeper of the embedded server: what DynamoDB's TTL and the S3 lifecycle rule
//! do on AWS. Every interval (and once at start) it finds the jobs whose `expires_at` has
//! passed and deletes each one's blobs (everything under `jobs/{id}/`) and then its record.
//!
//! Blobs go first: if the record's delete fails, the next sweep finds the job again and
//! finishes; the other order could strand blobs no record points at any more. A job is
//! deleted whatever its status, as the TTL does; its queue message, if any is left, finds
//! no job and is dropped by the processor.

use crate::{FsBlobStore, SqliteJobStore};
use chrono::{DateTime, Utc};
use drawings_core::StoreError;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Jobs handled per database query; a sweep repeats until none is left.
const BATCH: usize = 100;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Jobs deleted with their blobs.
    pub deleted: usize,
    /// Jobs whose deletion failed; they are tried again on the next sweep.
    pub failed: usize,
}

/// Deletes expired jobs of the embedded store.
#[derive(Debug, Clone)]
pub struct Sweeper {
    jobs: SqliteJobStore,
    blobs: FsBlobStore,
    every: Duration,
}

impl Sweeper {
    /// A sweeper over `jobs` and `blobs`, running every `every`.
    pub fn new(jobs: SqliteJobStore, blobs: FsBlobStore, every: Duration) -> Self {
        Sweeper { jobs, blobs, every }
    }

    /// Deletes every job expired at `now`, blobs first. A job whose blobs or record could
    /// not be deleted is counted as failed and left for the next sweep.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        loop {
            let batch = self.jobs.expired(now, BATCH).await?;
            let full = batch.len() == BATCH;
            let mut progressed = false;
            for id in batch {
                let removed = match self.blobs.delete_prefix(&id.files().prefix()).await {
                    Ok(()) => self.jobs.delete_expired(&id, now).await,
                    Err(e) => Err(e),
                };
                match removed {
                    Ok(deleted) => {
                        progressed = true;
                        report.deleted += usize::from(deleted);
                    }
                    Err(e) => {
                        warn!(job_id = %id, error = %e, "Could not delete an expired job; the next sweep retries.");
                        report.failed += 1;
                    }
                }
            }
            // A batch that only failed would come back the same: stop until the next sweep.
            if !full || !progressed {
                return Ok(report);
            }
        }
    }

    /// Sweeps at once and then every interval, until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                changed = stop.changed() => if changed.is_err() {
                    return; // the server is gone
                },
            }
            if *stop.borrow() {
                return;
            }
            match self.sweep(Utc::now()).await {
                Ok(report) if report == SweepReport::default() => {}
                Ok(report) => info!(deleted = report.deleted, failed = report.failed, "Expired jobs swept."),
                Err(e) => warn!(error = %e, "Expiry sweep failed; trying again at the next interval."),
            }
        }
    }
}
