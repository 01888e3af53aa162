//! `S3BlobStore` on moto: conformance, server-side encryption, presigned URLs used through
//! plain HTTP, server-side copies with the checksum S3 computes, and error classes.

use crate::support::Moto;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};
use bytes::Bytes;
use drawings_aws::S3BlobStore;
use drawings_core::ErrorClass;
use drawings_core::ports::{BlobCopy, BlobStore};
use drawings_testkit::blob_store_conformance;
use sha2::{Digest, Sha256};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

async fn store(moto: &Moto) -> S3BlobStore {
    S3BlobStore::new(moto.clients.s3.clone(), moto.bucket().await)
}

#[tokio::test]
async fn s3_blob_store_passes_conformance() {
    let moto = Moto::start().await;
    blob_store_conformance(&store(&moto).await).await;
}

#[tokio::test]
async fn puts_are_encrypted_and_typed() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    store
        .put("jobs/x/components.json", Bytes::from_static(b"[]"), "application/json")
        .await
        .unwrap();
    let head = moto
        .clients
        .s3
        .head_object()
        .bucket(store.bucket())
        .key("jobs/x/components.json")
        .send()
        .await
        .unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.content_type(), Some("application/json"));
}

#[tokio::test]
async fn presigned_put_then_get_round_trips_over_plain_http() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let key = "uploads/abc/input.pdf";
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    let http = reqwest::Client::new();

    let put_url = store.presign_put(key, HOUR).await.unwrap().expect("S3 presigns PUT");
    assert!(put_url.contains("X-Amz-Expires=3600"), "{put_url}");
    let resp = http.put(&put_url).body(body.clone()).send().await.unwrap();
    assert!(resp.status().is_success(), "presigned PUT: {}", resp.status());
    assert_eq!(store.get(key).await.unwrap(), Bytes::from(body.clone()));

    let get_url = store.presign_get(key, HOUR).await.unwrap().expect("S3 presigns GET");
    let resp = http.get(&get_url).send().await.unwrap();
    assert!(resp.status().is_success(), "presigned GET: {}", resp.status());
    assert_eq!(resp.bytes().await.unwrap(), Bytes::from(body));
}

#[tokio::test]
async fn presigning_beyond_a_week_is_invalid() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let err = store
        .presign_get("k", Duration::from_secs(8 * 24 * 3600))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid, "{err}");
}

#[tokio::test]
async fn a_missing_bucket_is_a_permanent_error() {
    let moto = Moto::start().await;
    let store = S3BlobStore::new(moto.clients.s3.clone(), "no-such-bucket");
    let err = store.get("k").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permanent, "{err}");
}

#[tokio::test]
async fn a_copy_on_s3_is_encrypted_typed_and_keeps_the_sha256_s3_computed() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    // Uploaded as a client would: a plain PUT to a presigned URL, no encryption header, any type.
    let url = store.presign_put("uploads/x/a.pdf", HOUR).await.unwrap().unwrap();
    let resp = reqwest::Client::new()
        .put(&url)
        .header("content-type", "binary/octet-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "presigned PUT: {}", resp.status());

    let size = body.len() as u64;
    let copied = store
        .copy_at_most("uploads/x/a.pdf", "jobs/j/input.pdf", size, "application/pdf")
        .await
        .unwrap();
    let digest = Sha256::digest(&body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(copied, BlobCopy::Copied { size, sha256: hex });

    let head = moto
        .clients
        .s3
        .head_object()
        .bucket(store.bucket())
        .key("jobs/j/input.pdf")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.content_type(), Some("application/pdf"));
    // S3 keeps the checksum on the copy: anyone can check the job's input against it later.
    let checksum = aws_smithy_types::base64::encode(digest.as_slice());
    assert_eq!(head.checksum_sha256(), Some(checksum.as_str()));
    assert_eq!(store.get("jobs/j/input.pdf").await.unwrap(), Bytes::from(body.clone()));
    assert_eq!(
        store.get("uploads/x/a.pdf").await.unwrap(),
        Bytes::from(body),
        "the source stays"
    );
}

#[tokio::test]
async fn a_copy_on_s3_over_the_limit_copies_nothing() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    store
        .put("uploads/x/big.pdf", Bytes::from(vec![b'%'; 4096]), "application/pdf")
        .await
        .unwrap();
    let outcome = store
        .copy_at_most("uploads/x/big.pdf", "jobs/j/input.pdf", 4095, "application/pdf")
        .await
        .unwrap();
    assert_eq!(outcome, BlobCopy::TooLarge);
    assert_eq!(store.head("jobs/j/input.pdf").await.unwrap(), None);
}
