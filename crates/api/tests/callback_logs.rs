//! A completion notice that cannot be delivered is logged without the callback URL's query
//! string or credentials: receivers put tokens there, and logs have more readers than the job.

use drawings_api::callback::{CallbackConfig, CallbackNotifier, DeliveryMode};
use drawings_core::JobStatus;
use drawings_core::ports::CompletionNotifier;
use drawings_local::FsBlobStore;
use drawings_testkit::full_job;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failed_delivery_logs_the_callback_url_without_its_query_or_credentials() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A port nobody listens on: the attempt fails at connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(FsBlobStore::new(dir.path()).unwrap());
    let mut config = CallbackConfig::new("secret");
    config.attempts = 2;
    config.first_retry = Duration::from_millis(1);
    config.mode = DeliveryMode::Within(Duration::from_secs(10));
    let notifier = CallbackNotifier::new(config, blobs).unwrap();
    let mut job = full_job();
    job.status = JobStatus::Failed;
    job.input.callback_url = Some(format!(
        "http://hookuser:hookpass@127.0.0.1:{port}/hooks/done?token=s3cr3t"
    ));

    notifier.job_finished(&job).await;

    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("Completion notice given up."), "{out}");
    assert!(
        out.contains(&format!("http://127.0.0.1:{port}/hooks/done")),
        "the redacted URL is logged: {out}"
    );
    for secret in ["s3cr3t", "token=", "hookuser", "hookpass"] {
        assert!(!out.contains(secret), "{secret:?} reached the log: {out}");
    }
}
