//! Presigned uploads through the router: `POST /uploads`, then `POST /process-drawing` with
//! `{"upload_id"}`, on the embedded adapters. The blob store is `FsBlobStore`, wrapped to
//! presign like S3 does; the test plays the client's PUT by writing to the URL's key.

mod common;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use drawings_api::router;
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore};
use drawings_core::{JobId, StoreError};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const LIMIT: u64 = 4096;
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// `FsBlobStore` with S3-style presigned PUTs: the URL's path is the blob key.
struct PresigningBlobStore(FsBlobStore);

#[async_trait]
impl BlobStore for PresigningBlobStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.0.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        self.0.get(key).await
    }

    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        self.0.get_at_most(key, limit).await
    }

    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        self.0.copy_at_most(from, to, limit, content_type).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        self.0.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await
    }

    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        Ok(Some(format!(
            "https://blobs.test/{key}?X-Amz-Expires={}&X-Amz-Signature=abc",
            ttl.as_secs()
        )))
    }
}

struct Harness {
    app: Router,
    ports: Ports,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The API on SQLite in memory and blobs in a temporary directory; `presign` wraps the
    /// blob store so it hands out upload URLs.
    fn new(presign: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBlobStore::new(dir.path()).unwrap();
        let blobs: Arc<dyn BlobStore> = if presign {
            Arc::new(PresigningBlobStore(fs))
        } else {
            Arc::new(fs)
        };
        let ports = common::ports(blobs);
        let config = IntakeConfig {
            max_upload_bytes: LIMIT,
            ..IntakeConfig::default()
        };
        let state = common::state(&ports, config);
        Harness {
            app: router(state),
            ports,
            _dir: dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, headers)
    }

    async fn post_json(&self, path: &str, body: Value, idempotency_key: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::post(path).header("content-type", "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let (status, body, _) = self.send(request.body(Body::from(body.to_string())).unwrap()).await;
        (status, body)
    }

    /// `POST /uploads`, then the client's PUT of `bytes` to the key the URL names.
    async fn upload(&self, bytes: &[u8]) -> String {
        let (status, body) = self.post_json("/uploads", json!({}), None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let url = body["upload_url"].as_str().unwrap();
        let key = url.trim_start_matches("https://blobs.test/").split('?').next().unwrap();
        self.ports
            .blobs
            .put(key, Bytes::copy_from_slice(bytes), "application/pdf")
            .await
            .unwrap();
        body["upload_id"].as_str().unwrap().to_owned()
    }

    async fn upload_exists(&self, upload_id: &str) -> bool {
        let key = format!("uploads/{upload_id}.pdf");
        self.ports.blobs.head(&key).await.unwrap().is_some()
    }

    /// Every file under the store's `jobs/` folder.
    fn job_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self._dir.path().join("jobs"), &mut found);
        found
    }
}

#[tokio::test]
async fn post_uploads_answers_201_with_a_presigned_put_for_the_upload_key() {
    let h = Harness::new(true);
    let request = Request::post("/uploads")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"file_name": "plan.pdf", "content_length": 2048}).to_string(),
        ))
        .unwrap();
    let (status, body, headers) = h.send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let upload_id = body["upload_id"].as_str().unwrap();
    assert!(
        upload_id.len() == 32 && upload_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{body}"
    );
    assert_eq!(
        body["upload_url"],
        format!("https://blobs.test/uploads/{upload_id}.pdf?X-Amz-Expires=3600&X-Amz-Signature=abc")
    );
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["headers"], json!({"content-type": "application/pdf"}));
    assert_eq!(body["max_bytes"], LIMIT);
    let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires_at.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&left), "expires in {left} s");
    assert_eq!(headers["cache-control"], "no-store");

    // The body is optional.
    let (status, body, _) = h.send(Request::post("/uploads").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["upload_id"].as_str().unwrap(), upload_id);
}

#[tokio::test]
async fn a_json_submit_creates_a_job_whose_input_is_the_uploaded_bytes() {
    let h = Harness::new(true);
    let upload_id = h.upload(PDF).await;
    let submit = json!({
        "upload_id": upload_id,
        "file_name": "plan.pdf",
        "client_name": " Acme ",
        "project_name": "Tower B",
    });
    let (status, body) = h.post_json("/process-drawing", submit, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "queued");

    let job_id = JobId::parse(body["job_id"].as_str().unwrap()).unwrap();
    let job = h.ports.jobs.get(&job_id).await.unwrap();
    // The job owns a copy under its own prefix; the upload is gone.
    assert_eq!(job.input.blob_key, job_id.files().input());
    assert_eq!(h.ports.blobs.get(&job.input.blob_key).await.unwrap(), PDF);
    assert_eq!(job.input.bytes, PDF.len() as u64);
    assert_eq!(job.input.file_name.as_deref(), Some("plan.pdf"));
    // Authentication is off here: the form's client_name makes no owner.
    assert_eq!(job.input.client_name, None);
    assert_eq!(job.input.project_name.as_deref(), Some("Tower B"));
    assert!(!h.upload_exists(&upload_id).await);
    let deliveries = h
        .ports
        .queue
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].message().unwrap().job_id, job_id);
}

