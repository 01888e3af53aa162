//! `GET /results/{job_id}/{file}`, `GET /results/{job_id}/pages/{page}` and its tiles through
//! the router on the embedded adapters: a file, page image or tile over `INLINE_RESULT_MAX_BYTES` is a `307` to
//! a short-lived presigned GET where the blob store presigns (as S3 does; the wrapper here
//! presigns like it, the URL's path being the key), and is served by the API itself everywhere
//! else; a smaller one is always served inline.

mod common;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use bytes::Bytes;
use drawings_api::{AppState, INLINE_RESULT_MAX_BYTES, REDIRECT_TTL, router};
use drawings_core::intake::{Intake, IntakeConfig, Upload};
use drawings_core::ports::{BlobMeta, BlobStore, Inspection, PageInfo, TileManifestEntry};
use drawings_core::{Job, JobStatus, Ports, ResultFile, Stage, StoreError};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const URL_BASE: &str = "https://blobs.test/";

/// `FsBlobStore` with S3-style presigned GETs.
struct PresigningBlobStore(FsBlobStore);

#[async_trait]
impl BlobStore for PresigningBlobStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.0.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        self.0.get(key).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        self.0.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        Ok(Some(format!("{URL_BASE}{key}?X-Amz-Expires={}", ttl.as_secs())))
    }
}

struct Harness {
    app: Router,
    ports: Ports,
    job: Job,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The API with one completed job; `presign`: the blob store hands out presigned GETs.
    async fn new(presign: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBlobStore::new(dir.path()).unwrap();
        let blobs: Arc<dyn BlobStore> = if presign {
            Arc::new(PresigningBlobStore(fs))
        } else {
            Arc::new(fs)
        };
        let ports = common::ports(blobs);
        let intake = Arc::new(Intake::new(ports.clone(), IntakeConfig::default()));
        let upload = Upload {
            body: Bytes::from_static(PDF),
            ..Upload::default()
        };
        let mut job = intake.submit(upload).await.unwrap().job;
        job.status = JobStatus::Completed;
        job.current_stage = None;
        job.stages_completed = Stage::ALL.to_vec();
        ports.jobs.update(&job).await.unwrap();
        let state = AppState {
            intake,
            ports: ports.clone(),
            link_ttl: Duration::from_secs(3600),
            metrics: None,
            status_cache: Default::default(),
        };
        Harness {
            app: router(state),
            ports,
            job,
            _dir: dir,
        }
    }

    /// Stores `body` as the job's `file`.
    async fn put_result(&self, file: ResultFile, body: Vec<u8>) {
        let key = self.job.id.files().result(file);
        self.ports
            .blobs
            .put(&key, body.into(), file.content_type())
            .await
            .unwrap();
    }

    /// Stores `body` under the job's blob `key`.
    async fn put_blob(&self, key: &str, body: Vec<u8>) {
        self.ports
            .blobs
            .put(key, body.into(), "application/octet-stream")
            .await
            .unwrap();
    }

    /// Stores `body` as the image of 1-based `page`.
    async fn put_page(&self, page: u32, body: Vec<u8>) {
        let key = self.job.id.files().page_image(page - 1);
        self.ports.blobs.put(&key, body.into(), "image/png").await.unwrap();
    }

    async fn get(&self, file: ResultFile) -> (StatusCode, HeaderMap, Bytes) {
        self.get_path(format!("/results/{}/{}", self.job.id, file.name())).await
    }

    async fn get_page(&self, page: u32) -> (StatusCode, HeaderMap, Bytes) {
        self.get_path(format!("/results/{}/pages/{page}", self.job.id)).await
    }

