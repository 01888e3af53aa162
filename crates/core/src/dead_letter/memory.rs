//! In-memory ports for the dead-letter tests: a job store with the versioned writes of the
//! real ones, a queue that records the job's state at each send and can fail sends, and an
//! alert recorder. (The SQLite adapters live in a crate that depends on this one, so this
//! crate's own tests cannot use them.)

use crate::error::StoreError;
use crate::job::{Job, JobId};
use crate::pipeline::Backends;
use crate::ports::{
    Alert, BlobMeta, BlobStore, Created, Delivery, JobQuery, JobQueue, JobStore, Notifier, QueueMessage,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Jobs by id; `update` is conditional on the version, as every adapter's is.
#[derive(Default)]
pub(super) struct MemoryJobs {
    jobs: Mutex<HashMap<JobId, Job>>,
    /// Reads fail with a transient error while this is above zero (counting down).
    pub(super) failing_gets: AtomicU32,
}

impl MemoryJobs {
    /// The stored job, read without going through the port.
    pub(super) fn peek(&self, id: &JobId) -> Option<Job> {
        self.jobs.lock().unwrap().get(id).cloned()
    }

    /// Stores `job` as it is (version included), replacing any job with its id.
    pub(super) fn put(&self, job: Job) {
        self.jobs.lock().unwrap().insert(job.id.clone(), job);
    }
}

#[async_trait]
impl JobStore for MemoryJobs {
    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        let failing = self
            .failing_gets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(StoreError::transient("memory", "injected read failure"));
        }
        self.peek(id).ok_or_else(|| StoreError::not_found(format!("job {id}")))
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        let mut jobs = self.jobs.lock().unwrap();
        if jobs.contains_key(&job.id) {
            return Err(StoreError::conflict(format!("job {}", job.id)));
        }
        jobs.insert(job.id.clone(), job.clone());
        Ok(Created::New)
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        let mut jobs = self.jobs.lock().unwrap();
        let stored = jobs
            .get_mut(&job.id)
            .ok_or_else(|| StoreError::not_found(format!("job {}", job.id)))?;
        if stored.version != job.version {
            return Err(StoreError::conflict(format!("job {}", job.id)));
        }
        *stored = Job {
            version: job.version + 1,
            ..job.clone()
        };
        Ok(stored.clone())
    }

    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let mut found: Vec<Job> = self
            .jobs
            .lock()
            .unwrap()
            .values()
            .filter(|j| query.matches(j))
            .cloned()
            .collect();
        found.sort_by_key(|j| std::cmp::Reverse(j.created_at));
        if query.limit > 0 {
            found.truncate(query.limit);
        }
        Ok(found)
    }
}

struct Message {
    id: String,
    body: String,
    receive_count: u32,
    receipt: Option<String>,
    hidden: bool,
}

/// A queue: receives hide messages until deleted or made visible again.
pub(super) struct MemoryQueue {
    messages: Mutex<Vec<Message>>,
    /// The job store whose state each send records.
    jobs: Option<Arc<MemoryJobs>>,
    /// Each send, with the job as it was stored when the message went out.
    sent: Mutex<Vec<(QueueMessage, Option<Job>)>>,
    /// Sends fail with a transient error while this is above zero (counting down).
    pub(super) failing_sends: AtomicU32,
}

impl MemoryQueue {
    pub(super) fn new(jobs: Option<Arc<MemoryJobs>>) -> Self {
        MemoryQueue {
            messages: Mutex::new(Vec::new()),
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
        self.messages.lock().unwrap().len()
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn send(&self, message: &QueueMessage, _delay: Duration) -> Result<String, StoreError> {
        let failing = self
            .failing_sends
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(StoreError::transient("memory", "injected send failure"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let job = self.jobs.as_ref().and_then(|jobs| jobs.peek(&message.job_id));
        self.sent.lock().unwrap().push((message.clone(), job));
        self.messages.lock().unwrap().push(Message {
            id: id.clone(),
            body: serde_json::to_string(message).unwrap(),
            receive_count: 0,
            receipt: None,
            hidden: false,
        });
        Ok(id)
    }

    async fn receive(&self, max: u32, _visibility: Duration, _wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        let mut messages = self.messages.lock().unwrap();
        let mut out = Vec::new();
        for m in messages.iter_mut().filter(|m| !m.hidden).take(max as usize) {
            m.receive_count += 1;
            m.hidden = true;
            let receipt = uuid::Uuid::new_v4().to_string();
            m.receipt = Some(receipt.clone());
            out.push(Delivery {
                message_id: m.id.clone(),
                receipt,
                body: m.body.clone(),
                receive_count: m.receive_count,
                sent_at: Utc::now(),
            });
        }
        Ok(out)
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        self.messages
            .lock()
            .unwrap()
            .retain(|m| m.receipt.as_deref() != Some(receipt));
        Ok(())
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        for m in self.messages.lock().unwrap().iter_mut() {
            if m.receipt.as_deref() == Some(receipt) {
                m.hidden = !timeout.is_zero();
            }
        }
        Ok(())
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

/// Dead-letter operations touch no blob.
struct NoBlobs;

#[async_trait]
impl BlobStore for NoBlobs {
    async fn put(&self, key: &str, _body: Bytes, _content_type: &str) -> Result<(), StoreError> {
        Err(StoreError::permanent("memory", format!("no blobs here ({key})")))
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        Err(StoreError::not_found(key))
    }

    async fn head(&self, _key: &str) -> Result<Option<BlobMeta>, StoreError> {
        Ok(None)
    }

    async fn delete(&self, _key: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A stack in memory: its job store, work queue, dead-letter queue and alerts.
pub(super) struct Stack {
    pub(super) jobs: Arc<MemoryJobs>,
    pub(super) queue: Arc<MemoryQueue>,
    pub(super) dlq: Arc<MemoryQueue>,
    pub(super) alerts: Arc<Alerts>,
    pub(super) backends: Backends,
}

impl Stack {
    pub(super) fn new() -> Stack {
        let jobs = Arc::new(MemoryJobs::default());
        let queue = Arc::new(MemoryQueue::new(Some(jobs.clone())));
        let dlq = Arc::new(MemoryQueue::new(None));
        let alerts = Arc::new(Alerts::default());
        let backends = Backends {
            jobs: jobs.clone(),
            queue: queue.clone(),
            blobs: Arc::new(NoBlobs),
            notifier: alerts.clone(),
            notices: Arc::new(crate::ports::NoNotices),
        };
        Stack {
            jobs,
            queue,
            dlq,
            alerts,
            backends,
        }
    }
}
