//! A completion notice that cannot be delivered, or is refused, is logged without the
//! callback URL's query string or credentials: receivers put tokens there, and logs have more
//! readers than the job. (Moved from `crates/api/tests/callback_logs.rs` with the sender.)

mod common;

use common::{blobs, completed_job};
use drawings_core::ports::CompletionNotifier;
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode};
use std::time::Duration;

/// The JSON log lines of `notifier` announcing a failed job whose callback is `url`.
async fn logs_of_a_notice_to(url: String, allow_private: bool) -> String {
    let logs = drawings_testkit::logs::capture(tracing::Level::DEBUG);

    let (blobs, _dir) = blobs();
    let config = CallbackConfig {
        attempts: 2,
        first_retry: Duration::from_millis(1),
        mode: DeliveryMode::Within(Duration::from_secs(10)),
        allow_private,
        ..CallbackConfig::new("secret")
    };
    let notifier = CallbackNotifier::new(config, blobs).unwrap();
    let mut job = completed_job(&url);
    job.status = drawings_core::JobStatus::Failed;
    notifier.job_finished(&job).await;
    logs.text()
}

#[tokio::test]
async fn a_failed_delivery_logs_the_callback_url_without_its_query() {
    // A port nobody listens on: the attempt fails at connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = logs_of_a_notice_to(format!("http://127.0.0.1:{port}/hooks/done?token=s3cr3t"), true).await;
    assert!(out.contains("Completion notice given up."), "{out}");
    assert!(
        out.contains(&format!("http://127.0.0.1:{port}/hooks/done")),
        "the redacted URL is logged: {out}"
    );
    for secret in ["s3cr3t", "token="] {
        assert!(!out.contains(secret), "{secret:?} reached the log: {out}");
    }
}

#[tokio::test]
async fn a_refused_callback_is_logged_without_its_query_or_credentials() {
    let url = "https://hookuser:hookpass@169.254.169.254/latest/meta-data?token=s3cr3t".to_owned();
    let out = logs_of_a_notice_to(url, false).await;
    assert!(
        out.contains("Completion notice not sent: its target is refused."),
        "{out}"
    );
    assert!(out.contains("\"outcome\":\"refused\""), "{out}");
    assert!(
        out.contains("https://169.254.169.254/latest/meta-data"),
        "the redacted URL is logged: {out}"
    );
    for secret in ["s3cr3t", "token=", "hookuser", "hookpass"] {
        assert!(!out.contains(secret), "{secret:?} reached the log: {out}");
    }
}
