//! Standard Webhooks signatures as a receiver sees them: a receiver on 127.0.0.1 that
//! verifies notices the way the reference libraries do (written here with `hmac` directly,
//! not with this crate's own check) accepts a real notice, and rejects a captured notice
//! replayed later (stale timestamp) or replayed under a fresh timestamp (the signature covers
//! id and timestamp, not only the body).

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use common::{blobs, completed_job};
use drawings_core::ports::CompletionNotifier;
use drawings_testkit::receiver::serve;
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// 24 random bytes in the `whsec_` form the reference libraries take.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOLERANCE_SECS: i64 = 300;

/// One request the receiver got: its headers and body, and the verdict.
type Entry = (HeaderMap, Bytes, Result<(), &'static str>);

/// A receiver that verifies every request, answering 401 to what fails, and otherwise the
/// statuses of its script in turn, then 200.
#[derive(Clone, Default)]
struct Receiver {
    key: Vec<u8>,
    /// Added to the receiver's clock: a replay "later" without waiting for it.
    clock_offset: Arc<AtomicI64>,
    script: Arc<Mutex<VecDeque<u16>>>,
    log: Arc<Mutex<Vec<Entry>>>,
}

impl Receiver {
    fn new(script: Vec<u16>) -> Self {
        let encoded = SECRET.strip_prefix("whsec_").unwrap();
        Receiver {
            key: BASE64.decode(encoded).unwrap(),
            script: Arc::new(Mutex::new(script.into())),
            ..Receiver::default()
        }
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), &'static str> {
        let get = |name| headers.get(name).and_then(|v| v.to_str().ok()).ok_or("missing header");
        let (id, timestamp, signatures) = (get("webhook-id")?, get("webhook-timestamp")?, get("webhook-signature")?);
        let sent_at: i64 = timestamp.parse().map_err(|_| "bad timestamp")?;
        let now = chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst);
        if (now - sent_at).abs() > TOLERANCE_SECS {
            return Err("stale");
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        let matches = signatures
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|s| BASE64.decode(s).ok())
            .any(|given| given.as_slice() == expected.as_slice());
        if matches { Ok(()) } else { Err("bad signature") }
    }

    async fn start(&self) -> String {
        async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
            let verdict = receiver.verify(&headers, &body);
            receiver.log.lock().unwrap().push((headers, body, verdict));
            if verdict.is_err() {
                return StatusCode::UNAUTHORIZED;
            }
            let code = receiver.script.lock().unwrap().pop_front().unwrap_or(200);
            StatusCode::from_u16(code).unwrap()
        }
        let port = serve(Router::new().route("/hook", post(hook)).with_state(self.clone())).await;
        format!("http://127.0.0.1:{port}/hook")
    }

    fn log(&self) -> Vec<Entry> {
        self.log.lock().unwrap().clone()
    }
}

fn notifier() -> (CallbackNotifier, tempfile::TempDir) {
    let (blobs, dir) = blobs();
    let config = CallbackConfig {
        first_retry: Duration::from_millis(20),
        mode: DeliveryMode::Within(Duration::from_secs(10)),
        // The receiver is on loopback over plain http.
        allow_private: true,
        ..CallbackConfig::new(SECRET)
    };
    (CallbackNotifier::new(config, blobs).unwrap(), dir)
}

/// Sends a captured request again, with `timestamp` in place of the captured one if given.
async fn replay(url: &str, headers: &HeaderMap, body: &Bytes, timestamp: Option<i64>) -> StatusCode {
    let mut request = reqwest::Client::new().post(url).body(body.clone());
    for name in ["content-type", "x-drawings-event", "webhook-id", "webhook-signature"] {
        request = request.header(name, headers[name].to_str().unwrap());
    }
    let captured = headers["webhook-timestamp"].to_str().unwrap();
    request = request.header(
        "webhook-timestamp",
        timestamp.map_or(captured.to_owned(), |t| t.to_string()),
    );
    StatusCode::from_u16(request.send().await.unwrap().status().as_u16()).unwrap()
}

#[tokio::test]
async fn a_receiver_verifies_the_standard_webhooks_signature_of_a_notice() {
    let receiver = Receiver::new(vec![]);
    let url = receiver.start().await;
    let (notifier, _dir) = notifier();
    let job = completed_job(&url);

    notifier.job_finished(&job).await;

    let log = receiver.log();
    assert_eq!(log.len(), 1);
    let (headers, body, verdict) = &log[0];
    assert_eq!(*verdict, Ok(()));
    assert_eq!(
        headers["webhook-id"],
        format!("{}:completed:{}", job.id, job.version).as_str()
    );
    assert_eq!(headers["x-drawings-event"], "job.completed");
    assert_eq!(headers["content-type"], "application/json");
    let sent_at: i64 = headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    let status: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(status["job_id"], job.id.as_str());
    assert_eq!(notifier.outcomes().delivered, 1);
}

#[tokio::test]
async fn a_captured_notice_replayed_after_the_tolerance_is_rejected_as_stale() {
    let receiver = Receiver::new(vec![]);
    let url = receiver.start().await;
    let (notifier, _dir) = notifier();
    notifier.job_finished(&completed_job(&url)).await;
    let (headers, body, _) = receiver.log().remove(0);

    receiver.clock_offset.store(TOLERANCE_SECS + 1, Ordering::SeqCst);
    assert_eq!(replay(&url, &headers, &body, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(receiver.log()[1].2, Err("stale"));
}

#[tokio::test]
async fn a_captured_notice_replayed_under_a_fresh_timestamp_fails_its_signature() {
    let receiver = Receiver::new(vec![]);
    let url = receiver.start().await;
    let (notifier, _dir) = notifier();
    notifier.job_finished(&completed_job(&url)).await;
    let (headers, body, _) = receiver.log().remove(0);

    receiver.clock_offset.store(TOLERANCE_SECS + 60, Ordering::SeqCst);
    let fresh = chrono::Utc::now().timestamp() + TOLERANCE_SECS + 60;
    assert_eq!(
        replay(&url, &headers, &body, Some(fresh)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(receiver.log()[1].2, Err("bad signature"));
}

#[tokio::test]
async fn retries_of_one_notice_carry_the_same_webhook_id_and_each_a_valid_signature() {
    let receiver = Receiver::new(vec![500, 503]);
    let url = receiver.start().await;
    let (notifier, _dir) = notifier();
    notifier.job_finished(&completed_job(&url)).await;

    let log = receiver.log();
    assert_eq!(log.len(), 3, "two failures and the delivery");
    for (headers, body, verdict) in &log {
        assert_eq!(*verdict, Ok(()));
        assert_eq!(headers["webhook-id"], log[0].0["webhook-id"], "one id per notice");
        assert_eq!(body, &log[0].1, "every attempt carries the same body");
    }
    assert_eq!(notifier.outcomes().delivered, 1);
}
