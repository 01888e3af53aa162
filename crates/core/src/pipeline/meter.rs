//! What one delivery uses: its wall time from claim to last write, and the requests it makes,
//! counted by wrappers around the ports that live as long as the delivery. The last write
//! of a delivery ([`JobHandle::settle`](super::JobHandle::settle)) adds both to the job's
//! [`JobCost`](crate::cost::JobCost), priced. A delivery whose last write fails is not
//! charged (its message comes back, and the next delivery is).

use crate::capacity::{read_units, write_units};
use crate::cost::{CostSettings, Measured, RequestCounts};
use crate::error::StoreError;
use crate::job::{Job, JobId};
use crate::ports::Ports;
use crate::ports::{BlobCopy, BlobMeta, BlobStore, Created, Delivery, JobQuery, JobQueue, JobStore, QueueMessage};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests counted so far, by kind.
#[derive(Debug, Default)]
struct Counter {
    blob_put: AtomicU64,
    blob_get: AtomicU64,
    job_read: AtomicU64,
    job_write: AtomicU64,
    read_units: AtomicU64,
    write_units: AtomicU64,
    queue: AtomicU64,
}

fn bump(n: &AtomicU64, by: u64) {
    n.fetch_add(by, Ordering::Relaxed);
}

impl Counter {
    fn read(&self, job: &Job) {
        bump(&self.job_read, 1);
        bump(&self.read_units, read_units(job));
    }

    fn write(&self, job: &Job) {
        bump(&self.job_write, 1);
        bump(&self.write_units, write_units(job));
    }

    fn take(&self) -> RequestCounts {
        let take = |n: &AtomicU64| n.swap(0, Ordering::Relaxed);
        RequestCounts {
            invocations: 0,
            blob_put: take(&self.blob_put),
            blob_get: take(&self.blob_get),
            job_read: take(&self.job_read),
            job_write: take(&self.job_write),
            read_units: take(&self.read_units),
            write_units: take(&self.write_units),
            queue: take(&self.queue),
        }
    }
}

/// The running measure of one delivery.
#[derive(Debug)]
pub struct DeliveryMeter {
    counter: Arc<Counter>,
    started: Instant,
    since: Mutex<Instant>,
    /// The invocation and the runtime's own receive and delete (or visibility change) of the
    /// message, charged once per delivery.
    fixed: Mutex<Option<RequestCounts>>,
    settings: CostSettings,
}

impl DeliveryMeter {
    /// Starts measuring now.
    pub(crate) fn start(settings: CostSettings) -> Arc<DeliveryMeter> {
        let now = Instant::now();
        Arc::new(DeliveryMeter {
            counter: Arc::default(),
            started: now,
            since: Mutex::new(now),
            fixed: Mutex::new(Some(RequestCounts {
                invocations: 1,
                queue: 2,
                ..RequestCounts::default()
            })),
            settings,
        })
    }

    /// Time since the delivery started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// How the use is priced.
    pub(crate) fn settings(&self) -> &CostSettings {
        &self.settings
    }

    /// The use since the last take, plus one write of `record` (the write about to carry it).
    pub(crate) fn take(&self, record: &Job) -> Measured {
        let now = Instant::now();
        let since = std::mem::replace(&mut *self.since.lock().unwrap_or_else(|e| e.into_inner()), now);
        let mut requests = self.counter.take();
        if let Some(fixed) = self.fixed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            requests += fixed;
        }
        requests.job_write += 1;
        requests.write_units += write_units(record);
        Measured {
            compute_seconds: now.duration_since(since).as_secs_f64(),
            requests,
        }
    }

    /// Forgets what was counted since the last take: the write that carried it (already
    /// charged by [`DeliveryMeter::take`]).
    pub(crate) fn settled(&self) {
        self.counter.take();
    }

    /// `ports` with every job-store, queue and blob request counted by this meter.
    pub(crate) fn wrap(&self, ports: &Ports) -> Ports {
        let counter = &self.counter;
        Ports {
            jobs: Arc::new(CountingJobs(ports.jobs.clone(), counter.clone())),
            queue: Arc::new(CountingQueue(ports.queue.clone(), counter.clone())),
            blobs: Arc::new(CountingBlobs(ports.blobs.clone(), counter.clone())),
            ..ports.clone()
        }
    }
}

struct CountingJobs(Arc<dyn JobStore>, Arc<Counter>);

#[async_trait]
impl JobStore for CountingJobs {
    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        let job = self.0.get(id).await;
        match &job {
            Ok(j) => self.1.read(j),
            Err(_) => {
                bump(&self.1.job_read, 1);
                bump(&self.1.read_units, 1);
            }
        }
        job
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        self.1.write(job);
        self.0.create(job).await
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        self.1.write(job);
        self.0.update(job).await
    }

    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let jobs = self.0.list(query).await?;
        bump(&self.1.job_read, 1);
        bump(&self.1.read_units, jobs.iter().map(read_units).sum::<u64>().max(1));
        Ok(jobs)
    }

    async fn acquire_lease(
        &self,
        id: &JobId,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let job = self.0.acquire_lease(id, owner, until, now).await;
        match &job {
            Ok(j) => self.1.write(j),
            Err(_) => {
                bump(&self.1.job_write, 1);
                bump(&self.1.write_units, 1);
            }
        }
        job
    }
}

struct CountingQueue(Arc<dyn JobQueue>, Arc<Counter>);

#[async_trait]
impl JobQueue for CountingQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError> {
        bump(&self.1.queue, 1);
        self.0.send(message, delay).await
    }

    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        bump(&self.1.queue, 1);
        self.0.receive(max, visibility, wait).await
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        bump(&self.1.queue, 1);
        self.0.delete(receipt).await
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        bump(&self.1.queue, 1);
        self.0.set_visibility(receipt, timeout).await
    }
}

struct CountingBlobs(Arc<dyn BlobStore>, Arc<Counter>);

#[async_trait]
impl BlobStore for CountingBlobs {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        bump(&self.1.blob_put, 1);
        self.0.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        bump(&self.1.blob_get, 1);
        self.0.get(key).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        bump(&self.1.blob_get, 1);
        self.0.head(key).await
    }

    /// A `HeadObject` and a `CopyObject` (billed as a PUT) on S3.
    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        bump(&self.1.blob_get, 1);
        bump(&self.1.blob_put, 1);
        self.0.copy_at_most(from, to, limit, content_type).await
    }

    /// Free on S3.
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        self.0.presign_get(key, ttl).await
    }

    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        self.0.presign_put(key, ttl).await
    }
}
