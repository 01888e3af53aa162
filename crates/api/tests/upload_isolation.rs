//! Presigned uploads between tenants and past the limit, through the router with API keys on
//! the embedded adapters: an `upload_id` works only for the client it was issued to (another
//! client gets the `404` of an id never issued), and the intake never reads an upload: the
//! store copies it to the job (past the limit, not at all), and the intake reads only the
//! first KiB of the job's copy for the `%PDF-` header.
//!
//! The blob store is `FsBlobStore` wrapped to presign like S3 (the URL's path is the key) and
//! to record how much the intake read of an upload and of a job's input.

mod common;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use drawings_api::{ApiKeys, Auth, RateLimit, router_with_auth};
use drawings_core::Ports;
use drawings_core::StoreError;
use drawings_core::intake::IntakeConfig;
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore, JobQuery};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tower::ServiceExt;

const LIMIT: u64 = 4096;
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const URL_BASE: &str = "https://blobs.test/";

/// `FsBlobStore` with S3-style presigned PUTs and a record of the longest read of an upload
/// and of a job's input.
struct UploadSpy {
    inner: FsBlobStore,
    longest_upload_read: AtomicU64,
    longest_input_read: AtomicU64,
}

impl UploadSpy {
    fn saw_read(&self, key: &str, body: &Bytes) {
        let longest = if key.starts_with("uploads/") {
            &self.longest_upload_read
        } else if key.ends_with("/input.pdf") {
            &self.longest_input_read
        } else {
            return;
        };
        longest.fetch_max(body.len() as u64, Ordering::SeqCst);
    }
}

#[async_trait]
impl BlobStore for UploadSpy {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.inner.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let body = self.inner.get(key).await?;
        self.saw_read(key, &body);
        Ok(body)
    }

    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        let body = self.inner.get_at_most(key, limit).await?;
        self.saw_read(key, &body);
        Ok(body)
    }

    /// Inside the store: nothing passes through the caller.
    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        self.inner.copy_at_most(from, to, limit, content_type).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        self.inner.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }

    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        Ok(Some(format!("{URL_BASE}{key}?X-Amz-Expires={}", ttl.as_secs())))
    }
}

struct Harness {
    app: Router,
    ports: Ports,
    blobs: Arc<UploadSpy>,
    acme: String,
    beta: String,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Two clients, `acme` and `beta`, with a key each.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Arc::new(UploadSpy {
            inner: FsBlobStore::new(dir.path()).unwrap(),
            longest_upload_read: AtomicU64::new(0),
            longest_input_read: AtomicU64::new(0),
        });
        let ports = common::ports(blobs.clone());
        let config = IntakeConfig {
            max_upload_bytes: LIMIT,
            ..IntakeConfig::default()
        };
        let state = common::state(&ports, config);
        let mut keys = ApiKeys::new();
        let acme = keys.create("acme", chrono::Utc::now()).unwrap();
        let beta = keys.create("beta", chrono::Utc::now()).unwrap();
        Harness {
            app: router_with_auth(state, Auth::with_keys(keys, RateLimit::default())),
            ports,
            blobs,
            acme,
            beta,
            _dir: dir,
        }
    }

    async fn post_json(&self, path: &str, body: Value, key: &str) -> (StatusCode, Value) {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .header("x-api-key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// `POST /uploads` as `key`, then the client's PUT of `bytes` to the key the URL names;
    /// the upload id and the blob key.
    async fn upload(&self, key: &str, bytes: &[u8]) -> (String, String) {
        let (status, body) = self.post_json("/uploads", json!({}), key).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let url = body["upload_url"].as_str().unwrap();
        let blob_key = url.trim_start_matches(URL_BASE).split('?').next().unwrap().to_owned();
        self.ports
            .blobs
            .put(&blob_key, Bytes::copy_from_slice(bytes), "application/pdf")
            .await
            .unwrap();
        (body["upload_id"].as_str().unwrap().to_owned(), blob_key)
    }

    async fn submit(&self, key: &str, upload_id: &str) -> (StatusCode, Value) {
        self.post_json("/process-drawing", json!({"upload_id": upload_id}), key)
            .await
    }

    async fn job_count(&self) -> usize {
        self.ports.jobs.list(&JobQuery::default()).await.unwrap().len()
    }
}

#[tokio::test]
async fn another_clients_upload_id_answers_404_like_a_missing_one() {
    let h = Harness::new();
    let (upload_id, blob_key) = h.upload(&h.acme, PDF).await;

    let (status, stolen) = h.submit(&h.beta, &upload_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "beta submitted acme's upload: {stolen}");
    // Word for word the answer to an id never issued, so beta learns nothing of acme's.
    let (_, unknown) = h.submit(&h.beta, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(stolen["error"]["code"], "NOT_FOUND");
    assert_eq!(
        stolen["error"]["message"], unknown["error"]["message"],
        "{stolen} vs {unknown}"
    );
    assert_eq!(h.job_count().await, 0);
    assert!(
        h.ports.blobs.head(&blob_key).await.unwrap().is_some(),
        "beta's attempt must leave acme's upload alone"
    );

    // Beta's own uploads land elsewhere: its URL never names acme's key.
    let (_, beta_key) = h.upload(&h.beta, PDF).await;
    assert_ne!(
        beta_key.rsplit_once('/').map(|(folder, _)| folder),
        blob_key.rsplit_once('/').map(|(folder, _)| folder)
    );

    let (status, accepted) = h.submit(&h.acme, &upload_id).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let job_id = drawings_core::JobId::parse(accepted["job_id"].as_str().unwrap()).unwrap();
    let job = h.ports.jobs.get(&job_id).await.unwrap();
    assert_eq!(job.input.client_name.as_deref(), Some("acme"));
}

#[tokio::test]
async fn a_submitted_upload_is_copied_in_the_store_and_only_its_header_is_read() {
    let h = Harness::new();
    let pdf = [PDF, &vec![b' '; 3000]].concat();
    let (upload_id, _) = h.upload(&h.acme, &pdf).await;
    let (status, body) = h.submit(&h.acme, &upload_id).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(h.blobs.longest_upload_read.load(Ordering::SeqCst), 0);
    let read = h.blobs.longest_input_read.load(Ordering::SeqCst);
    assert!(
        read <= 1024,
        "the intake read {read} bytes of the job's input; the header is in the first 1024"
    );
}

#[tokio::test]
async fn an_upload_replaced_by_one_over_the_limit_is_413_and_never_read() {
    let h = Harness::new();
    let (upload_id, blob_key) = h.upload(&h.acme, PDF).await;
    // The client PUTs again to the same URL, a file ten times the limit, before submitting.
    let big = Bytes::from([PDF, &vec![b' '; 10 * LIMIT as usize]].concat());
    h.ports.blobs.put(&blob_key, big, "application/pdf").await.unwrap();

    let (status, body) = h.submit(&h.acme, &upload_id).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(h.blobs.longest_upload_read.load(Ordering::SeqCst), 0);
    assert_eq!(h.blobs.longest_input_read.load(Ordering::SeqCst), 0);
    // Nothing was processed: no job, nothing queued.
    assert_eq!(h.job_count().await, 0);
    let queued = h
        .ports
        .queue
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap();
    assert!(queued.is_empty());
}
