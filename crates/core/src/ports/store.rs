//! `JobStore`: job records with optimistic concurrency and leases.

use crate::error::StoreError;
use crate::job::{Job, JobId, Lease};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What [`JobStore::create`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The job was stored.
    New,
    /// A job with the same idempotency key already exists; it is returned unchanged.
    Existing(Box<Job>),
}

/// Which jobs [`JobStore::list`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// Only this client's jobs (`input.client_name`).
    pub client: Option<String>,
    /// Only jobs created at or after this.
    pub created_since: Option<DateTime<Utc>>,
    /// Only jobs in the dead-letter list.
    pub dead_lettered: bool,
    /// At most this many (0: no limit).
    pub limit: usize,
}

impl JobQuery {
    /// Whether `job` passes the filters (adapters that cannot filter server-side use it).
    pub fn matches(&self, job: &Job) -> bool {
        self.client
            .as_ref()
            .is_none_or(|c| job.input.client_name.as_ref() == Some(c))
            && self.created_since.is_none_or(|t| job.created_at >= t)
            && (!self.dead_lettered || job.dead_letter.is_some())
    }
}

/// What a change given to [`JobStore::modify`](trait.JobStore.html#method.modify) decided
/// about the job it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<T> {
    /// Write the job as changed; `T` comes back with the stored job.
    Write(T),
    /// Write nothing; `T` comes back with the job as read.
    Keep(T),
}

/// How often [`JobStore::modify`](trait.JobStore.html#method.modify) reads again after
/// losing a write to a concurrent writer, before it reports the `Conflict`.
pub const MODIFY_ATTEMPTS: u32 = 10;

impl dyn JobStore + '_ {
    /// Reads job `id`, lets `change` decide on it and writes it back on its version. When a
    /// concurrent writer (a worker's checkpoint, a cancel) moved the version first, reads
    /// again and lets `change` decide again on the fresh copy, so a decision is always taken
    /// on the job as stored. Every read-modify-write of a job outside a worker's lease goes
    /// through here.
    pub async fn modify<T>(
        &self,
        id: &JobId,
        mut change: impl FnMut(&mut Job) -> Decision<T>,
    ) -> Result<(Job, T), StoreError> {
        for _ in 0..MODIFY_ATTEMPTS {
            let mut job = self.get(id).await?;
            match change(&mut job) {
                Decision::Keep(value) => return Ok((job, value)),
                Decision::Write(value) => {
                    job.updated_at = Utc::now();
                    match self.update(&job).await {
                        Ok(stored) => return Ok((stored, value)),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Err(StoreError::conflict(format!("job {id}")))
    }
}

/// Durable job records.
///
/// Semantics every adapter keeps:
/// - `get` is a point read by id (never a scan) and returns `NotFound` for an unknown id.
/// - `create` is create-if-absent, atomically on both the id and the idempotency key: when
///   `job.idempotency_key` is already taken, nothing is written and the existing job is
///   returned as [`Created::Existing`]; a taken id is a `Conflict`.
/// - `update` writes only if the stored version equals `job.version`, stores `version + 1`
///   and returns what was stored; otherwise `Conflict` (or `NotFound`). Two writers holding
///   the same version: exactly one wins.
/// - Records keep `expires_at`; ports with a TTL delete them after it, and `get` may still
///   return an expired record until then.
/// - `list` returns the jobs matching a [`JobQuery`], newest first, through an index (never
///   a full scan of every record on a store that can grow without bound).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Reads a job.
    async fn get(&self, id: &JobId) -> Result<Job, StoreError>;

    /// Reads job `id` unless it is still at version `seen`: `None` then (`NotFound` for an
    /// unknown id, as `get`). A poller that kept what it made of version `seen` learns in one
    /// point read that it still holds; adapters whose read costs the same with or without the
    /// record keep this default.
    async fn get_changed(&self, id: &JobId, seen: u64) -> Result<Option<Job>, StoreError> {
        let job = self.get(id).await?;
        Ok((job.version != seen).then_some(job))
    }

    /// A number that moves whenever a job may have changed, read without reading the store:
    /// at once for a write made through this store, and within a lag the adapter states for
    /// one made elsewhere (another process on the same database). A poller that kept what
    /// it made of a job, with the mark read before it read the job, need not read again
    /// while the mark has not moved. `None` (this default) where the adapter cannot tell
    /// without a read, as on DynamoDB.
    fn change_mark(&self) -> Option<u64> {
        None
    }

    /// Stores a new job unless its id or idempotency key is taken.
    async fn create(&self, job: &Job) -> Result<Created, StoreError>;

    /// Conditional write on `job.version`.
    async fn update(&self, job: &Job) -> Result<Job, StoreError>;

    /// Jobs matching `query`, newest first.
    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError>;

    /// Takes the lease for `owner` until `until`, unless another owner holds an unexpired one
    /// (`Conflict`). Renewing one's own lease always succeeds. Adapters may override this with
    /// a single conditional write; the default is read, check, conditional update.
    async fn acquire_lease(
        &self,
        id: &JobId,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        // A lost race on the version is retried: the loser re-reads and sees the winner's lease.
        for _ in 0..5 {
            let mut job = self.get(id).await?;
            if job.leased_by_other(owner, now) {
                return Err(StoreError::conflict(format!("lease on job {id}")));
            }
            job.lease = Some(Lease {
                owner: owner.to_owned(),
                until,
            });
            job.updated_at = now;
            match self.update(&job).await {
                Err(StoreError::Conflict { .. }) => continue,
                other => return other,
            }
        }
        Err(StoreError::conflict(format!("lease on job {id}")))
    }
}
