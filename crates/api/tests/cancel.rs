//! `DELETE /jobs/{job_id}` and the `callback_url` of `POST /process-drawing`, through the
//! router on the embedded adapters. No worker runs: submitted jobs stay queued until the test
//! moves them.

mod common;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use drawings_api::router;
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_core::ports::CompletionNotifier;
use drawings_core::{Job, JobId, JobStatus};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// Keeps the jobs it is told about.
#[derive(Default)]
struct Notices(Mutex<Vec<Job>>);

#[async_trait]
impl CompletionNotifier for Notices {
    async fn job_finished(&self, job: &Job) {
        self.0.lock().unwrap().push(job.clone());
    }
}

struct Harness {
    app: Router,
    ports: Ports,
    notices: Arc<Notices>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let notices = Arc::new(Notices::default());
        let ports = Ports {
            callbacks: notices.clone(),
            ..common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()))
        };
        let state = common::state(&ports, IntakeConfig::default());
        Harness {
            app: router(state),
            ports,
            notices,
            _dir: dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn submit(&self, callback_url: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::post("/process-drawing").header("content-type", "application/pdf");
        if let Some(url) = callback_url {
            request = request.header("x-callback-url", url);
        }
        self.send(request.body(Body::from(PDF)).unwrap()).await
    }

    async fn queued_job(&self) -> JobId {
        let (status, body) = self.submit(None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        JobId::parse(body["job_id"].as_str().unwrap()).unwrap()
    }

    async fn delete(&self, id: &str) -> (StatusCode, Value) {
        self.send(Request::delete(format!("/jobs/{id}")).body(Body::empty()).unwrap())
            .await
    }

    async fn job(&self, id: &JobId) -> Job {
        self.ports.jobs.get(id).await.unwrap()
    }
}

#[tokio::test]
async fn delete_cancels_a_queued_job_and_answers_its_cancelled_status() {
    let h = Harness::new();
    let id = h.queued_job().await;
    let (status, body) = h.delete(id.as_str()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["job_id"], id.as_str());
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["error"]["code"], "CANCELLED");
    assert_eq!(body["error"]["message"], "cancelled by the client");
    let (_, polled) = h
        .send(Request::get(format!("/status/{id}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(polled["status"], "cancelled", "GET /status must show the cancellation");
    let job = h.job(&id).await;
    assert_eq!((job.status, job.lease), (JobStatus::Cancelled, None));
}

#[tokio::test]
async fn cancelling_twice_answers_200_again_without_writing_or_notifying_again() {
    let h = Harness::new();
    let id = h.queued_job().await;
    let (_, first) = h.delete(id.as_str()).await;
    let version = h.job(&id).await.version;
    let (status, second) = h.delete(id.as_str()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second, first, "an idempotent cancel answers the same status");
    assert_eq!(h.job(&id).await.version, version, "nothing is written the second time");
    let notices = h.notices.0.lock().unwrap().clone();
    assert_eq!(notices.len(), 1, "one notice per cancellation, not per request");
    assert_eq!(notices[0].status, JobStatus::Cancelled);
}

#[tokio::test]
async fn a_completed_or_failed_job_cannot_be_cancelled() {
    let h = Harness::new();
    for status in [JobStatus::Completed, JobStatus::Failed] {
        let id = h.queued_job().await;
        let mut job = h.job(&id).await;
        job.status = status;
        h.ports.jobs.update(&job).await.unwrap();
        let (code, body) = h.delete(id.as_str()).await;
        assert_eq!(code, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "JOB_FINISHED");
        assert_eq!(body["error"]["details"]["status"], status.as_str());
        assert_eq!(h.job(&id).await.status, status, "a finished job stays as it was");
    }
    assert!(h.notices.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_and_malformed_job_ids_are_404() {
    let h = Harness::new();
    for id in [JobId::generate().to_string(), "not-a-job".to_owned()] {
        let (status, body) = h.delete(&id).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_valid_callback_url_is_stored_with_the_job() {
    let h = Harness::new();
    let url = "https://hooks.example.com/drawings?token=abc";
    let (status, body) = h.submit(Some(url)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = JobId::parse(body["job_id"].as_str().unwrap()).unwrap();
    assert_eq!(h.job(&id).await.input.callback_url.as_deref(), Some(url));

    let boundary = "XyZ";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"callback_url\"\r\n\r\nhttps://hooks.example.com/multipart\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"drawing_file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n{}\r\n--{boundary}--\r\n",
        String::from_utf8_lossy(PDF)
    );
    let request = Request::post("/process-drawing")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(form))
        .unwrap();
    let (status, body) = h.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = JobId::parse(body["job_id"].as_str().unwrap()).unwrap();
    assert_eq!(
        h.job(&id).await.input.callback_url.as_deref(),
        Some("https://hooks.example.com/multipart"),
        "the multipart field is stored like the header"
    );
}

#[tokio::test]
async fn an_invalid_callback_url_is_refused_before_a_job_exists() {
    let h = Harness::new();
    let too_long = format!("https://example.com/{}", "a".repeat(2048));
    for url in [
        "http://example.com/hook",
        "ftp://example.com/",
        "hooks.example.com",
        too_long.as_str(),
    ] {
        let (status, body) = h.submit(Some(url)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("callback_url"),
            "{body}"
        );
    }
}
