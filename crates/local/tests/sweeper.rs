//! The embedded expiry sweeper: expired jobs go with every blob under `jobs/{id}/`, live ones
//! stay untouched.

use bytes::Bytes;
use chrono::{Duration, Utc};
use drawings_core::ErrorClass;
use drawings_core::ports::{BlobStore, JobStore};
use drawings_core::{Job, JobId};
use drawings_local::sweeper::{SweepReport, Sweeper};
use drawings_local::{Database, FsBlobStore, SqliteJobStore};
use drawings_testkit::sample_job;

struct Stores {
    _dir: tempfile::TempDir,
    jobs: SqliteJobStore,
    blobs: FsBlobStore,
}

fn stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let jobs = SqliteJobStore::new(Database::open(dir.path().join("db.sqlite3")).unwrap());
    let blobs = FsBlobStore::new(dir.path().join("blobs")).unwrap();
    Stores { _dir: dir, jobs, blobs }
}

/// A few of a job's files.
fn files(job: &Job) -> [String; 3] {
    let files = job.id.files();
    [files.input(), files.page_image(0), files.page_analysis(0)]
}

/// A job expiring `in_days` from now (negative: already expired), with a few blobs.
async fn job_with_blobs(s: &Stores, in_days: i64) -> Job {
    let mut job = sample_job();
    job.expires_at = Utc::now() + Duration::days(in_days);
    s.jobs.create(&job).await.unwrap();
    for key in files(&job) {
        s.blobs
            .put(&key, Bytes::from_static(b"x"), "application/octet-stream")
            .await
            .unwrap();
    }
    job
}

fn sweeper(s: &Stores) -> Sweeper {
    Sweeper::new(s.jobs.clone(), s.blobs.clone(), std::time::Duration::from_secs(600))
}

fn folder(s: &Stores, id: &JobId) -> std::path::PathBuf {
    s.blobs.root().join("jobs").join(id.as_str())
}

#[tokio::test]
async fn an_expired_job_is_deleted_with_every_blob_and_a_live_one_is_kept() {
    let s = stores();
    let expired = job_with_blobs(&s, -1).await;
    let live = job_with_blobs(&s, 29).await;

    let report = sweeper(&s).sweep(Utc::now()).await.unwrap();

    assert_eq!(report, SweepReport { deleted: 1, failed: 0 });
    let gone = s.jobs.get(&expired.id).await.unwrap_err();
    assert_eq!(gone.class(), ErrorClass::NotFound);
    assert!(
        !folder(&s, &expired.id).exists(),
        "the expired job's blob folder must be gone"
    );
    assert_eq!(s.jobs.get(&live.id).await.unwrap().id, live.id);
    for key in files(&live) {
        assert!(s.blobs.head(&key).await.unwrap().is_some(), "{key}");
    }
}

#[tokio::test]
async fn a_sweep_with_nothing_expired_does_nothing_and_a_second_sweep_finds_nothing_left() {
    let s = stores();
    job_with_blobs(&s, 1).await;
    assert_eq!(sweeper(&s).sweep(Utc::now()).await.unwrap(), SweepReport::default());
    job_with_blobs(&s, -2).await;
    assert_eq!(sweeper(&s).sweep(Utc::now()).await.unwrap().deleted, 1);
    assert_eq!(sweeper(&s).sweep(Utc::now()).await.unwrap(), SweepReport::default());
}

#[tokio::test]
async fn more_expired_jobs_than_one_batch_are_all_deleted_in_one_sweep() {
    let s = stores();
    for _ in 0..105 {
        let mut job = sample_job();
        job.expires_at = Utc::now() - Duration::hours(1);
        s.jobs.create(&job).await.unwrap();
    }
    assert_eq!(sweeper(&s).sweep(Utc::now()).await.unwrap().deleted, 105);
}

#[tokio::test]
async fn a_record_whose_ttl_was_extended_is_not_deleted() {
    let s = stores();
    let job = job_with_blobs(&s, 1).await;
    let before_expiry = Utc::now();
    assert!(!s.jobs.delete_expired(&job.id, before_expiry).await.unwrap());
    assert!(s.jobs.expired(before_expiry, 10).await.unwrap().is_empty());
    let after_expiry = Utc::now() + Duration::days(2);
    assert_eq!(s.jobs.expired(after_expiry, 10).await.unwrap(), vec![job.id.clone()]);
    assert!(s.jobs.delete_expired(&job.id, after_expiry).await.unwrap());
}

#[tokio::test]
async fn deleting_a_prefix_removes_only_that_folder_and_needs_a_trailing_slash() {
    let s = stores();
    let a = job_with_blobs(&s, 1).await;
    let b = job_with_blobs(&s, 1).await;
    s.blobs.delete_prefix(&a.id.files().prefix()).await.unwrap();
    assert!(!folder(&s, &a.id).exists());
    assert!(s.blobs.head(&b.id.files().input()).await.unwrap().is_some());
    // Already gone: fine.
    s.blobs.delete_prefix(&a.id.files().prefix()).await.unwrap();
    let err = s.blobs.delete_prefix("jobs/x").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid);
    let err = s.blobs.delete_prefix("../").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid);
}
