//! Presigned uploads between tenants and past the limit, through the router with API keys on
//! the embedded adapters: an `upload_id` works only for the client it was issued to (another
//! client gets the `404` of an id never issued), and an upload is never read past the limit,
//! even when the object is replaced between the intake's size check and its read.
//!
//! The blob store is `FsBlobStore` wrapped to presign like S3 (the URL's path is the key), to
//! record how much the intake read of an upload, and to replace an upload right after its
//! `head` as a client re-using its PUT URL would.

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use drawings_api::{ApiKeys, AppState, Auth, RateLimit, router_with_auth};
use drawings_core::Ports;
use drawings_core::StoreError;
use drawings_core::intake::{Intake, IntakeConfig};
use drawings_core::ports::{BlobMeta, BlobStore, JobQuery};
use drawings_local::{Database, FsBlobStore, LogNotifier, SqliteJobQueue, SqliteJobStore};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

const LIMIT: u64 = 4096;
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const URL_BASE: &str = "https://blobs.test/";

/// `FsBlobStore` with S3-style presigned PUTs, a record of the longest read of an upload, and
/// an optional replacement written right after the next `head` of an upload.
struct UploadSpy {
    inner: FsBlobStore,
    longest_upload_read: AtomicU64,
    replace_after_head: Mutex<Option<Bytes>>,
}

impl UploadSpy {
    fn saw_read(&self, key: &str, body: &Bytes) {
        if key.starts_with("uploads/") {
            self.longest_upload_read.fetch_max(body.len() as u64, Ordering::SeqCst);
        }
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

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        let meta = self.inner.head(key).await?;
        let replacement = self.replace_after_head.lock().unwrap().take();
        if let Some(body) = replacement {
            self.inner.put(key, body, "application/pdf").await?;
        }
        Ok(meta)
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
            replace_after_head: Mutex::new(None),
        });
        let db = Database::open_in_memory().unwrap();
        let ports = Ports {
            jobs: Arc::new(SqliteJobStore::new(db.clone())),
            queue: Arc::new(SqliteJobQueue::new(db, "jobs", None)),
            blobs: blobs.clone(),
            alerts: Arc::new(LogNotifier::new()),
            callbacks: Arc::new(drawings_core::ports::NoNotices),
        };
        let config = IntakeConfig {
            max_upload_bytes: LIMIT,
            ..IntakeConfig::default()
        };
        let state = AppState {
            intake: Arc::new(Intake::new(ports.clone(), config)),
            ports: ports.clone(),
            link_ttl: Duration::from_secs(3600),
            metrics: None,
        };
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
async fn an_upload_replaced_after_its_size_check_is_413_and_never_read_past_the_limit() {
    let h = Harness::new();
    let (upload_id, _) = h.upload(&h.acme, PDF).await;
    // The small PDF passes the size check; a 40 KiB one is PUT right after it, before the read.
    let big = Bytes::from([PDF, &vec![b' '; 10 * LIMIT as usize]].concat());
    *h.blobs.replace_after_head.lock().unwrap() = Some(big);

    let (status, body) = h.submit(&h.acme, &upload_id).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    let read = h.blobs.longest_upload_read.load(Ordering::SeqCst);
    assert!(
        read <= LIMIT + 1,
        "the intake read {read} bytes of an upload; the limit is {LIMIT}"
    );
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
