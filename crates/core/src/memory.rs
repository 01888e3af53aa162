//! In-memory adapters of the storage ports, in the manner of object_store's `memory.rs`: a
//! job store, a queue with a redrive policy and a blob store that keep every rule their
//! port states (they pass the same conformance suites as SQLite and AWS, run from
//! `drawings-testkit`). They hold one process's state and lose it on exit: for tests (this
//! crate's own included, which cannot reach the SQLite adapters) and one-off tools.

use crate::error::StoreError;
use crate::job::{Job, JobId};
use crate::ports::{BlobCopy, BlobMeta, BlobStore, Created, Delivery, JobQuery, JobQueue, JobStore, QueueMessage};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// The guarded maps. No code here panics while holding a lock, so a poisoned one only means a
/// caller's thread died; its data is whole, and the other callers go on instead of panicking.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Job records by id, with idempotency keys and versioned writes.
#[derive(Debug, Default)]
pub struct MemoryJobStore {
    jobs: Mutex<HashMap<JobId, Job>>,
}

impl MemoryJobStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryJobStore::default()
    }

    /// The stored job, read without going through the port.
    pub fn peek(&self, id: &JobId) -> Option<Job> {
        locked(&self.jobs).get(id).cloned()
    }

    /// Stores `job` as it is, version included, replacing any job with its id: for tests that
    /// set up a state no sequence of writes through the port would reach quickly.
    pub fn insert(&self, job: Job) {
        locked(&self.jobs).insert(job.id.clone(), job);
    }
}

#[async_trait]
impl JobStore for MemoryJobStore {
    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        self.peek(id).ok_or_else(|| StoreError::not_found(format!("job {id}")))
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        let mut jobs = locked(&self.jobs);
        if let Some(key) = &job.idempotency_key
            && let Some(existing) = jobs.values().find(|j| j.idempotency_key.as_ref() == Some(key))
        {
            return Ok(Created::Existing(Box::new(existing.clone())));
        }
        if jobs.contains_key(&job.id) {
            return Err(StoreError::conflict(format!("job {}", job.id)));
        }
        jobs.insert(job.id.clone(), job.clone());
        Ok(Created::New)
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        let mut jobs = locked(&self.jobs);
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
        let jobs = locked(&self.jobs);
        let mut found: Vec<Job> = jobs.values().filter(|j| query.matches(j)).cloned().collect();
        found.sort_by_key(|j| std::cmp::Reverse(j.created_at));
        if query.limit > 0 {
            found.truncate(query.limit);
        }
        Ok(found)
    }
}

#[derive(Debug)]
struct Message {
    id: String,
    body: String,
    sent_at: DateTime<Utc>,
    visible_at: Instant,
    receive_count: u32,
    receipt: Option<String>,
}

/// A queue with SQS's semantics: delays, visibility timeouts, receive counts and, with a
/// redrive policy, a move to the dead-letter queue after `max_receives` receives.
#[derive(Debug, Default)]
pub struct MemoryJobQueue {
    messages: Mutex<Vec<Message>>,
    redrive: Option<(Arc<MemoryJobQueue>, u32)>,
}

impl MemoryJobQueue {
    /// A queue without a dead-letter queue.
    pub fn new() -> Self {
        MemoryJobQueue::default()
    }

    /// A queue whose messages move to `dead` once received `max_receives` times.
    pub fn with_redrive(dead: Arc<MemoryJobQueue>, max_receives: u32) -> Self {
        MemoryJobQueue {
            messages: Mutex::new(Vec::new()),
            redrive: Some((dead, max_receives.max(1))),
        }
    }

    /// Messages on the queue, hidden or not.
    pub fn len(&self) -> usize {
        locked(&self.messages).len()
    }

    /// Whether the queue holds no message at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn take_visible(&self, max: u32, visibility: Duration) -> Vec<Delivery> {
        let now = Instant::now();
        let mut messages = locked(&self.messages);
        let mut out = Vec::new();
        let mut index = 0;
        while index < messages.len() && out.len() < max as usize {
            if messages[index].visible_at > now {
                index += 1;
                continue;
            }
            if let Some((dead, max_receives)) = &self.redrive
                && messages[index].receive_count >= *max_receives
            {
                let mut moved = messages.remove(index);
                moved.visible_at = now;
                moved.receipt = None;
                locked(&dead.messages).push(moved);
                continue;
            }
            let m = &mut messages[index];
            m.receive_count += 1;
            m.visible_at = now + visibility;
            let receipt = uuid::Uuid::new_v4().simple().to_string();
            m.receipt = Some(receipt.clone());
            out.push(Delivery {
                message_id: m.id.clone(),
                receipt,
                body: m.body.clone(),
                receive_count: m.receive_count,
                sent_at: m.sent_at,
            });
            index += 1;
        }
        out
    }
}

#[async_trait]
impl JobQueue for MemoryJobQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError> {
        let body = serde_json::to_string(message).map_err(|e| StoreError::permanent("memory", e))?;
        let id = uuid::Uuid::new_v4().to_string();
        locked(&self.messages).push(Message {
            id: id.clone(),
            body,
            sent_at: Utc::now(),
            visible_at: Instant::now() + delay,
            receive_count: 0,
            receipt: None,
        });
        Ok(id)
    }

    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        let until = Instant::now() + wait;
        loop {
            let got = self.take_visible(max.max(1), visibility);
            if !got.is_empty() || Instant::now() >= until {
                return Ok(got);
            }
            tokio::time::sleep(Duration::from_millis(20).min(until - Instant::now())).await;
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        let mut messages = locked(&self.messages);
        messages.retain(|m| m.receipt.as_deref() != Some(receipt));
        Ok(())
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        let mut messages = locked(&self.messages);
        match messages.iter_mut().find(|m| m.receipt.as_deref() == Some(receipt)) {
            Some(m) => {
                m.visible_at = Instant::now() + timeout;
                Ok(())
            }
            None => Err(StoreError::not_found(format!("receipt {receipt}"))),
        }
    }
}

/// Blobs by key. It hands out no presigned links: clients read results through the API.
#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<BTreeMap<String, Bytes>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryBlobStore::default()
    }

    /// Every key stored, in order.
    pub fn keys(&self) -> Vec<String> {
        locked(&self.blobs).keys().cloned().collect()
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<(), StoreError> {
        locked(&self.blobs).insert(key.to_owned(), body);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let blobs = locked(&self.blobs);
        blobs
            .get(key)
            .cloned()
            .ok_or_else(|| StoreError::not_found(format!("blob {key}")))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        let blobs = locked(&self.blobs);
        Ok(blobs.get(key).map(|b| BlobMeta { size: b.len() as u64 }))
    }

    /// Under one lock, so the copy is of one version of the source.
    async fn copy_at_most(
        &self,
        from: &str,
        to: &str,
        limit: u64,
        _content_type: &str,
    ) -> Result<BlobCopy, StoreError> {
        let mut blobs = locked(&self.blobs);
        let body = blobs
            .get(from)
            .cloned()
            .ok_or_else(|| StoreError::not_found(format!("blob {from}")))?;
        if body.len() as u64 > limit {
            return Ok(BlobCopy::TooLarge);
        }
        let copied = BlobCopy::Copied {
            size: body.len() as u64,
            sha256: hex::encode(Sha256::digest(&body)),
        };
        blobs.insert(to.to_owned(), body);
        Ok(copied)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        locked(&self.blobs).remove(key);
        Ok(())
    }
}
