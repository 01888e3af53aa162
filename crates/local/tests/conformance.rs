//! Every embedded adapter against its port's conformance suite from `drawings-testkit`.

use drawings_local::{Database, FsBlobStore, LogNotifier, RedrivePolicy, SqliteJobQueue, SqliteJobStore};
use drawings_testkit::{
    QueuePair, blob_store_conformance, job_queue_conformance, job_store_conformance, notifier_conformance,
};
use std::sync::Arc;

#[tokio::test]
async fn sqlite_job_store_on_a_file_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("drawings.db")).unwrap();
    job_store_conformance(&SqliteJobStore::new(db)).await;
}

#[tokio::test]
async fn sqlite_job_store_in_memory_passes_conformance() {
    job_store_conformance(&SqliteJobStore::new(Database::open_in_memory().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_job_queue_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("drawings.db")).unwrap();
    let pair = QueuePair {
        main: Arc::new(SqliteJobQueue::new(
            db.clone(),
            "jobs",
            Some(RedrivePolicy::new("jobs-dlq", 3)),
        )),
        dead: Arc::new(SqliteJobQueue::new(db, "jobs-dlq", None)),
        max_receives: 3,
    };
    job_queue_conformance(&pair).await;
}

#[tokio::test]
async fn fs_blob_store_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    blob_store_conformance(&FsBlobStore::new(dir.path().join("blobs")).unwrap()).await;
}

#[tokio::test]
async fn log_notifier_passes_conformance() {
    notifier_conformance(&LogNotifier::new()).await;
}
