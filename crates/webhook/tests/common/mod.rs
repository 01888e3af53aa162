//! What the webhook tests share: a DNS that answers what a test says, and finished jobs.
//! Receivers on 127.0.0.1 are the testkit's (`drawings_testkit::receiver`), shared with the
//! end-to-end notice tests.
#![allow(dead_code)]

use async_trait::async_trait;
use drawings_core::ports::BlobStore;
use drawings_core::{Job, JobStatus};
use drawings_local::FsBlobStore;
use drawings_webhook::Lookup;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A DNS answering every name with `answer`, counting the questions.
pub struct FixedDns {
    pub answer: Vec<IpAddr>,
    pub asked: AtomicUsize,
}

impl FixedDns {
    pub fn new(answer: &[&str]) -> Arc<Self> {
        Arc::new(FixedDns {
            answer: answer.iter().map(|a| a.parse().unwrap()).collect(),
            asked: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Lookup for FixedDns {
    async fn lookup(&self, _host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.answer.clone())
    }
}

/// A blob store in a temporary directory (kept alive by the returned guard).
pub fn blobs() -> (Arc<dyn BlobStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Arc::new(FsBlobStore::new(dir.path()).unwrap()), dir)
}

/// A completed job whose notice goes to `url`.
pub fn completed_job(url: &str) -> Job {
    let mut job = drawings_testkit::full_job();
    job.status = JobStatus::Completed;
    job.input.callback_url = Some(url.to_owned());
    job
}
