//! The Gemini analyzer against the fake Gemini server, over real HTTP and the real wire
//! format: what goes out (the page, the schema, the key), and what each kind of answer or
//! failure becomes.

use bytes::Bytes;
use drawings_core::ports::{Analyzer, PageInput, PageText};
use drawings_core::{ErrorClass, ErrorCode};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, FileState, MediaVia, Scripted, default_components};
use std::time::{Duration, Instant};

fn config(fake: &FakeGemini) -> GeminiConfig {
    let mut config = GeminiConfig::new("test-key");
    config.base_url = fake.base_url();
    config.request_timeout = Duration::from_secs(5);
    config.file_poll_interval = Duration::from_millis(20);
    config
}

fn analyzer(config: GeminiConfig) -> GeminiAnalyzer {
    let client = GeminiClient::new(config)
        .expect("client")
        .with_min_backoff(Duration::from_millis(10));
    GeminiAnalyzer::new(client)
}

/// A page-like input: PNG magic and some bytes (the fake does not decode images).
fn page(page: u32, image_len: usize) -> PageInput {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..image_len).map(|i| (i % 251) as u8));
    PageInput {
        page,
        page_count: 3,
        text: PageText {
            page,
            width_pt: 1190.0,
            height_pt: 842.0,
            ..PageText::default()
        },
        image: Some(Bytes::from(png)),
    }
}

async fn fake() -> FakeGemini {
    FakeGemini::start(FakeOptions::default()).await
}

#[tokio::test]
async fn the_page_image_goes_out_inline_with_the_schema_and_the_answer_becomes_components() {
    let fake = fake().await;
    let input = page(1, 10_000);
    let analysis = analyzer(config(&fake))
        .analyze_page(input.clone())
        .await
        .expect("analysis");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.api_key.as_deref(), Some("test-key"));
    assert_eq!(r.model, "gemini-3.8-flash");
    assert_eq!(
        r.generation_config["thinkingConfig"],
        serde_json::json!({"thinkingLevel": "LOW"}),
        "Gemini 3 takes a level (LOW for extraction), never a budget"
    );
    assert_eq!(r.page, Some(2), "the prompt names the 1-based page");
    assert_eq!(r.media.len(), 1);
    assert_eq!(r.media[0].via, MediaVia::Inline);
    assert_eq!(r.media[0].mime_type, "image/png");
    assert_eq!(
        r.media[0].bytes,
        input.image.unwrap().to_vec(),
        "the decoded image is the page"
    );
    assert!(r.system_instruction.as_deref().is_some_and(|s| !s.is_empty()));
    assert_eq!(r.generation_config["responseMimeType"], "application/json");
    assert!(r.generation_config["responseSchema"]["properties"]["components"].is_object());

    let mut ids: Vec<String> = analysis.components.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    let mut expected = default_components(2);
    expected.sort();
    assert_eq!(ids, expected);
    assert!(analysis.components.iter().all(|c| c.page == 2));
    assert!(analysis.usage.input_tokens > 0 && analysis.usage.output_tokens > 0);
    assert!(analysis.usage.usd > 0.0, "usage is priced");
    assert_eq!(analysis.analyzer, "gemini/gemini-3.8-flash");
}

#[tokio::test]
async fn a_page_above_the_inline_limit_is_uploaded_polled_until_active_and_deleted() {
    let fake = FakeGemini::start(FakeOptions {
        file_states: vec![FileState::Processing, FileState::Processing, FileState::Active],
        ..FakeOptions::default()
    })
    .await;
    let mut config = config(&fake);
    config.inline_limit_bytes = 50_000;
    let input = page(0, 200_000);
    let analysis = analyzer(config).analyze_page(input.clone()).await.expect("analysis");
    assert!(!analysis.components.is_empty());

    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, input.image.clone().unwrap().to_vec());
    assert_eq!(uploads[0].mime_type, "image/png");
    assert!(uploads[0].deleted, "the uploaded page is deleted once answered");
    let r = &fake.requests()[0];
    assert!(matches!(r.media[0].via, MediaVia::File { .. }));
    assert_eq!(r.media[0].bytes, input.image.unwrap().to_vec());
}

