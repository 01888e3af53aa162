//! Which model the analyzer talks to, against the fake Gemini server over the real wire
//! format: the default model with the thinking parameter its family takes, and a retired or
//! unknown model failing with `MODEL_UNAVAILABLE` that names the setting to change.

use bytes::Bytes;
use drawings_core::ports::{Analyzer, PageInput, PageText};
use drawings_core::{ErrorClass, ErrorCode};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig, GeminiErrorKind};
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, Scripted};
use std::time::Duration;

fn config(fake: &FakeGemini) -> GeminiConfig {
    let mut config = GeminiConfig::new("test-key");
    config.base_url = fake.base_url();
    config.request_timeout = Duration::from_secs(5);
    config
}

fn page() -> PageInput {
    PageInput {
        page: 0,
        page_count: 1,
        text: PageText {
            width_pt: 1190.0,
            height_pt: 842.0,
            ..PageText::default()
        },
        image: Some(Bytes::from_static(b"\x89PNG\r\n\x1a\nnot really a page")),
    }
}

fn assert_names_the_setting(message: &str) {
    assert!(message.contains("DRAWINGS_GEMINI_MODEL"), "{message}");
    assert!(
        message.contains("gemini-3.8-flash"),
        "the message suggests the default: {message}"
    );
}

#[tokio::test]
async fn the_default_model_goes_out_with_a_low_thinking_level_and_no_budget() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let client = GeminiClient::new(config(&fake)).unwrap();
    let analysis = GeminiAnalyzer::new(client).analyze_page(page()).await.unwrap();
    assert_eq!(analysis.analyzer, "gemini/gemini-3.8-flash");
    let sent = &fake.requests()[0];
    assert_eq!(sent.model, "gemini-3.8-flash");
    assert_eq!(sent.status, Some(200));
    let thinking = &sent.generation_config["thinkingConfig"];
    assert_eq!(thinking["thinkingLevel"], "LOW");
    assert!(thinking.get("thinkingBudget").is_none(), "{thinking}");
    assert!(analysis.usage.usd > 0.0, "the default model has a price");
}

#[tokio::test]
async fn a_retired_model_is_refused_before_any_call_naming_the_setting() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    for retired in [
        "gemini-2.5-flash",
        "gemini-2.5-pro",
        "gemini-3-pro-preview",
        "gemini-2.0-flash",
    ] {
        let mut config = config(&fake);
        config.model = retired.into();
        let Err(err) = GeminiClient::new(config) else {
            panic!("{retired} was accepted");
        };
        assert_eq!(err.kind, GeminiErrorKind::ModelUnavailable, "{retired}");
        assert_eq!(err.code(), ErrorCode::ModelUnavailable);
        assert_eq!(err.class(), ErrorClass::Permanent);
        let message = err.to_string();
        assert!(
            message.starts_with("MODEL_UNAVAILABLE: the model ") && message.contains(retired),
            "{message}"
        );
        assert_names_the_setting(&message);
    }
    assert_eq!(fake.generate_calls(), 0, "nothing is asked of a retired model");
    assert_eq!(fake.count_token_calls(), 0);
}

#[tokio::test]
async fn a_model_the_server_does_not_know_fails_the_page_as_model_unavailable() {
    let fake = FakeGemini::start(FakeOptions {
        retired_models: vec!["gemini-3.9-flash".into()],
        ..FakeOptions::default()
    })
    .await;
    let mut config = config(&fake);
    config.model = "gemini-3.9-flash".into();
    config.prices.models.insert(
        "gemini-3.9-flash".into(),
        config.prices.price("gemini-3.8-flash").unwrap().clone(),
    );
    let client = GeminiClient::new(config)
        .unwrap()
        .with_min_backoff(Duration::from_millis(10));
    let err = GeminiAnalyzer::new(client).analyze_page(page()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelUnavailable);
    assert_eq!(err.class, ErrorClass::Permanent);
    assert_names_the_setting(&err.message);
    assert!(
        err.message.contains("404"),
        "the server's answer is quoted: {}",
        err.message
    );
    assert_eq!(fake.generate_calls(), 1, "a 404 is not retried");
}

#[tokio::test]
async fn a_scripted_404_for_the_model_is_model_unavailable_too() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    fake.script(Scripted::ModelNotFound);
    let client = GeminiClient::new(config(&fake)).unwrap();
    let err = GeminiAnalyzer::new(client).analyze_page(page()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelUnavailable);
    assert_names_the_setting(&err.message);
    let count = GeminiClient::new(config(&fake)).unwrap();
    fake.script(Scripted::ModelNotFound);
    let err = count
        .generate_content(&drawings_gemini::wire::GenerateContentRequest {
            contents: vec![drawings_gemini::wire::Content::user(vec![
                drawings_gemini::wire::Part::text("x"),
            ])],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, GeminiErrorKind::ModelUnavailable);
}
