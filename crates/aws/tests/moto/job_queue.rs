//! `SqsJobQueue` on moto: conformance (with a real redrive policy moving messages to the
//! dead-letter queue), limits, and error classes.

use crate::support::{MAX_RECEIVES, Moto};
use drawings_aws::SqsJobQueue;
use drawings_core::ErrorClass;
use drawings_core::ports::{JobQueue, MessageKind, QueueMessage};
use drawings_testkit::{QueuePair, job_queue_conformance};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_job_queue_passes_conformance() {
    let moto = Moto::start().await;
    let (main, dead) = moto.queue_pair().await;
    let sqs = &moto.clients.sqs;
    let pair = QueuePair {
        main: Arc::new(SqsJobQueue::new(sqs.clone(), main)),
        dead: Arc::new(SqsJobQueue::new(sqs.clone(), dead)),
        max_receives: MAX_RECEIVES,
    };
    job_queue_conformance(&pair).await;
}

#[tokio::test]
async fn limits_are_checked_before_the_call() {
    let moto = Moto::start().await;
    let (url, _) = moto.queue("limits", None).await;
    let queue = SqsJobQueue::new(moto.clients.sqs.clone(), url);
    let hide = Duration::from_secs(30);
    for max in [0, 11] {
        let err = queue.receive(max, hide, Duration::ZERO).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Invalid, "max {max}: {err}");
    }
    let err = queue.receive(1, hide, Duration::from_secs(21)).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid, "{err}");
    let message = QueueMessage {
        job_id: drawings_core::JobId::generate(),
        kind: MessageKind::Continuation,
    };
    let err = queue.send(&message, Duration::from_secs(901)).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid, "{err}");
}

#[tokio::test]
async fn a_heartbeat_on_a_deleted_message_is_not_found() {
    let moto = Moto::start().await;
    let (url, _) = moto.queue("heartbeat", None).await;
    let queue = SqsJobQueue::new(moto.clients.sqs.clone(), url);
    let message = QueueMessage {
        job_id: drawings_core::JobId::generate(),
        kind: MessageKind::Start,
    };
    queue.send(&message, Duration::ZERO).await.unwrap();
    let got = queue
        .receive(1, Duration::from_secs(30), Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    queue.delete(&got[0].receipt).await.unwrap();
    let err = queue
        .set_visibility(&got[0].receipt, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
}

#[tokio::test]
async fn a_missing_queue_is_a_permanent_error() {
    let moto = Moto::start().await;
    let url = format!("{}/123456789012/no-such-queue", moto.endpoint);
    let queue = SqsJobQueue::new(moto.clients.sqs.clone(), url);
    let err = queue
        .receive(1, Duration::from_secs(1), Duration::ZERO)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permanent, "{err}");
}