    async fn get_path(&self, uri: String) -> (StatusCode, HeaderMap, Bytes) {
        let response = self
            .app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (
            status,
            headers,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }
}

/// A file of `size` bytes with a pattern, so a truncated or shifted body cannot pass.
fn file_of(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn a_result_over_the_inline_limit_redirects_307_to_a_presigned_get_valid_five_minutes() {
    let h = Harness::new(true).await;
    h.put_result(ResultFile::ScheduleXlsx, file_of(INLINE_RESULT_MAX_BYTES + 1))
        .await;
    let (status, headers, body) = h.get(ResultFile::ScheduleXlsx).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(REDIRECT_TTL, Duration::from_secs(300));
    let key = h.job.id.files().result(ResultFile::ScheduleXlsx);
    assert_eq!(headers[header::LOCATION], format!("{URL_BASE}{key}?X-Amz-Expires=300"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(body.is_empty(), "a redirect carries none of the file");
}

#[tokio::test]
async fn a_result_within_the_inline_limit_is_served_by_the_api_even_where_the_store_presigns() {
    let h = Harness::new(true).await;
    let csv = b"id,type\nSD-1,smoke detector\n".to_vec();
    h.put_result(ResultFile::ScheduleCsv, csv.clone()).await;
    let (status, headers, body) = h.get(ResultFile::ScheduleCsv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, csv);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"schedule.csv\""
    );
}

#[tokio::test]
async fn the_embedded_store_serves_a_large_result_itself() {
    let h = Harness::new(false).await;
    let big = file_of(INLINE_RESULT_MAX_BYTES + 1);
    h.put_result(ResultFile::ScheduleXlsx, big.clone()).await;
    let (status, _, body) = h.get(ResultFile::ScheduleXlsx).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body == big, "the whole file, unchanged (got {} bytes)", body.len());
}

#[tokio::test]
async fn a_missing_result_file_is_404_not_a_redirect() {
    let h = Harness::new(true).await;
    let (status, headers, body) = h.get(ResultFile::Components).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.get(header::LOCATION).is_none());
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn a_page_image_over_the_inline_limit_redirects_like_a_result_file() {
    let h = Harness::new(true).await;
    h.put_page(2, file_of(INLINE_RESULT_MAX_BYTES + 1)).await;
    let (status, headers, body) = h.get_page(2).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    let key = h.job.id.files().page_image(1);
    assert_eq!(headers[header::LOCATION], format!("{URL_BASE}{key}?X-Amz-Expires=300"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(body.is_empty(), "a redirect carries none of the image");
}

#[tokio::test]
async fn a_small_page_image_is_served_inline_and_the_embedded_store_serves_a_large_one() {
    let small = Harness::new(true).await;
    small.put_page(1, b"\x89PNG small".to_vec()).await;
    let (status, headers, body) = small.get_page(1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), b"\x89PNG small");
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=3600");

    let embedded = Harness::new(false).await;
    let big = file_of(INLINE_RESULT_MAX_BYTES + 1);
    embedded.put_page(1, big.clone()).await;
    let (status, headers, body) = embedded.get_page(1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(body == big, "the whole image, unchanged (got {} bytes)", body.len());
}

#[tokio::test]
async fn a_missing_page_image_is_404_not_a_redirect() {
    let h = Harness::new(true).await;
    let (status, headers, body) = h.get_page(3).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.get(header::LOCATION).is_none());
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn the_page_list_places_each_tile_in_points_and_each_tile_is_served_like_a_page_image() {
    let h = Harness::new(true).await;
    let files = h.job.id.files();
    let page = |index| PageInfo {
        index,
        width_pt: 1190.0,
        height_pt: 842.0,
        rotation: 0,
    };
    let inspection = Inspection {
        bytes: PDF.len() as u64,
        page_count: 2,
        pages: vec![page(0), page(1)],
        pdf_version: None,
        producer: None,
        warnings: Vec::new(),
    };
    h.put_blob(&files.inspection(), serde_json::to_vec(&inspection).unwrap())
        .await;
    // Page 1 cut in two at 300 dpi (a 4958 px wide render), overlapping by 256 px; page 2 not.
    let tile = |k: usize, x_px| TileManifestEntry {
        key: files.page_tile(0, k),
        x_px,
        y_px: 0,
        width_px: 2607,
        height_px: 3508,
        dpi: 300.0,
    };
    let manifest = serde_json::to_vec(&[tile(0, 0), tile(1, 2351)]).unwrap();
    h.put_blob(&files.page_tiles_manifest(0), manifest).await;
    h.put_blob(&files.page_tile(0, 0), b"\x89PNG first".to_vec()).await;
    h.put_blob(&files.page_tile(0, 1), file_of(INLINE_RESULT_MAX_BYTES + 1))
        .await;

    let (status, _, body) = h.get_path(format!("/results/{}/pages", h.job.id)).await;
    assert_eq!(status, StatusCode::OK);
    let pages: Value = serde_json::from_slice(&body).unwrap();
    let id = &h.job.id;
    assert_eq!(
        pages["pages"][0]["tiles"],
        serde_json::json!([
            { "tile": 1, "x_pt": 0.0, "y_pt": 0.0, "width_pt": 625.68, "height_pt": 841.92,
              "image": format!("/results/{id}/pages/1/tiles/1") },
            { "tile": 2, "x_pt": 564.24, "y_pt": 0.0, "width_pt": 625.68, "height_pt": 841.92,
              "image": format!("/results/{id}/pages/1/tiles/2") },
        ])
    );
    assert_eq!(pages["pages"][1]["tiles"], serde_json::json!([]), "page 2 was not cut");

    let (status, headers, body) = h.get_path(format!("/results/{id}/pages/1/tiles/1")).await;
    assert_eq!((status, body.as_ref()), (StatusCode::OK, b"\x89PNG first".as_ref()));
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let (status, headers, _) = h.get_path(format!("/results/{id}/pages/1/tiles/2")).await;
    assert_eq!(
        status,
        StatusCode::TEMPORARY_REDIRECT,
        "a large tile redirects like a page image"
    );
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .contains(&files.page_tile(0, 1))
    );
    for missing in ["1/tiles/3", "1/tiles/0", "1/tiles/x", "2/tiles/1", "0/tiles/1"] {
        let (status, _, body) = h.get_path(format!("/results/{id}/pages/{missing}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{missing}");
    }
}

/// The page's Content-Security-Policy, as `GET /` sends it.
async fn page_policy(h: &Harness) -> String {
    let (status, headers, _) = h.get_path("/".to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_web_ui_may_follow_a_redirect_to_the_stores_origin_and_nowhere_else() {
    // The browser applies `connect-src` to where a redirect leads, too.
    let presigning = page_policy(&Harness::new(true).await).await;
    let origin = URL_BASE.trim_end_matches('/');
    assert!(
        presigning.contains(&format!("connect-src 'self' {origin};")),
        "{presigning}"
    );
    let embedded = page_policy(&Harness::new(false).await).await;
    assert!(embedded.contains("connect-src 'self';"), "{embedded}");
    assert!(embedded.contains("default-src 'self'") && embedded.contains("frame-ancestors 'none'"));
}
