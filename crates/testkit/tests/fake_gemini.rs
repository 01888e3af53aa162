//! The fake Gemini server's `generateContent` and `countTokens` against the contract: the
//! default reply and its usage, what is recorded, and the checks made on requests (key, size,
//! shape) answered with the service's 400 envelopes rather than panics.

mod fake_support;

use base64::Engine as _;
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, MediaVia, default_components, default_reply_text};
use fake_support::{KEY, MODEL, answer_text, call, fake, page_request, parse};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn default_reply_describes_the_prompted_page_with_usage() {
    let fake = fake().await;
    let png = b"\x89PNG fake page bytes".to_vec();
    let (status, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(3, &png)).await;
    assert_eq!(status, 200, "{text}");
    let body = parse(&text);
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert_eq!(body["modelVersion"], MODEL);
    assert!(body["responseId"].is_string());
    let answer = parse(&answer_text(&body));
    let ids: Vec<&str> = answer["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, default_components(3));
    assert_eq!(answer_text(&body), default_reply_text(3));

    let usage = &body["usageMetadata"];
    let chars = "You find access-control devices.".len() + "This is page 3 of 9 of the drawing set.".len();
    assert_eq!(
        usage["promptTokenCount"],
        json!(560 + chars / 4),
        "an image on Gemini 3 is 560 tokens"
    );
    let total = usage["promptTokenCount"].as_u64().unwrap() + usage["candidatesTokenCount"].as_u64().unwrap();
    assert_eq!(usage["totalTokenCount"], json!(total));
    assert!(usage["promptTokensDetails"].is_array());

    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!((r.page, r.page_count, r.seq), (Some(3), Some(9), 0));
    assert_eq!(r.api_key.as_deref(), Some(KEY));
    assert_eq!(
        r.system_instruction.as_deref(),
        Some("You find access-control devices.")
    );
    assert_eq!(r.media[0].bytes, png, "base64 decoded");
    assert_eq!(r.media[0].via, MediaVia::Inline);
    assert_eq!(r.generation_config["maxOutputTokens"], 4096);
    assert!(r.answered_ok);
    assert_eq!(r.status, Some(200));
    assert_eq!(fake.answered_pages(), vec![3]);
}

#[tokio::test]
async fn snake_case_url_safe_unpadded_input_is_accepted() {
    let fake = fake().await;
    let bytes = vec![0xfb, 0xff, 0x01];
    let data = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
    let body = json!({"system_instruction": {"parts": [{"text": "s"}]},
        "contents": [{"parts": [{"inline_data": {"mime_type": "application/pdf", "data": data}}, {"text": "x"}]}],
        "generation_config": {"max_output_tokens": 5}});
    let (status, _, text) = call(&fake, "generateContent", Some(KEY), &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(fake.requests()[0].media[0].bytes, bytes);
    // No page in the prompt: the default reply falls back to seq + 1.
    assert_eq!(fake.answered_pages(), vec![1]);
}
#[tokio::test]
async fn wrong_or_missing_key_is_400_api_key_invalid_and_query_key_works() {
    let fake = fake().await;
    for key in [Some("nope"), None] {
        let (status, _, text) = call(&fake, "generateContent", key, &page_request(1, b"p")).await;
        assert_eq!(status, 400);
        let error = &parse(&text)["error"];
        assert_eq!(error["status"], "INVALID_ARGUMENT");
        assert_eq!(error["details"][0]["reason"], "API_KEY_INVALID");
    }
    let url = format!("{}/v1beta/models/{MODEL}:generateContent?key={KEY}", fake.base_url());
    let resp = reqwest::Client::new()
        .post(url)
        .json(&page_request(1, b"p"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 3, "rejected calls are counted too");
    assert!(recorded[0].rejected.is_some() && !recorded[0].answered_ok);
    assert_eq!(recorded[2].api_key.as_deref(), Some(KEY));
}

#[tokio::test]
async fn body_limit_is_the_fakes_not_axums() {
    let limited = FakeGemini::start(FakeOptions {
        max_body_bytes: Some(1000),
        ..Default::default()
    })
    .await;
    let (status, _, text) = call(&limited, "generateContent", Some(KEY), &page_request(1, &[7u8; 2000])).await;
    assert_eq!(status, 400);
    let error = &parse(&text)["error"];
    assert_eq!(error["status"], "INVALID_ARGUMENT");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the limit: 1000 bytes")
    );

    // Far above axum's 2 MB default, and no limit configured: accepted.
    let unlimited = fake().await;
    let big = vec![1u8; 3 * 1024 * 1024];
    let (status, _, text) = call(&unlimited, "generateContent", Some(KEY), &page_request(1, &big)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(unlimited.requests()[0].media[0].bytes.len(), big.len());
}

#[tokio::test]
async fn malformed_requests_get_400_envelopes_not_panics() {
    let fake = fake().await;
    let bad_b64 = json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@@"}}]}]});
    let misplaced = json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"systemInstruction": {}}});
    for body in [
        bad_b64,
        misplaced,
        json!([1, 2]),
        json!({"contents": []}),
        json!({"contents": [{"parts": [{}]}]}),
    ] {
        let (status, _, text) = call(&fake, "generateContent", Some(KEY), &body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(parse(&text)["error"]["code"], 400);
    }
    let url = format!("{}/v1beta/models/{MODEL}:generateContent", fake.base_url());
    let resp = reqwest::Client::new()
        .post(url)
        .header("x-goog-api-key", KEY)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(fake.requests().iter().all(|r| r.rejected.is_some()));
    assert!(
        fake.requests()[0]
            .rejected
            .as_deref()
            .unwrap()
            .contains("Base64 decoding failed")
    );
}

#[tokio::test]
async fn count_tokens_is_deterministic_in_both_forms() {
    let fake = fake().await;
    let contents = json!([{"parts": [{"inline_data": {"mime_type": "application/pdf", "data": "JVBERi0="}}, {"text": "12345678"}]}]);
    let (status, _, text) = call(&fake, "countTokens", Some(KEY), &json!({ "contents": contents })).await;
    assert_eq!(status, 200, "{text}");
    let body = parse(&text);
    // Gemini 3 counts a PDF page as an IMAGE at the medium resolution.
    assert_eq!(body["totalTokens"], 560 + 2);
    assert!(body["promptTokensDetails"].to_string().contains("IMAGE"));
    let wrapped = json!({"generateContentRequest": {"model": "models/gemini-3.8-flash", "contents": contents}});
    let (_, _, text) = call(&fake, "countTokens", Some(KEY), &wrapped).await;
    assert_eq!(parse(&text)["totalTokens"], 562);

    let url = format!("{}/v1beta/models/gemini-2.5-flash-lite:countTokens", fake.base_url());
    let resp = reqwest::Client::new()
        .post(url)
        .header("x-goog-api-key", KEY)
        .json(&json!({ "contents": contents }));
    let body: Value = resp.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["totalTokens"], 258 + 2);
    assert!(body["promptTokensDetails"].to_string().contains("DOCUMENT"));
    assert_eq!(fake.count_token_calls(), 3);
    assert_eq!(fake.generate_calls(), 0);
}