#[tokio::test]
async fn a_file_that_fails_processing_fails_the_page_with_a_clear_code() {
    let fake = FakeGemini::start(FakeOptions {
        file_states: vec![FileState::Processing, FileState::Failed],
        ..FakeOptions::default()
    })
    .await;
    let mut config = config(&fake);
    config.inline_limit_bytes = 1_000;
    let err = analyzer(config).analyze_page(page(0, 5_000)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelRequestRejected);
    assert_eq!(err.class, ErrorClass::Permanent);
    assert_eq!(
        fake.generate_calls(),
        0,
        "nothing is asked about a file that is not there"
    );
}

#[tokio::test]
async fn a_per_minute_429_is_retried_no_sooner_than_its_retry_delay() {
    let fake = fake().await;
    fake.script(Scripted::RateLimited {
        retry_delay: Some("0.4s".into()),
        per_day: false,
    });
    let started = Instant::now();
    let analysis = analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("analysis");
    assert!(!analysis.components.is_empty());
    assert_eq!(fake.generate_calls(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_per_day_429_fails_at_once() {
    let fake = fake().await;
    fake.script(Scripted::RateLimited {
        retry_delay: Some("30s".into()),
        per_day: true,
    });
    let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelQuotaExhausted);
    assert_eq!(err.class, ErrorClass::Permanent);
    assert_eq!(fake.generate_calls(), 1);
}

#[tokio::test]
async fn server_errors_and_a_non_json_502_are_retried_until_an_answer() {
    let fake = fake().await;
    fake.script_all([
        Scripted::ServerError { code: 500 },
        Scripted::ServerError { code: 503 },
        Scripted::BadGateway,
        Scripted::ServerError { code: 504 },
    ]);
    let analysis = analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("analysis");
    assert!(!analysis.components.is_empty());
    assert_eq!(fake.generate_calls(), 5);
}

#[tokio::test]
async fn server_errors_past_the_attempt_limit_leave_the_page_to_a_later_retry() {
    let fake = fake().await;
    fake.script_all((0..5).map(|_| Scripted::ServerError { code: 503 }));
    let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelServerError);
    assert_eq!(err.class, ErrorClass::Transient);
    assert_eq!(fake.generate_calls(), 5);
}

#[tokio::test]
async fn a_bad_key_fails_at_once() {
    let fake = fake().await;
    let mut wrong_key = config(&fake);
    wrong_key.api_key = "not-the-key".into();
    let err = analyzer(wrong_key).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelAuthFailed);
    assert_eq!(fake.generate_calls(), 1);
}

#[tokio::test]
async fn a_truncated_answer_is_asked_again_with_a_larger_budget_and_both_calls_are_billed() {
    let fake = fake().await;
    fake.script(Scripted::MaxTokensEmpty);
    let analysis = analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("analysis");
    assert!(!analysis.components.is_empty());
    let budgets: Vec<u64> = fake
        .requests()
        .iter()
        .map(|r| r.generation_config["maxOutputTokens"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets, [16_384, 32_768]);
    let single = {
        let other = self::fake().await;
        analyzer(config(&other)).analyze_page(page(0, 100)).await.unwrap().usage
    };
    assert!(
        analysis.usage.input_tokens > single.input_tokens,
        "the truncated call is billed too"
    );
}

#[tokio::test]
async fn an_answer_still_cut_off_at_the_ceiling_fails_with_output_truncated() {
    let fake = fake().await;
    fake.script_all((0..3).map(|_| Scripted::MaxTokensTruncated));
    let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelOutputTruncated);
    assert_eq!(fake.generate_calls(), 3, "16k, 32k, then the 64k ceiling");
    assert!(
        err.usage.input_tokens > 0,
        "the failed calls' usage travels with the error"
    );
}

