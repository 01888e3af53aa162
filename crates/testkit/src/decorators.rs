//! Decorators that wrap a real adapter to count calls or inject failures, for tests of
//! retries and resumption. They add behaviour around the real thing; they replace nothing.

use async_trait::async_trait;
use bytes::Bytes;
use drawings_core::StoreError;
use drawings_core::ports::{
    Alert, AnalyzeError, Analyzer, BlobCopy, BlobMeta, BlobStore, Notifier, PageAnalysis, PageInput,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Counts `analyze_page` calls per page of the analyzer it wraps.
pub struct CountingAnalyzer<A> {
    inner: A,
    calls: Mutex<Vec<u32>>,
}

impl<A> CountingAnalyzer<A> {
    /// Wraps `inner`.
    pub fn new(inner: A) -> Self {
        CountingAnalyzer {
            inner,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Pages asked for, in call order (0-based).
    pub fn calls(&self) -> Vec<u32> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl<A: Analyzer> Analyzer for CountingAnalyzer<A> {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn needs_image(&self) -> bool {
        self.inner.needs_image()
    }

    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(input.page);
        }
        self.inner.analyze_page(input).await
    }
}

/// Which blob operation a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOp {
    /// `put`.
    Put,
    /// `get`.
    Get,
}

/// Fails the first `times` matching calls (`u32::MAX`: always) with a transient error, then
/// passes through to the wrapped store.
pub struct FailingBlobStore<B> {
    inner: B,
    op: BlobOp,
    key_suffix: String,
    remaining: AtomicU32,
}

impl<B> FailingBlobStore<B> {
    /// Fails `op` on keys ending with `key_suffix`, `times` times.
    pub fn new(inner: B, op: BlobOp, key_suffix: &str, times: u32) -> Self {
        FailingBlobStore {
            inner,
            op,
            key_suffix: key_suffix.to_owned(),
            remaining: AtomicU32::new(times),
        }
    }

    fn should_fail(&self, op: BlobOp, key: &str) -> bool {
        op == self.op
            && key.ends_with(&self.key_suffix)
            && self
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n > 0).then(|| n.saturating_sub(u32::from(n != u32::MAX)))
                })
                .is_ok()
    }

    fn fault(key: &str) -> StoreError {
        StoreError::transient("fault-injection", format!("injected failure on {key}"))
    }
}

#[async_trait]
impl<B: BlobStore> BlobStore for FailingBlobStore<B> {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        if self.should_fail(BlobOp::Put, key) {
            return Err(Self::fault(key));
        }
        self.inner.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        if self.should_fail(BlobOp::Get, key) {
            return Err(Self::fault(key));
        }
        self.inner.get(key).await
    }

    /// A bounded read is a `get` for the faults.
    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        if self.should_fail(BlobOp::Get, key) {
            return Err(Self::fault(key));
        }
        self.inner.get_at_most(key, limit).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        self.inner.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }

    /// A copy is a `get` of its source and a `put` of its target for the faults.
    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        if self.should_fail(BlobOp::Get, from) {
            return Err(Self::fault(from));
        }
        if self.should_fail(BlobOp::Put, to) {
            return Err(Self::fault(to));
        }
        self.inner.copy_at_most(from, to, limit, content_type).await
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        self.inner.presign_get(key, ttl).await
    }
}

/// Keeps every alert it is sent (and forwards nothing): the test reads them back.
#[derive(Default)]
pub struct RecordingNotifier {
    alerts: Mutex<Vec<Alert>>,
}

impl RecordingNotifier {
    /// Alerts received so far.
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError> {
        if let Ok(mut alerts) = self.alerts.lock() {
            alerts.push(alert.clone());
        }
        Ok(())
    }
}
