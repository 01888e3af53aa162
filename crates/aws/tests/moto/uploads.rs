//! Presigned uploads on the AWS adapters: the intake on S3, DynamoDB and SQS (moto), with the
//! client's PUT sent over plain HTTP to the presigned URL. An upload id works only for the
//! client it was issued to, and an upload over the limit is refused without being read whole.

use crate::support::Moto;
use drawings_aws::{DynamoJobStore, S3BlobStore, SqsJobQueue};
use drawings_core::ErrorCode;
use drawings_core::intake::{Intake, IntakeConfig, IntakeError, Upload, UploadTicket};
use drawings_core::ports::{BlobStore, JobQuery, NoNotices, Ports};
use drawings_testkit::decorators::RecordingNotifier;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: u64 = 64 * 1024;
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn intake(moto: &Moto) -> (Intake, Ports) {
    let (queue_url, _) = moto.queue("jobs", None).await;
    let ports = Ports {
        jobs: Arc::new(DynamoJobStore::new(moto.clients.dynamodb.clone(), moto.table().await)),
        queue: Arc::new(SqsJobQueue::new(moto.clients.sqs.clone(), queue_url)),
        blobs: Arc::new(S3BlobStore::new(moto.clients.s3.clone(), moto.bucket().await)),
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
