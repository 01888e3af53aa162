//! `SnsNotifier` on moto: conformance, and an alert delivered to a subscribed SQS queue with
//! its subject, JSON body and message attributes.

use crate::support::Moto;
use drawings_aws::SnsNotifier;
use drawings_aws::provision;
use drawings_core::ErrorClass;
use drawings_core::ports::{Alert, Notifier};
use drawings_testkit::{notifier_conformance, sample_alert};
use serde_json::Value;

#[tokio::test]
async fn sns_notifier_passes_conformance() {
    let moto = Moto::start().await;
    notifier_conformance(&SnsNotifier::new(moto.clients.sns.clone(), moto.topic().await)).await;
}

#[tokio::test]
async fn alerts_reach_a_subscribed_queue() {
    let moto = Moto::start().await;
    let topic = moto.topic().await;
    let (queue_url, queue_arn) = moto.queue("alerts-inbox", None).await;
    provision::subscribe_queue(&moto.clients.sns, &moto.clients.sqs, &topic, &queue_url, &queue_arn)
        .await
        .expect("subscribe");

    let alert = sample_alert();
    SnsNotifier::new(moto.clients.sns.clone(), &topic)
        .notify(&alert)
        .await
        .unwrap();

    let received = moto
        .clients
        .sqs
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    // Without raw delivery SQS receives SNS's envelope: subject, message and attributes.
    let envelope: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(
        subject.contains(alert.job_id.as_str()) && subject.len() <= 100,
        "{subject}"
    );
    let body: Alert = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(body, alert);
    assert_eq!(body.attempts, 3);
    let attrs = &envelope["MessageAttributes"];
    assert_eq!(attrs["job_id"]["Value"], alert.job_id.as_str());
    assert_eq!(attrs["code"]["Value"], "RETRIES_EXHAUSTED");
    assert_eq!(attrs["attempts"]["Value"], "3");
    assert_eq!(attrs["stage"]["Value"], "drawing_analysis");
}

#[tokio::test]
async fn a_missing_topic_is_a_permanent_error() {
    let moto = Moto::start().await;
    let arn = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let err = SnsNotifier::new(moto.clients.sns.clone(), arn)
        .notify(&sample_alert())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permanent, "{err}");
}
