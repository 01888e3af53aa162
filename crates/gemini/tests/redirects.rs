//! The client never follows a redirect: following one would send `x-goog-api-key` to the host
//! the answer names. Two local servers: one answers 307 to the other, which records every
//! request's headers.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header::LOCATION};
use axum::response::IntoResponse;
use drawings_core::ErrorClass;
use drawings_gemini::{GeminiClient, GeminiConfig, GeminiErrorKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_redirect_is_a_permanent_error_and_the_key_never_reaches_the_new_host() {
    let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
    let recorder = {
        let seen = seen.clone();
        Router::new().fallback(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(headers);
                ([("content-type", "application/json")], r#"{"totalTokens":1}"#)
            }
        })
    };
    let elsewhere = serve(recorder).await;
    let redirector = Router::new().fallback(move || {
        let target = format!("{elsewhere}/v1beta/models/stolen:countTokens");
        async move { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, target)]).into_response() }
    });
    let mut config = GeminiConfig::new("secret-test-key");
    config.base_url = serve(redirector).await;
    config.request_timeout = Duration::from_secs(5);
    let client = GeminiClient::new(config)
        .unwrap()
        .with_min_backoff(Duration::from_millis(1));

    let result = client.count_tokens(Vec::new()).await;

    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().all(|h| !h.contains_key("x-goog-api-key")),
        "the key reached the redirect target: {seen:?}"
    );
    assert!(seen.is_empty(), "the redirect was followed: {seen:?}");
    let error = result.expect_err("a redirect is not an answer");
    assert_eq!(error.kind, GeminiErrorKind::InvalidRequest, "{error}");
    assert_eq!(error.http_status, Some(307));
    assert_eq!(error.class(), ErrorClass::Permanent);
}
