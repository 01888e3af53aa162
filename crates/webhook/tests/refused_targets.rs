//! The SSRF guard at send time, against real listeners on 127.0.0.1: without the local
//! development setting, a callback whose host is (or resolves to) an internal address gets no
//! connection, is recorded as refused and is not retried; with the setting, the loopback
//! receiver gets its notice. Redirects are never followed.

mod common;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::post;
use common::{FixedDns, blobs, completed_job};
use drawings_core::ports::CompletionNotifier;
use drawings_testkit::receiver::{holding_listener, receiver, serve};
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode, Outcomes};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn config(allow_private: bool) -> CallbackConfig {
    CallbackConfig {
        attempts: 3,
        first_retry: Duration::from_millis(20),
        request_timeout: Duration::from_secs(2),
        mode: DeliveryMode::Within(Duration::from_secs(10)),
        allow_private,
        ..CallbackConfig::new("test-callback-secret")
    }
}

#[tokio::test]
async fn a_name_resolving_to_loopback_gets_no_connection_without_the_local_development_setting() {
    let (port, connections) = holding_listener().await;
    let dns = FixedDns::new(&["127.0.0.1"]);
    let (blobs, _dir) = blobs();
    let notifier = CallbackNotifier::with_lookup(config(false), blobs, dns.clone()).unwrap();

    notifier
        .job_finished(&completed_job(&format!("https://hooks.example.com:{port}/hook")))
        .await;

    assert_eq!(connections.load(Ordering::SeqCst), 0, "the receiver was connected to");
    assert_eq!(
        notifier.outcomes(),
        Outcomes {
            refused: 1,
            ..Outcomes::default()
        }
    );
    assert_eq!(
        dns.asked.load(Ordering::SeqCst),
        1,
        "a refusal is final: no retry asks again"
    );
    assert_eq!(notifier.in_flight(), 0);
}

#[tokio::test]
async fn a_name_whose_every_answer_is_internal_is_refused_in_any_form() {
    for answer in [
        &["169.254.169.254"][..],
        &["::ffff:169.254.169.254"],
        &["fd00:ec2::254"],
        &["10.0.0.7", "192.168.1.1"],
        &["100.64.0.1"],
        &["::1", "0.0.0.0"],
    ] {
        let dns = FixedDns::new(answer);
        let (blobs, _dir) = blobs();
        let notifier = CallbackNotifier::with_lookup(config(false), blobs, dns).unwrap();
        notifier
            .job_finished(&completed_job("https://hooks.example.com/hook"))
            .await;
        assert_eq!(notifier.outcomes().refused, 1, "{answer:?}");
    }
}

#[tokio::test]
async fn ip_literal_and_plain_http_targets_are_refused_before_any_connection() {
    let (port, connections) = holding_listener().await;
    let (blobs, _dir) = blobs();
    let notifier = CallbackNotifier::new(config(false), blobs).unwrap();
    let urls = [
        format!("https://127.0.0.1:{port}/hook"),
        // 127.0.0.1 in decimal, and IPv4-mapped: the URL parser reads both as 127.0.0.1.
        format!("https://2130706433:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        format!("https://localhost:{port}/hook"),
        format!("http://127.0.0.1:{port}/hook"),
    ];
    for url in &urls {
        notifier.job_finished(&completed_job(url)).await;
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the receiver was connected to");
    assert_eq!(notifier.outcomes().refused, urls.len() as u64);
}

#[tokio::test]
async fn with_the_local_development_setting_a_loopback_receiver_gets_the_notice() {
    let (port, got) = receiver(vec![]).await;
    let (blobs, _dir) = blobs();
    let notifier = CallbackNotifier::new(config(true), blobs).unwrap();
    notifier
        .job_finished(&completed_job(&format!("http://localhost:{port}/hook")))
        .await;
    assert_eq!(got.count(), 1);
    assert_eq!(notifier.outcomes().delivered, 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_ends_the_delivery() {
    let (elsewhere, connections) = holding_listener().await;
    let location = format!("http://127.0.0.1:{elsewhere}/hook");
    let app = Router::new().route(
        "/hook",
        post(move || {
            let location = location.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]) }
        }),
    );
    let port = serve(app).await;
    let (blobs, _dir) = blobs();
    let notifier = CallbackNotifier::new(config(true), blobs).unwrap();
    notifier
        .job_finished(&completed_job(&format!("http://127.0.0.1:{port}/hook")))
        .await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the redirect was followed");
    assert_eq!(notifier.outcomes().given_up, 1);
}
