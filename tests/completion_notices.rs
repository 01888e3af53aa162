//! Completion notices end to end: the processor, the cancel service and the dead-letter
//! handler announce terminal jobs, and the HTTP adapter POSTs the signed status body to a
//! receiver on 127.0.0.1 (allowed by the local development setting), retrying 5xx, giving up
//! on other answers, and never holding up the job it is about. Without that setting, a job
//! whose callback host resolves to 127.0.0.1 is finished and its notice refused.

mod embedded_stack;

use axum::http::HeaderMap;
use drawings_core::cancel::cancel;
use drawings_core::dead_letter::{DeadLetterHandler, DeadLetterOutcome};
use drawings_core::pipeline::Outcome;
use drawings_core::ports::CompletionNotifier;
use drawings_core::{ErrorCode, JobStatus};
use drawings_testkit::receiver::Received;
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode, Lookup, NoticeHeaders, SigningKey};
use embedded_stack::{RecordingNotices, TestStack, eventually, pipeline_config};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const SECRET: &str = "test-callback-secret";

/// The testkit's receiver at `/hook` (statuses in `script` in turn, then 200), by URL.
async fn receiver(script: Vec<u16>) -> (String, Received) {
    let (port, got) = drawings_testkit::receiver::receiver(script).await;
    (format!("http://127.0.0.1:{port}/hook"), got)
}

/// A receiver that accepts connections and never answers.
async fn black_hole() -> String {
    let (port, _connections) = drawings_testkit::receiver::holding_listener().await;
    format!("http://127.0.0.1:{port}/hook")
}

/// A stack whose notices go through a [`CallbackNotifier`] configured by `tune`, allowed to
/// reach the receivers of these tests on loopback over plain http.
fn stack_with_callbacks(tune: impl FnOnce(&mut CallbackConfig)) -> (TestStack, CallbackNotifier) {
    let mut config = CallbackConfig {
        first_retry: Duration::from_millis(50),
        allow_private: true,
        ..CallbackConfig::new(SECRET)
    };
    tune(&mut config);
    stack_with_notifier(|blobs| CallbackNotifier::new(config, blobs).unwrap())
}

fn stack_with_notifier(
    make: impl FnOnce(Arc<dyn drawings_core::ports::BlobStore>) -> CallbackNotifier,
) -> (TestStack, CallbackNotifier) {
    let mut made = None;
    let stack = TestStack::with_notices(Duration::ZERO, |blobs| {
        let notifier = make(blobs);
        made = Some(notifier.clone());
        Arc::new(notifier)
    });
    (stack, made.unwrap())
}

/// A DNS that answers 127.0.0.1 for every name, as an attacker's would.
struct LoopbackDns;

#[async_trait::async_trait]
impl Lookup for LoopbackDns {
    async fn lookup(&self, _host: &str) -> std::io::Result<Vec<std::net::IpAddr>> {
        Ok(vec![std::net::Ipv4Addr::LOCALHOST.into()])
    }
}

