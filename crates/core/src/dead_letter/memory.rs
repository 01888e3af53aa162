//! The dead-letter tests' stack: the in-memory adapters ([`crate::memory`]) with the two
//! faults those tests inject, reads of the job store and sends to the work queue that fail
//! on demand, and a work queue that records the job's stored state at each send (a redrive
//! must checkpoint the job before its message goes out).

use crate::error::StoreError;
use crate::job::{Job, JobId};
use crate::memory::{MemoryBlobStore, MemoryJobQueue, MemoryJobStore};
use crate::ports::{Alert, Created, Delivery, JobQuery, JobQueue, JobStore, Notifier, Ports, QueueMessage};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Takes one from `n` if it is above zero: whether an injected fault fires now.
fn fires(n: &AtomicU32) -> bool {
    n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// The memory job store, whose reads fail while `failing_gets` is above zero.
#[derive(Default)]
pub(super) struct MemoryJobs {
    store: MemoryJobStore,
    /// Reads fail with a transient error while this is above zero (counting down).
    pub(super) failing_gets: AtomicU32,
}

impl MemoryJobs {
    /// The stored job, read without going through the port.
    pub(super) fn peek(&self, id: &JobId) -> Option<Job> {
        self.store.peek(id)
    }

    /// Stores `job` as it is (version included), replacing any job with its id.
    pub(super) fn put(&self, job: Job) {
        self.store.insert(job);
    }
}

#[async_trait]
impl JobStore for MemoryJobs {
    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        if fires(&self.failing_gets) {
            return Err(StoreError::transient("memory", "injected read failure"));
        }
        self.store.get(id).await
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        self.store.create(job).await
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        self.store.update(job).await
    }

    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        self.store.list(query).await
    }
}

/// The memory queue, recording each send with the job as stored at that moment, and whose
/// sends fail while `failing_sends` is above zero.
pub(super) struct MemoryQueue {
    queue: MemoryJobQueue,
    jobs: Option<Arc<MemoryJobs>>,
    sent: Mutex<Vec<(QueueMessage, Option<Job>)>>,
    /// Sends fail with a transient error while this is above zero (counting down).
    pub(super) failing_sends: AtomicU32,
}

impl MemoryQueue {
    pub(super) fn new(jobs: Option<Arc<MemoryJobs>>) -> Self {
        MemoryQueue {
            queue: MemoryJobQueue::new(),
            jobs,
            sent: Mutex::new(Vec::new()),
            failing_sends: AtomicU32::new(0),
        }
    }

    /// Every successful send, with the job's stored state at that moment.
    pub(super) fn sent(&self) -> Vec<(QueueMessage, Option<Job>)> {
        self.sent.lock().unwrap().clone()
    }

    /// Messages still on the queue, hidden or not.
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError> {
        if fires(&self.failing_sends) {
            return Err(StoreError::transient("memory", "injected send failure"));
        }
        let id = self.queue.send(message, delay).await?;
        let job = self.jobs.as_ref().and_then(|jobs| jobs.peek(&message.job_id));
        self.sent.lock().unwrap().push((message.clone(), job));
        Ok(id)
    }

    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        self.queue.receive(max, visibility, wait).await
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        self.queue.delete(receipt).await
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        self.queue.set_visibility(receipt, timeout).await
    }
}

/// Keeps the alerts it is sent.
#[derive(Default)]
pub(super) struct Alerts(pub(super) Mutex<Vec<Alert>>);

#[async_trait]
impl Notifier for Alerts {
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

/// A stack in memory: its job store, work queue, dead-letter queue and alerts.
pub(super) struct Stack {
    pub(super) jobs: Arc<MemoryJobs>,
    pub(super) queue: Arc<MemoryQueue>,
    pub(super) dlq: Arc<MemoryQueue>,
    pub(super) alerts: Arc<Alerts>,
    pub(super) ports: Ports,
}

impl Stack {
    pub(super) fn new() -> Stack {
        let jobs = Arc::new(MemoryJobs::default());
        let queue = Arc::new(MemoryQueue::new(Some(jobs.clone())));
        let dlq = Arc::new(MemoryQueue::new(None));
        let alerts = Arc::new(Alerts::default());
        let ports = Ports {
            jobs: jobs.clone(),
            queue: queue.clone(),
            blobs: Arc::new(MemoryBlobStore::new()),
            alerts: alerts.clone(),
            callbacks: Arc::new(crate::ports::NoNotices),
        };
        Stack {
            jobs,
            queue,
            dlq,
            alerts,
            ports,
        }
    }
}