#[tokio::test]
async fn blocked_answers_and_blocked_prompts_have_their_own_codes() {
    for (script, code) in [
        (Scripted::Safety, ErrorCode::ModelOutputBlocked),
        (Scripted::Recitation, ErrorCode::ModelOutputBlocked),
        (
            Scripted::PromptBlocked {
                reason: "PROHIBITED_CONTENT".into(),
            },
            ErrorCode::ModelInputBlocked,
        ),
    ] {
        let fake = fake().await;
        fake.script(script.clone());
        let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
        assert_eq!(err.code, code, "{script:?}");
        assert_eq!(err.class, ErrorClass::Permanent);
        assert_eq!(fake.generate_calls(), 1, "{script:?} is not retried");
    }
}

#[tokio::test]
async fn an_empty_stop_is_asked_again_and_repeated_empties_are_transient() {
    let fake = fake().await;
    fake.script(Scripted::StopNoParts);
    analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("second call answers");
    assert_eq!(fake.generate_calls(), 2);

    let fake = self::fake().await;
    fake.script_all((0..3).map(|_| Scripted::StopNoParts));
    let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelEmptyReply);
    assert_eq!(err.class, ErrorClass::Transient);
}

#[tokio::test]
async fn json_that_misses_the_schema_is_asked_once_more_then_fails() {
    let fake = fake().await;
    let not_components = || Scripted::Reply {
        text: r#"{"answer": "I see a door"}"#.into(),
        usage: None,
    };
    fake.script(not_components());
    analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("second call answers");

    let fake = self::fake().await;
    fake.script_all([not_components(), not_components()]);
    let err = analyzer(config(&fake)).analyze_page(page(0, 100)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelOutputInvalid);
    assert_eq!(fake.generate_calls(), 2);
}

#[tokio::test]
async fn thought_parts_are_not_read_as_the_answer() {
    let fake = fake().await;
    fake.script(Scripted::Thinking {
        text: r#"{"components":[{"id":"CR-9","type":"card_reader","confidence":0.8,"reason":"reader symbol"}]}"#.into(),
    });
    let analysis = analyzer(config(&fake))
        .analyze_page(page(0, 100))
        .await
        .expect("analysis");
    let ids: Vec<&str> = analysis.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["CR-9"]);
}

#[tokio::test]
async fn a_reply_slower_than_the_timeout_is_retried() {
    let fake = fake().await;
    fake.script(Scripted::Slow {
        delay_ms: 1_500,
        then: Box::new(Scripted::ServerError { code: 500 }),
    });
    let mut config = config(&fake);
    config.request_timeout = Duration::from_millis(500);
    let analysis = analyzer(config).analyze_page(page(0, 100)).await.expect("analysis");
    assert!(!analysis.components.is_empty());
    assert_eq!(fake.generate_calls(), 2);
}

#[tokio::test]
async fn a_request_over_the_servers_size_limit_is_rejected_not_retried() {
    let fake = FakeGemini::start(FakeOptions {
        max_body_bytes: Some(20_000),
        ..FakeOptions::default()
    })
    .await;
    let err = analyzer(config(&fake)).analyze_page(page(0, 50_000)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelRequestRejected);
    assert_eq!(fake.generate_calls(), 1);
}

#[tokio::test]
async fn count_tokens_answers_for_the_contents() {
    let fake = fake().await;
    let client = GeminiClient::new(config(&fake)).unwrap();
    let tokens = client
        .count_tokens(vec![drawings_gemini::wire::Content::user(vec![
            drawings_gemini::wire::Part::text("x".repeat(400)),
        ])])
        .await
        .expect("count");
    assert!(tokens >= 100, "{tokens}");
    assert_eq!(fake.count_token_calls(), 1);
}