/// Checks the headers and signature of one notice and returns its body as JSON.
fn verified(headers: &HeaderMap, body: &[u8], event: &str) -> Value {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-drawings-event"), event);
    let signed = NoticeHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let key = SigningKey::from_secret(SECRET).unwrap();
    assert_eq!(key.verify(&signed, body, chrono::Utc::now().timestamp(), 60), Ok(()));
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn a_completed_job_posts_its_signed_status_to_the_callback_url() {
    let (url, got) = receiver(vec![]).await;
    let (stack, notifier) = stack_with_callbacks(|_| {});
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    let delivery = stack.receive().await;
    let outcome = stack
        .processor(pipeline_config())
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;
    assert_eq!(outcome, Outcome::Completed);

    eventually(Duration::from_secs(10), "the notice", || got.count() == 1).await;
    let (headers, body) = got.all().remove(0);
    let status = verified(&headers, &body, "job.completed");
    assert_eq!(status["job_id"], id.as_str());
    assert_eq!(status["status"], "completed");
    assert_eq!(status["progress"]["percent"], 100.0);
    assert_eq!(status["result"]["components"], format!("/results/{id}/components.json"));
    eventually(Duration::from_secs(5), "the delivery to end", || {
        notifier.in_flight() == 0
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_job_posts_a_signed_job_cancelled_notice() {
    let (url, got) = receiver(vec![]).await;
    let (stack, _notifier) = stack_with_callbacks(|_| {});
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    cancel(&stack.ports, &id).await.unwrap();

    eventually(Duration::from_secs(10), "the notice", || got.count() == 1).await;
    let (headers, body) = got.all().remove(0);
    let status = verified(&headers, &body, "job.cancelled");
    assert_eq!(status["status"], "cancelled");
    assert_eq!(status["error"]["code"], "CANCELLED");
    assert_eq!(status["result"], Value::Null);
}

#[tokio::test]
async fn failed_jobs_are_announced_by_the_processor_and_by_the_dead_letter_handler() {
    let notices = Arc::new(RecordingNotices::default());
    let stack = TestStack::new(notices.clone(), Duration::ZERO);
    let bad = stack.submit("encrypted.pdf", None).await;
    let delivery = stack.receive().await;
    let outcome = stack
        .processor(pipeline_config())
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;
    assert_eq!(outcome, Outcome::Failed(ErrorCode::EncryptedPdf));

    let dead = stack.submit("single-sheet.pdf", None).await;
    let dead_letter = stack.receive().await;
    let handled = DeadLetterHandler::new(stack.ports.clone()).handle(&dead_letter).await;
    assert_eq!(handled.unwrap(), DeadLetterOutcome::MarkedFailed);

    let announced: Vec<_> = notices.jobs().iter().map(|j| (j.id.clone(), j.status)).collect();
    assert_eq!(announced, vec![(bad, JobStatus::Failed), (dead, JobStatus::Failed)]);
}

#[tokio::test]
async fn a_receiver_answering_500_twice_gets_a_third_attempt_with_the_same_signed_body() {
    let (url, got) = receiver(vec![500, 500]).await;
    let (stack, notifier) = stack_with_callbacks(|_| {});
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    cancel(&stack.ports, &id).await.unwrap();

    eventually(Duration::from_secs(10), "the delivery to end", || {
        notifier.in_flight() == 0 && got.count() > 0
    })
    .await;
    let attempts = got.all();
    assert_eq!(attempts.len(), 3, "two failures and the delivery");
    for (headers, body) in &attempts {
        verified(headers, body, "job.cancelled");
        assert_eq!(body, &attempts[0].1, "every attempt carries the same body");
    }
}

#[tokio::test]
async fn a_receiver_answering_a_client_error_is_not_retried_and_a_job_without_url_sends_nothing() {
    let (url, got) = receiver(vec![410]).await;
    let (stack, notifier) = stack_with_callbacks(|_| {});
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    cancel(&stack.ports, &id).await.unwrap();
    eventually(Duration::from_secs(10), "the delivery to end", || {
        notifier.in_flight() == 0 && got.count() > 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(got.count(), 1, "a 410 is final");

    let silent = stack.submit("single-sheet.pdf", None).await;
    cancel(&stack.ports, &silent).await.unwrap();
    assert_eq!(notifier.in_flight(), 0);
    assert_eq!(got.count(), 1);
}

#[tokio::test]
async fn a_dead_receiver_never_delays_the_jobs_completion() {
    let url = black_hole().await;
    let (stack, notifier) = stack_with_callbacks(|c| c.request_timeout = Duration::from_secs(60));
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    let delivery = stack.receive().await;
    let started = std::time::Instant::now();
    let outcome = stack
        .processor(pipeline_config())
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;

    assert_eq!(outcome, Outcome::Completed);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(stack.job(&id).await.status, JobStatus::Completed);
    assert_eq!(notifier.in_flight(), 1, "the notice is still being delivered");
}

#[tokio::test]
async fn a_bounded_delivery_gives_up_at_its_budget() {
    let url = black_hole().await;
    let (stack, notifier) = stack_with_callbacks(|c| c.mode = DeliveryMode::Within(Duration::from_millis(300)));
    let id = stack.submit("single-sheet.pdf", Some(&url)).await;
    let mut job = stack.job(&id).await;
    job.status = JobStatus::Completed;

    let started = std::time::Instant::now();
    notifier.job_finished(&job).await;

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(notifier.in_flight(), 0, "nothing is left running after the budget");
}

#[tokio::test]
async fn a_job_whose_callback_host_resolves_to_loopback_finishes_and_its_notice_is_refused() {
    let (url, got) = receiver(vec![]).await;
    let port = reqwest::Url::parse(&url).unwrap().port().unwrap();
    let config = CallbackConfig {
        first_retry: Duration::from_millis(50),
        ..CallbackConfig::new(SECRET)
    };
    let (stack, notifier) =
        stack_with_notifier(|blobs| CallbackNotifier::with_lookup(config, blobs, Arc::new(LoopbackDns)).unwrap());
    let id = stack
        .submit(
            "single-sheet.pdf",
            Some(&format!("https://hooks.example.com:{port}/hook")),
        )
        .await;
    let delivery = stack.receive().await;
    let outcome = stack
        .processor(pipeline_config())
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(stack.job(&id).await.status, JobStatus::Completed);

    eventually(Duration::from_secs(10), "the delivery to end", || {
        notifier.in_flight() == 0
    })
    .await;
    assert_eq!(notifier.outcomes().refused, 1);
    assert_eq!(notifier.outcomes().delivered, 0);
    assert_eq!(got.count(), 0, "the loopback receiver got the notice");
}
