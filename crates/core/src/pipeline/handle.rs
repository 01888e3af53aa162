//! A worker's handle on the job it leased: the cached record, written back with conditional
//! updates. The pipeline's checkpoints and the heartbeat share it, so their writes never race
//! each other on the version.

use crate::error::StoreError;
use crate::job::{Job, Lease};
use crate::ports::{JobQueue, JobStore};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tracing::{Instrument, warn};

/// Why a write through the handle did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Another worker took the lease (ours lapsed): stop touching the job.
    #[error("lease lost to {0}")]
    LeaseLost(String),
    /// The job became terminal elsewhere (for example it was cancelled).
    #[error("job was finished elsewhere")]
    Finished,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The leased job and the store it lives in.
#[derive(Clone)]
pub struct JobHandle {
    store: Arc<dyn JobStore>,
    owner: String,
    job: Arc<Mutex<Job>>,
}

impl JobHandle {
    /// Wraps a job whose lease `owner` holds.
    pub fn new(store: Arc<dyn JobStore>, owner: String, job: Job) -> Self {
        JobHandle {
            store,
            owner,
            job: Arc::new(Mutex::new(job)),
        }
    }

    /// A copy of the cached record.
    pub async fn snapshot(&self) -> Job {
        self.job.lock().await.clone()
    }

    /// Applies `change` and writes the job back, conditional on its version. When another
    /// writer moved the version, re-reads: if we still hold the lease and the job is live,
    /// the change is applied to the fresh copy; otherwise the write is abandoned.
    pub async fn update(&self, change: impl Fn(&mut Job)) -> Result<Job, HandleError> {
        let mut cached = self.job.lock().await;
        let mut current = cached.clone();
        for _ in 0..5 {
            let mut next = current.clone();
            change(&mut next);
            next.updated_at = Utc::now();
            match self.store.update(&next).await {
                Ok(stored) => {
                    *cached = stored.clone();
                    return Ok(stored);
                }
                Err(StoreError::Conflict { .. }) => {
                    current = self.store.get(&cached.id).await?;
                    self.check_still_ours(&current, Utc::now())?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::conflict(format!("job {}", cached.id)).into())
    }

    /// Extends our lease.
    pub async fn renew_lease(&self, until: DateTime<Utc>) -> Result<Job, HandleError> {
        let owner = self.owner.clone();
        self.update(move |job| {
            job.lease = Some(Lease {
                owner: owner.clone(),
                until,
            })
        })
        .await
    }

    /// Renews the lease and the message's visibility every third of `lease` while stages run,
    /// so a long page does not let a duplicate delivery in. A renewal is an [`update`]: it
    /// never writes over a job finished elsewhere, and once the job is finished (cancelled) the
    /// heartbeat stops; the stages stop at their next checkpoint.
    ///
    /// [`update`]: JobHandle::update
    pub fn spawn_heartbeat(&self, queue: Arc<dyn JobQueue>, receipt: String, lease: Duration) -> JoinHandle<()> {
        let handle = self.clone();
        let heartbeat = async move {
            let mut tick = tokio::time::interval(lease / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
                match handle.renew_lease(until).await {
                    Err(HandleError::Finished) => break,
                    Err(e) => warn!(error = %e, "Lease renewal failed."),
                    Ok(_) => {}
                }
                if let Err(e) = queue.set_visibility(&receipt, lease).await {
                    warn!(error = %e, "Visibility heartbeat failed.");
                }
            }
        };
        // Its log lines belong to the job.
        tokio::spawn(heartbeat.in_current_span())
    }

    fn check_still_ours(&self, job: &Job, now: DateTime<Utc>) -> Result<(), HandleError> {
        if job.status.is_terminal() {
            return Err(HandleError::Finished);
        }
        match &job.lease {
            Some(l) if l.owner != self.owner && l.until > now => Err(HandleError::LeaseLost(l.owner.clone())),
            _ => Ok(()),
        }
    }
}
