//! A job that fails transiently every time: SQS's redrive policy moves its message to the
//! dead-letter queue after the third receive, and the dlq function fails the job and alerts
//! once, however many copies of the dead letter it is handed.

use crate::event_source::EventSource;
use crate::harness::{AlwaysTransient, Harness, fixture};
use aws_sdk_sqs::types::Message;
use drawings_aws::provision::MAX_RECEIVES;
use drawings_lambdas::handlers::{dead_letter_event, process_event};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The alerts that reached the inbox within `wait`: each SNS envelope's `Message`, as JSON.
async fn alerts(inbox: &EventSource, wait: Duration) -> Vec<Value> {
    let mut found = Vec::new();
    while let Some(message) = inbox.receive(wait).await {
        let envelope: Value = serde_json::from_str(message.body().unwrap()).unwrap();
        found.push(serde_json::from_str(envelope["Message"].as_str().expect("an SNS envelope")).unwrap());
        inbox.settle(&[message], &Default::default()).await;
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_job_is_received_three_times_then_marked_failed_by_the_dlq_function_with_one_alert() {
    let h = Harness::start().await;
    let inbox = h.alert_inbox().await;
    let job_id = h.submit(fixture("security-plan.pdf")).await;
    let processor = h.processor_with(Arc::new(AlwaysTransient));
    let queue = h.work_queue();

    for receive in 1..=MAX_RECEIVES {
        let message = queue
            .receive(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("receive {receive}: the message did not come back"));
        assert_eq!(receive_count(&message), receive);
        let messages = [message];
        let deadline = Instant::now() + Duration::from_secs(120);
        let event = queue.event(&messages);
        let response = process_event(&processor, h.stack.ports.queue.as_ref(), event, deadline).await;
        let kept = queue.settle(&messages, &response).await;
        assert_eq!(
            kept.as_slice(),
            [messages[0].message_id().unwrap()],
            "receive {receive}: a transient failure keeps the message"
        );
        let status = h.status(&job_id).await;
        assert_eq!(status["status"], "queued", "{status}");
        assert_eq!(status["error"]["code"], "MODEL_SERVER_ERROR", "{status}");
        assert_eq!(status["attempts"], receive, "{status}");
    }

    // The next receive finds the receive count used up: SQS moves the message instead.
    assert!(queue.receive(Duration::from_secs(1)).await.is_none(), "a 4th delivery");
    assert_eq!(queue.depth().await, 0);
    let dlq = h.dead_letter_queue();
    let dead = dlq.receive(Duration::from_secs(5)).await.expect("the dead letter");
    let body: Value = serde_json::from_str(dead.body().unwrap()).unwrap();
    assert_eq!(body["job_id"], job_id.as_str(), "{body}");

    let dead = [dead];
    let response = dead_letter_event(&h.stack.dead_letter_handler(), dlq.event(&dead)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );

    let failed = h.status(&job_id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = &failed["error"];
    assert_eq!(error["code"], "RETRIES_EXHAUSTED", "{failed}");
    let message = error["message"].as_str().unwrap();
    // The dead letter arrives with its receive count carried over (4), as SQS does.
    let history = format!("after {MAX_RECEIVES} deliveries over {MAX_RECEIVES} attempts");
    assert!(
        message.contains(&history),
        "the message names the receive history: {message}"
    );
    assert!(message.contains("MODEL_SERVER_ERROR"), "and the last error: {message}");
    assert_eq!(error["stage"], "drawing_analysis", "{failed}");

    let received = alerts(&inbox, Duration::from_secs(2)).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let alert = &received[0];
    assert_eq!(alert["job_id"], job_id.as_str(), "{alert}");
    assert_eq!(alert["code"], "RETRIES_EXHAUSTED", "{alert}");
    assert_eq!(alert["message"], message, "{alert}");
    assert_eq!(alert["attempts"], MAX_RECEIVES, "{alert}");

    // Lambda may hand the same dead letter over again: the job has been failed already.
    let response = dead_letter_event(&h.stack.dead_letter_handler(), dlq.event(&dead)).await;
    assert!(response.batch_item_failures.is_empty());
    dlq.settle(&dead, &response).await;
    assert_eq!(
        h.status(&job_id).await,
        failed,
        "a duplicate dead letter changes nothing"
    );
    assert!(
        alerts(&inbox, Duration::from_secs(1)).await.is_empty(),
        "a second alert"
    );
    assert_eq!(dlq.depth().await, 0);
}

fn receive_count(message: &Message) -> u32 {
    let attributes = message.attributes().expect("system attributes");
    let count = attributes
        .iter()
        .find(|(name, _)| name.as_str() == "ApproximateReceiveCount")
        .map(|(_, value)| value.clone())
        .expect("ApproximateReceiveCount");
    count.parse().unwrap()
}
