//! The fake Gemini server's scripted replies: each has the shape a client classifies on
//! (status, error envelope, finishReason, usage), and only a 200 STOP with text counts as an
//! answer.

mod fake_support;

use drawings_testkit::fake_gemini::{Scripted, default_reply_text};
use fake_support::{KEY, MODEL, answer_text, call, fake, page_request, parse};
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn scripted_429_carries_quota_failure_and_retry_info_but_no_retry_after() {
    let fake = fake().await;
    fake.script(Scripted::RateLimited {
        retry_delay: Some("1.5s".into()),
        per_day: false,
    });
    fake.script(Scripted::RateLimited {
        retry_delay: None,
        per_day: true,
    });
    let (status, headers, text) = call(&fake, "generateContent", Some(KEY), &page_request(1, b"p")).await;
    assert_eq!(status, 429);
    assert!(headers.get("retry-after").is_none());
    let error = &parse(&text)["error"];
    assert_eq!(error["status"], "RESOURCE_EXHAUSTED");
    let details = error["details"].as_array().unwrap();
    let of = |t: &str| {
        details
            .iter()
            .find(|d| d["@type"] == format!("type.googleapis.com/google.rpc.{t}"))
    };
    assert_eq!(of("RetryInfo").unwrap()["retryDelay"], "1.5s");
    assert_eq!(
        of("QuotaFailure").unwrap()["violations"][0]["quotaId"],
        "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
    );
    assert!(of("Help").is_some());

    let (status, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(1, b"p")).await;
    assert_eq!(status, 429);
    let details = parse(&text)["error"]["details"].clone();
    assert!(
        details
            .to_string()
            .contains("GenerateRequestsPerDayPerProjectPerModel-FreeTier")
    );
    assert!(!details.to_string().contains("RetryInfo"));
    assert_eq!(fake.generate_calls(), 2);
    assert!(fake.answered_pages().is_empty());
}

#[tokio::test]
async fn every_scripted_outcome_has_the_service_shape() {
    let fake = fake().await;
    let cases: Vec<(Scripted, u16, &str)> = vec![
        (
            Scripted::Thinking {
                text: "{\"components\":[]}".into(),
            },
            200,
            "STOP",
        ),
        (Scripted::MaxTokensEmpty, 200, "MAX_TOKENS"),
        (Scripted::MaxTokensTruncated, 200, "MAX_TOKENS"),
        (Scripted::StopNoParts, 200, "STOP"),
        (
            Scripted::PromptBlocked {
                reason: "SAFETY".into(),
            },
            200,
            "",
        ),
        (Scripted::Safety, 200, "SAFETY"),
        (Scripted::Recitation, 200, "RECITATION"),
        (Scripted::ServerError { code: 500 }, 500, "INTERNAL"),
        (Scripted::ServerError { code: 503 }, 503, "UNAVAILABLE"),
        (Scripted::ServerError { code: 504 }, 504, "DEADLINE_EXCEEDED"),
        (Scripted::InvalidKey, 400, "INVALID_ARGUMENT"),
        (Scripted::ModelNotFound, 404, "NOT_FOUND"),
    ];
    let n = cases.len();
    for (script, ..) in &cases {
        fake.script(script.clone());
    }
    for (script, want_status, want) in cases {
        let (status, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(2, b"p")).await;
        assert_eq!(status, want_status, "{script:?}: {text}");
        let body = parse(&text);
        let got = if status == 200 {
            body["candidates"][0]["finishReason"].clone()
        } else {
            body["error"]["status"].clone()
        };
        if want.is_empty() {
            assert!(
                body.get("candidates").is_none() && body["promptFeedback"]["blockReason"] == "SAFETY",
                "{text}"
            );
        } else {
            assert_eq!(got, want, "{script:?}: {text}");
        }
        match script {
            Scripted::Thinking { .. } => {
                assert_eq!(body["candidates"][0]["content"]["parts"][0]["thought"], true);
                assert!(body["usageMetadata"]["thoughtsTokenCount"].as_u64().unwrap() > 0);
                assert_eq!(answer_text(&body), "{\"components\":[]}");
            }
            Scripted::MaxTokensEmpty => {
                assert!(body["candidates"][0]["content"].get("parts").is_none());
                assert_eq!(body["usageMetadata"]["thoughtsTokenCount"], 4096);
            }
            Scripted::MaxTokensTruncated => {
                let cut = answer_text(&body);
                assert!(default_reply_text(2).starts_with(&cut) && serde_json::from_str::<Value>(&cut).is_err());
            }
            Scripted::ModelNotFound => assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("models/gemini-3.8-flash is not found")
            ),
            _ => {}
        }
    }
    assert_eq!(fake.generate_calls(), n);
    // Only the thinking reply is a 200 STOP with text.
    assert_eq!(fake.answered_pages(), vec![2]);
    assert_eq!(fake.requests().iter().filter(|r| r.answered_ok).count(), 1);
}

#[tokio::test]
async fn bad_gateway_raw_and_slow() {
    let fake = fake().await;
    fake.script(Scripted::BadGateway);
    fake.script(Scripted::Raw {
        status: 418,
        content_type: "text/plain".into(),
        body: "teapot".into(),
    });
    fake.script(Scripted::Slow {
        delay_ms: 300,
        then: Box::new(Scripted::Reply {
            text: "{}".into(),
            usage: None,
        }),
    });
    let (status, headers, text) = call(&fake, "generateContent", Some(KEY), &page_request(1, b"p")).await;
    assert_eq!(status, 502);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let (status, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(1, b"p")).await;
    assert_eq!((status, text.as_str()), (418, "teapot"));
    let started = Instant::now();
    let (status, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(1, b"p")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!((status, answer_text(&parse(&text))), (200, "{}".to_string()));
    assert_eq!(fake.pending_scripts(), 0);
}

#[tokio::test]
async fn a_reply_the_client_gave_up_on_is_not_an_answer() {
    let fake = fake().await;
    let reply = Scripted::Reply {
        text: "{}".into(),
        usage: None,
    };
    fake.script(Scripted::Slow {
        delay_ms: 400,
        then: Box::new(reply),
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let url = format!("{}/v1beta/models/{MODEL}:generateContent", fake.base_url());
    let sent = client
        .post(url)
        .header("x-goog-api-key", KEY)
        .json(&page_request(6, b"p"))
        .send()
        .await;
    assert!(sent.is_err(), "the client timed out");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(fake.generate_calls(), 1);
    assert!(fake.answered_pages().is_empty(), "{:?}", fake.requests());
}
