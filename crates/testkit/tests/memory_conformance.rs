//! The core's in-memory adapters against their ports' conformance suites, the same suites
//! the SQLite, filesystem and AWS adapters pass.

use drawings_core::memory::{MemoryBlobStore, MemoryJobQueue, MemoryJobStore};
use drawings_testkit::{QueuePair, blob_store_conformance, job_queue_conformance, job_store_conformance};
use std::sync::Arc;

#[tokio::test]
async fn memory_job_store_passes_conformance() {
    job_store_conformance(&MemoryJobStore::new()).await;
}

#[tokio::test]
async fn memory_job_queue_passes_conformance() {
    let dead = Arc::new(MemoryJobQueue::new());
    let pair = QueuePair {
        main: Arc::new(MemoryJobQueue::with_redrive(dead.clone(), 3)),
        dead,
        max_receives: 3,
    };
    job_queue_conformance(&pair).await;
}

#[tokio::test]
async fn memory_blob_store_passes_conformance() {
    blob_store_conformance(&MemoryBlobStore::new()).await;
}
