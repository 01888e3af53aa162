//! Black-box tests of `callback_url` on `drawings serve`: without the local development
//! setting, a callback to an internal address is refused at submit in every spelling a URL
//! parser accepts (decimal, hex, octal, IPv4-mapped IPv6, `localhost`) and plain http is
//! refused; with `DRAWINGS_CALLBACK_ALLOW_PRIVATE=true`, a receiver on 127.0.0.1 gets a
//! notice whose Standard Webhooks signature verifies.

mod support;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use drawings_webhook::{NoticeHeaders, SigningKey};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Server, fixture, wait_terminal};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Submits `single-sheet.pdf` with `X-Callback-Url: url`; the status and body.
async fn submit_with_callback(server: &Server, url: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .header("content-type", "application/pdf")
        .header("x-callback-url", url)
        .body(std::fs::read(fixture("single-sheet.pdf")).unwrap())
        .send()
        .await
        .expect("POST /process-drawing");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn internal_callback_urls_in_any_spelling_are_refused_at_submit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("DRAWINGS_CALLBACK_SECRET", SECRET),
            ("DRAWINGS_CALLBACK_ALLOW_PRIVATE", "false"),
        ],
    );
    for url in [
        "https://169.254.169.254/latest/meta-data/iam/",
        "https://2852039166/",
        "https://0xA9FEA9FE/",
        "https://0251.0376.0251.0376/",
        "https://[::ffff:169.254.169.254]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.8/hook",
        "https://100.64.0.1/hook",
        "https://localhost:9001/hook",
        "http://127.0.0.1:9001/hook",
        "http://hooks.example.com/hook",
    ] {
        let (status, body) = submit_with_callback(&server, url).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{url}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("callback_url"),
            "{url}: {body}"
        );
    }
    let (status, body) = submit_with_callback(&server, "https://hooks.example.com/drawings?token=t").await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn with_the_local_development_setting_a_loopback_receiver_gets_a_verifiable_notice() {
    let got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let record = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("DRAWINGS_CALLBACK_SECRET", SECRET),
            ("DRAWINGS_CALLBACK_ALLOW_PRIVATE", "true"),
        ],
    );
    let (status, body) = submit_with_callback(&server, &url).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    let finished = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(finished["status"], "completed", "{finished}");

    let started = std::time::Instant::now();
    while got.lock().unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no notice arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (headers, body) = got.lock().unwrap()[0].clone();
    let header = |name: &str| headers[name].to_str().unwrap();
    let signed = NoticeHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    assert!(signed.id.starts_with(&format!("{job_id}:completed:")), "{}", signed.id);
    let key = SigningKey::from_secret(SECRET).unwrap();
    assert_eq!(key.verify(&signed, &body, chrono::Utc::now().timestamp(), 300), Ok(()));
    let status: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["job_id"], job_id.as_str());
}
