//! The processor function's analyzer, as the template deploys it (`DRAWINGS_ANALYZER=gemini`
//! and the key in an SSM parameter): without the key it runs the text layer and says why,
//! instead of failing in init and holding every job for three visibility timeouts.

use crate::harness::{Harness, fixture, pdf_engine};
use drawings_core::JobId;
use drawings_core::ports::PageAnalysis;
use drawings_lambdas::handlers::process_event;
use drawings_settings::{AnalyzerKind, GeminiKey, keys};
use std::time::Duration;
use tokio::time::Instant;

const PARAMETER: &str = "/drawings/dev/gemini-api-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_gemini_key_in_ssm_the_processor_runs_the_text_layer_and_says_why() {
    let h = Harness::start_with(&[(keys::ANALYZER, "gemini"), (keys::GEMINI_KEY_PARAMETER, PARAMETER)]).await;
    let (processor, choice) = h
        .stack
        .assemble_processor(pdf_engine())
        .await
        .expect("a missing key does not stop the processor's init");
    assert_eq!(choice.kind, AnalyzerKind::TextLayer);
    assert!(choice.fallback, "{choice:?}");
    assert!(
        choice.reason.contains(PARAMETER) && choice.reason.contains("does not exist"),
        "{}",
        choice.reason
    );

    // Jobs run, and their analyses name the analyzer that made them.
    let job_id = h.submit(fixture("security-plan.pdf")).await;
    let queue = h.work_queue();
    let message = queue.receive(Duration::from_secs(5)).await.expect("a queued job");
    let messages = [message];
    let deadline = Instant::now() + Duration::from_secs(180);
    let response = process_event(
        &processor,
        h.stack.ports.queue.as_ref(),
        queue.event(&messages),
        deadline,
    )
    .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    assert_eq!(h.status(&job_id).await["status"], "completed");
    let id = JobId::parse(&job_id).expect("a job id");
    let body = h
        .stack
        .ports
        .blobs
        .get(&id.files().page_analysis(1))
        .await
        .expect("page 1's analysis");
    let analysis: PageAnalysis = serde_json::from_slice(&body).expect("an analysis");
    assert_eq!(analysis.analyzer, "text-layer");
}

#[tokio::test]
async fn the_key_in_ssm_gives_gemini_and_text_layer_never_reads_it() {
    let h = Harness::start_with(&[(keys::GEMINI_KEY_PARAMETER, PARAMETER)]).await;
    h.stack
        .clients
        .ssm
        .put_parameter()
        .name(PARAMETER)
        .value(" test-key\n")
        .r#type("SecureString".into())
        .send()
        .await
        .expect("PutParameter");
    let GeminiKey::Found(key) = h.stack.gemini_key().await else {
        panic!("the key is in SSM");
    };
    assert_eq!(key.expose(), "test-key");
    let (_, choice) = h.stack.assemble_processor(pdf_engine()).await.expect("the processor");
    assert_eq!(choice.kind, AnalyzerKind::Gemini, "{choice:?}");

    let mut text_layer = h.stack.clone();
    text_layer.config.settings.analyzer = drawings_settings::AnalyzerSetting::TextLayer;
    let GeminiKey::Missing(why) = text_layer.gemini_key().await else {
        panic!("DRAWINGS_ANALYZER=text-layer asks for no key");
    };
    assert!(why.contains("text-layer"), "{why}");
}