#[tokio::test]
async fn an_unknown_upload_is_404_and_a_malformed_upload_id_is_400() {
    let h = Harness::new(true);
    let unknown = json!({"upload_id": "0123456789abcdef0123456789abcdef"});
    let (status, body) = h.post_json("/process-drawing", unknown, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PUT the file to upload_url")
    );

    // Issued but never PUT.
    let (_, issued) = h.post_json("/uploads", json!({}), None).await;
    let (status, _) = h
        .post_json("/process-drawing", json!({"upload_id": issued["upload_id"]}), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for bad in [
        json!({"upload_id": "../jobs/x"}),
        json!({"upload_id": 7}),
        json!({"file_name": "a.pdf"}),
    ] {
        let (status, body) = h.post_json("/process-drawing", bad.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{bad}");
    }
}

#[tokio::test]
async fn a_declared_content_length_over_the_limit_is_413_at_once() {
    let h = Harness::new(true);
    let (status, body) = h
        .post_json("/uploads", json!({"content_length": LIMIT + 1}), None)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    let (status, _) = h.post_json("/uploads", json!({"content_length": LIMIT}), None).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_embedded_blob_store_answers_501_uploads_not_supported() {
    let h = Harness::new(false);
    let (status, body) = h.post_json("/uploads", json!({"file_name": "plan.pdf"}), None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert_eq!(body["error"]["code"], "UPLOADS_NOT_SUPPORTED");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("POST /process-drawing")
    );
}

#[tokio::test]
async fn an_uploaded_file_gets_the_same_checks_as_a_direct_upload() {
    let h = Harness::new(true);
    let too_big = [PDF, &vec![b' '; LIMIT as usize]].concat();
    let cases: [(&[u8], StatusCode, &str); 3] = [
        (b"", StatusCode::BAD_REQUEST, "EMPTY_BODY"),
        (b"hello, not a pdf", StatusCode::BAD_REQUEST, "INVALID_PDF"),
        (&too_big, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
    ];
    for (bytes, want_status, want_code) in cases {
        let upload_id = h.upload(bytes).await;
        let (status, body) = h
            .post_json("/process-drawing", json!({"upload_id": upload_id}), None)
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (want_status, Some(want_code)),
            "{body}"
        );
        // Nothing was created, so the upload stays for the client to replace and retry.
        assert!(h.upload_exists(&upload_id).await);

        let direct = Request::post("/process-drawing")
            .header("content-type", "application/pdf")
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        let (status, body, _) = h.send(direct).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (want_status, Some(want_code)),
            "{body}"
        );
    }
    let upload_id = h.upload(PDF).await;
    let (status, body) = h
        .post_json("/process-drawing", json!({"upload_id": upload_id}), Some("bad key!"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_REQUEST"))
    );
}

#[tokio::test]
async fn idempotency_keys_work_across_json_and_direct_submits() {
    let h = Harness::new(true);
    let upload_id = h.upload(PDF).await;
    let (status, first) = h
        .post_json("/process-drawing", json!({"upload_id": upload_id}), Some("order-42"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");

    // The same bytes under the same key, sent directly: the first job.
    let direct = |bytes: &[u8]| {
        Request::post("/process-drawing")
            .header("content-type", "application/pdf")
            .header("idempotency-key", "order-42")
            .body(Body::from(bytes.to_vec()))
            .unwrap()
    };
    let (status, replay, headers) = h.send(direct(PDF)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["job_id"], first["job_id"]);
    assert_eq!(headers["idempotent-replayed"], "true");

    // Uploaded again and resubmitted with the key: still the first job.
    let again = h.upload(PDF).await;
    let (status, replay) = h
        .post_json("/process-drawing", json!({"upload_id": again}), Some("order-42"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["job_id"], first["job_id"]);

    // Other bytes under the key: a conflict naming the first job, and the upload is kept.
    let other = h.upload(&[PDF, b"% revised\n"].concat()).await;
    let (status, conflict) = h
        .post_json("/process-drawing", json!({"upload_id": other}), Some("order-42"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"]["code"], "IDEMPOTENCY_CONFLICT");
    assert_eq!(conflict["error"]["details"]["job_id"], first["job_id"]);
    assert!(h.upload_exists(&other).await);
}

#[tokio::test]
async fn a_submitted_upload_is_copied_to_the_job_with_the_sha256_of_its_bytes() {
    use sha2::{Digest, Sha256};
    let h = Harness::new(true);
    let bytes = [PDF, b"% a body of its own\n"].concat();
    let upload_id = h.upload(&bytes).await;
    let (status, body) = h
        .post_json("/process-drawing", json!({"upload_id": upload_id}), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job_id = JobId::parse(body["job_id"].as_str().unwrap()).unwrap();
    let job = h.ports.jobs.get(&job_id).await.unwrap();
    assert_eq!(job.input.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(job.input.bytes, bytes.len() as u64);
    assert_eq!(h.ports.blobs.get(&job.input.blob_key).await.unwrap(), bytes);
    assert!(!h.upload_exists(&upload_id).await);
}

#[tokio::test]
async fn a_refused_upload_leaves_no_copy_under_jobs() {
    let h = Harness::new(true);
    let too_big = [PDF, &vec![b' '; LIMIT as usize]].concat();
    for bytes in [&b""[..], b"hello, not a pdf", &too_big] {
        let upload_id = h.upload(bytes).await;
        let (status, body) = h
            .post_json("/process-drawing", json!({"upload_id": upload_id}), None)
            .await;
        assert!(status.is_client_error(), "{body}");
        assert_eq!(h.job_files(), Vec::<std::path::PathBuf>::new(), "{body}");
    }
}
