//! Presigned uploads on the AWS adapters: the intake on S3, DynamoDB and SQS (moto), with the
//! client's PUT sent over plain HTTP to the presigned URL. An upload id works only for the
//! client it was issued to; a submitted upload is copied inside S3, with the sha256 S3
//! computes, and the intake reads only the first KiB of the copy; an upload over the limit is
//! refused without being copied or read.

use crate::support::Moto;
use async_trait::async_trait;
use bytes::Bytes;
use drawings_aws::{DynamoJobStore, S3BlobStore, SqsJobQueue};
use drawings_core::ErrorCode;
use drawings_core::StoreError;
use drawings_core::intake::{Intake, IntakeConfig, IntakeError, Upload, UploadTicket};
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore, JobQuery, NoNotices, Ports};
use drawings_testkit::decorators::RecordingNotifier;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const LIMIT: u64 = 64 * 1024;
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn intake(moto: &Moto) -> (Intake, Ports) {
    intake_on(
        moto,
        Arc::new(S3BlobStore::new(moto.clients.s3.clone(), moto.bucket().await)),
    )
    .await
}

/// The intake on moto's DynamoDB and SQS, with `blobs` (S3, perhaps wrapped).
async fn intake_on(moto: &Moto, blobs: Arc<dyn BlobStore>) -> (Intake, Ports) {
    let (queue_url, _) = moto.queue("jobs", None).await;
    let ports = Ports {
        jobs: Arc::new(DynamoJobStore::new(moto.clients.dynamodb.clone(), moto.table().await)),
        queue: Arc::new(SqsJobQueue::new(moto.clients.sqs.clone(), queue_url)),
        blobs,
        alerts: Arc::new(RecordingNotifier::default()),
        callbacks: Arc::new(NoNotices),
    };
    let config = IntakeConfig {
        max_upload_bytes: LIMIT,
        ..IntakeConfig::default()
    };
    (Intake::new(ports.clone(), config), ports)
}