#[tokio::test]
async fn responder_replaces_the_default_reply() {
    let options = FakeOptions {
        responder: Some(Arc::new(|r| format!("{{\"page\":{}}}", r.effective_page()))),
        ..Default::default()
    };
    let fake = FakeGemini::start(options).await;
    let (_, _, text) = call(&fake, "generateContent", Some(KEY), &page_request(5, b"p")).await;
    assert_eq!(answer_text(&parse(&text)), "{\"page\":5}");
}

#[tokio::test]
async fn shutdown_or_drop_stops_the_server() {
    let stopped = fake().await;
    let url = format!("{}/_fake/stats", stopped.base_url());
    assert!(reqwest::get(&url).await.is_ok());
    stopped.shutdown().await;
    assert!(reqwest::get(&url).await.is_err());

    let dropped = fake().await;
    let url = format!("{}/_fake/stats", dropped.base_url());
    drop(dropped);
    // Dropping only signals the server task; give it a turn to stop listening.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::get(&url).await.is_err());
}

#[tokio::test]
async fn a_retired_model_is_not_found_and_a_level_the_model_lacks_is_refused() {
    let fake = fake().await;
    let post = |model: &str, body: Value| {
        let url = format!("{}/v1beta/models/{model}:generateContent", fake.base_url());
        reqwest::Client::new()
            .post(url)
            .header("x-goog-api-key", KEY)
            .json(&body)
            .send()
    };
    for model in ["gemini-2.5-flash", "gemini-1.5-pro-002"] {
        let resp = post(model, page_request(1, b"p")).await.unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{model}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["status"], "NOT_FOUND");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("models/{model} is not found"))
        );
    }
    let mut minimal = page_request(1, b"p");
    minimal["generationConfig"]["thinkingConfig"] = json!({"thinkingLevel": "MINIMAL"});
    let resp = post(MODEL, minimal.clone()).await.unwrap();
    assert_eq!(resp.status().as_u16(), 400, "gemini-3.8-flash has no MINIMAL level");
    minimal["generationConfig"]["thinkingConfig"] = json!({"thinkingLevel": "LOW"});
    assert_eq!(post(MODEL, minimal.clone()).await.unwrap().status().as_u16(), 200);
    assert_eq!(
        post("gemini-2.5-flash-lite", minimal).await.unwrap().status().as_u16(),
        400,
        "a 2.5 model takes a budget, not a level"
    );
    assert_eq!(fake.generate_calls(), 5);
}
