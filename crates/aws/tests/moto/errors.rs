//! Error classes the callers branch on, for failures every adapter shares: an endpoint that
//! does not answer is transient (retry later), whichever service it is.

use crate::support::free_port;
use bytes::Bytes;
use drawings_aws::{AwsClients, DynamoJobStore, S3BlobStore, SnsNotifier, SqsJobQueue};
use drawings_core::ports::{BlobStore, JobQueue, JobStore, MessageKind, Notifier, QueueMessage};
use drawings_core::{ErrorClass, JobId, StoreError};
use drawings_testkit::{sample_alert, sample_job};
use std::time::Duration;

fn assert_transient<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    let err = result.expect_err(what);
    assert_eq!(err.class(), ErrorClass::Transient, "{what}: {err}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_transient_for_every_adapter() {
    // Nothing listens on a port that was free a moment ago: connections are refused.
    let clients = AwsClients::for_endpoint(&format!("http://127.0.0.1:{}", free_port())).await;
    let store = DynamoJobStore::new(clients.dynamodb.clone(), "jobs");
    assert_transient("dynamodb get", store.get(&JobId::generate()).await);
    assert_transient("dynamodb create", store.create(&sample_job()).await);

    let queue = SqsJobQueue::new(clients.sqs.clone(), "http://127.0.0.1:1/123456789012/jobs");
    let message = QueueMessage {
        job_id: JobId::generate(),
        kind: MessageKind::Start,
    };
    assert_transient("sqs send", queue.send(&message, Duration::ZERO).await);

    let blobs = S3BlobStore::new(clients.s3.clone(), "blobs");
    assert_transient("s3 put", blobs.put("k", Bytes::from_static(b"x"), "text/plain").await);
    assert_transient("s3 head", blobs.head("k").await);

    let notifier = SnsNotifier::new(clients.sns.clone(), "arn:aws:sns:us-east-1:123456789012:alerts");
    assert_transient("sns publish", notifier.notify(&sample_alert()).await);
}