/// An upload for `owner`, with `body` PUT to its presigned URL as a client would.
async fn put_upload(intake: &Intake, owner: &str, body: Vec<u8>) -> UploadTicket {
    let ticket = intake
        .start_upload(Some(owner), None, Duration::from_secs(3600))
        .await
        .expect("start an upload");
    let response = reqwest::Client::new()
        .put(&ticket.url)
        .header("content-type", "application/pdf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "presigned PUT: {}", response.status());
    ticket
}

fn code(result: Result<drawings_core::intake::Accepted, IntakeError>) -> ErrorCode {
    match result {
        Ok(accepted) => panic!("expected a refusal, got job {}", accepted.job.id),
        Err(e) => e.code(),
    }
}

#[tokio::test]
async fn an_upload_on_s3_is_found_only_by_the_client_it_was_issued_to() {
    let moto = Moto::start().await;
    let (intake, ports) = intake(&moto).await;
    let ticket = put_upload(&intake, "acme", PDF.to_vec()).await;
    let id = ticket.upload_id.as_str();

    let stolen = intake.submit_uploaded(id, Some("beta"), Upload::default()).await;
    assert_eq!(code(stolen), ErrorCode::NotFound);
    let anonymous = intake.submit_uploaded(id, None, Upload::default()).await;
    assert_eq!(code(anonymous), ErrorCode::NotFound);
    assert!(ports.jobs.list(&JobQuery::default()).await.unwrap().is_empty());

    let accepted = intake
        .submit_uploaded(id, Some("acme"), Upload::default())
        .await
        .expect("the owner's submit");
    assert_eq!(ports.blobs.get(&accepted.job.input.blob_key).await.unwrap(), PDF);
}

#[tokio::test]
async fn an_upload_on_s3_over_the_limit_is_413_and_makes_no_job() {
    let moto = Moto::start().await;
    let (intake, ports) = intake(&moto).await;
    let big = [PDF, &vec![b' '; 4 * LIMIT as usize]].concat();
    let ticket = put_upload(&intake, "acme", big).await;
    let refused = intake
        .submit_uploaded(ticket.upload_id.as_str(), Some("acme"), Upload::default())
        .await;
    assert_eq!(code(refused), ErrorCode::PayloadTooLarge);
    assert!(ports.jobs.list(&JobQuery::default()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_bounded_read_on_s3_stops_at_the_limit_after_the_object_grows() {
    let moto = Moto::start().await;
    let store = S3BlobStore::new(moto.clients.s3.clone(), moto.bucket().await);
    let key = "uploads/grows.pdf";
    let url = store
        .presign_put(key, Duration::from_secs(3600))
        .await
        .unwrap()
        .expect("S3 presigns PUT");
    let http = reqwest::Client::new();
    assert!(
        http.put(&url)
            .body(PDF.to_vec())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let checked = store.head(key).await.unwrap().expect("the PUT landed").size;
    assert_eq!(checked, PDF.len() as u64);

    // The same URL again, between the check and the read.
    let grown: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 239) as u8).collect();
    assert!(
        http.put(&url)
            .body(grown.clone())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let read = store.get_at_most(key, LIMIT + 1).await.unwrap();
    assert_eq!(read.len() as u64, LIMIT + 1);
    assert_eq!(&read[..], &grown[..read.len()]);
}

/// S3, with a record of the most bytes one read returned of an upload and of a job's input.
struct ReadSpy {
    s3: S3BlobStore,
    upload_read: AtomicU64,
    input_read: AtomicU64,
}

impl ReadSpy {
    fn saw(&self, key: &str, body: &Bytes) {
        let longest = if key.starts_with("uploads/") {
            &self.upload_read
        } else {
            &self.input_read
        };
        longest.fetch_max(body.len() as u64, Ordering::SeqCst);
    }
}

#[async_trait]
impl BlobStore for ReadSpy {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.s3.put(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let body = self.s3.get(key).await?;
        self.saw(key, &body);
        Ok(body)
    }

    async fn get_at_most(&self, key: &str, limit: u64) -> Result<Bytes, StoreError> {
        let body = self.s3.get_at_most(key, limit).await?;
        self.saw(key, &body);
        Ok(body)
    }

    async fn copy_at_most(&self, from: &str, to: &str, limit: u64, content_type: &str) -> Result<BlobCopy, StoreError> {
        self.s3.copy_at_most(from, to, limit, content_type).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, StoreError> {
        self.s3.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.s3.delete(key).await
    }

    async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        self.s3.presign_put(key, ttl).await
    }
}

/// Every key under `jobs/` in `bucket`.
async fn job_keys(moto: &Moto, bucket: &str) -> Vec<String> {
    let listed = moto
        .clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("jobs/")
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_upload_on_s3_is_copied_server_side_with_the_sha256_of_its_bytes() {
    let moto = Moto::start().await;
    let spy = Arc::new(ReadSpy {
        s3: S3BlobStore::new(moto.clients.s3.clone(), moto.bucket().await),
        upload_read: AtomicU64::new(0),
        input_read: AtomicU64::new(0),
    });
    let (intake, ports) = intake_on(&moto, spy.clone()).await;
    // Exactly the limit: accepted.
    let mut body = PDF.to_vec();
    body.resize(LIMIT as usize, b' ');
    let ticket = put_upload(&intake, "acme", body.clone()).await;

    let accepted = intake
        .submit_uploaded(ticket.upload_id.as_str(), Some("acme"), Upload::default())
        .await
        .expect("the submit");
    // The upload was copied, not read; of the copy, the intake read only the header.
    assert_eq!(spy.upload_read.load(Ordering::SeqCst), 0);
    let read = spy.input_read.load(Ordering::SeqCst);
    assert!(read <= 1024, "the intake read {read} bytes of the job's input");
    let input = &accepted.job.input;
    let hex: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(input.sha256, hex);
    assert_eq!(input.bytes, LIMIT);
    assert_eq!(ports.blobs.get(&input.blob_key).await.unwrap(), body);
    let stored = ports.jobs.get(&accepted.job.id).await.unwrap();
    assert_eq!(stored.input.sha256, hex, "the recorded checksum");
    // And the upload is gone.
    let upload_key = ticket.upload_id.blob_key(Some("acme"));
    assert_eq!(ports.blobs.head(&upload_key).await.unwrap(), None);
}

#[tokio::test]
async fn a_non_pdf_upload_on_s3_is_refused_and_leaves_no_job_input() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let s3 = S3BlobStore::new(moto.clients.s3.clone(), bucket.clone());
    let (intake, ports) = intake_on(&moto, Arc::new(s3)).await;
    let ticket = put_upload(&intake, "acme", b"hello, not a pdf".to_vec()).await;
    let refused = intake
        .submit_uploaded(ticket.upload_id.as_str(), Some("acme"), Upload::default())
        .await;
    assert_eq!(code(refused), ErrorCode::InvalidPdf);
    assert!(ports.jobs.list(&JobQuery::default()).await.unwrap().is_empty());
    assert_eq!(job_keys(&moto, &bucket).await, Vec::<String>::new());
    // The upload stays for the client to replace and retry.
    let upload_key = ticket.upload_id.blob_key(Some("acme"));
    assert!(ports.blobs.head(&upload_key).await.unwrap().is_some());
}
