//! `GET /status/{job_id}` answers the job as stored now, though the router keeps its answers
//! between polls: a write through the same store shows on the next poll, a write by another
//! process on the same database file within the store's stated lag, and the body and headers
//! of an unchanged job are those of a fresh read.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use drawings_api::router;
use drawings_core::intake::IntakeConfig;
use drawings_core::ports::{JobStore, NoNotices, Ports};
use drawings_core::{Job, JobStatus, Stage};
use drawings_local::{CHANGE_MARK_LAG, Database, FsBlobStore, LogNotifier, SqliteJobQueue, SqliteJobStore};
use drawings_testkit::sample_job;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// The body and `Retry-After` of a poll of `job`.
async fn poll(app: &Router, job: &Job) -> (Value, Option<String>) {
    let request = Request::get(format!("/status/{}", job.id)).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (serde_json::from_slice(&bytes).unwrap(), retry)
}

fn ports_on(db: Database, blobs: &tempfile::TempDir) -> Ports {
    Ports {
        jobs: Arc::new(SqliteJobStore::new(db.clone())),
        queue: Arc::new(SqliteJobQueue::new(db, "jobs", None)),
        blobs: Arc::new(FsBlobStore::new(blobs.path()).unwrap()),
        alerts: Arc::new(LogNotifier::new()),
        callbacks: Arc::new(NoNotices),
    }
}

/// `job` moved on to the processing stage, as a worker would write it.
fn processing(mut job: Job) -> Job {
    job.status = JobStatus::Processing;
    job.current_stage = Some(Stage::Validation);
    job.attempts = 1;
    job
}

#[tokio::test]
async fn a_write_through_the_same_store_shows_on_the_very_next_poll() {
    let dir = tempfile::tempdir().unwrap();
    let ports = ports_on(Database::open_in_memory().unwrap(), &dir);
    let app = router(common::state(&ports, IntakeConfig::default()));
    let job = sample_job();
    ports.jobs.create(&job).await.unwrap();

    let (first, retry) = poll(&app, &job).await;
    assert_eq!(
        (first["status"].as_str(), retry.as_deref()),
        (Some("queued"), Some("5"))
    );
    let (again, _) = poll(&app, &job).await;
    assert_eq!(again, first, "an unchanged job must be answered the same");

    let stored = ports.jobs.update(&processing(job.clone())).await.unwrap();
    let (now, retry) = poll(&app, &stored).await;
    assert_eq!(now["status"], "processing", "{now}");
    assert_eq!(now["attempts"], 1, "{now}");
    assert_eq!(retry.as_deref(), Some("2"));
}

#[tokio::test]
async fn a_write_by_another_process_on_the_same_file_shows_within_the_stores_lag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let ports = ports_on(Database::open(&path).unwrap(), &dir);
    let app = router(common::state(&ports, IntakeConfig::default()));
    // Another process: its own connections to the same file, none shared with the router's.
    let elsewhere = SqliteJobStore::new(Database::open(&path).unwrap());
    let job = sample_job();
    elsewhere.create(&job).await.unwrap();

    for _ in 0..3 {
        assert_eq!(poll(&app, &job).await.0["status"], "queued");
    }
    elsewhere.update(&processing(job.clone())).await.unwrap();
    tokio::time::sleep(CHANGE_MARK_LAG * 3).await;
    let (now, retry) = poll(&app, &job).await;
    assert_eq!(now["status"], "processing", "{now}");
    assert_eq!(retry.as_deref(), Some("2"));
}
