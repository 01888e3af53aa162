//! Cancellation against a running processor: a job cancelled mid-analysis stops at its next
//! checkpoint and stays cancelled (no completion or failure written over it, no alert, the
//! message acknowledged), and a job cancelled while queued is never started. The processor
//! runs on the real embedded adapters with PDFium and a slowed text-layer analyzer.
//! `drawings cancel` is run against the API router serving those adapters on 127.0.0.1.

mod embedded_stack;

use drawings_api::{AppState, router};
use drawings_core::cancel::cancel;
use drawings_core::intake::{Intake, IntakeConfig};
use drawings_core::pipeline::{Outcome, PipelineConfig, SkipReason};
use drawings_core::ports::NoNotices;
use drawings_core::{ErrorCode, JobId, JobStatus, Stage};
use embedded_stack::{RecordingNotices, TestStack, eventually, pipeline_config};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test]
async fn a_job_cancelled_mid_analysis_stops_at_its_next_checkpoint_and_stays_cancelled() {
    let notices = Arc::new(RecordingNotices::default());
    let stack = TestStack::new(notices.clone(), Duration::from_millis(800));
    // A short lease makes the heartbeat renew every 200 ms, several times while the page in
    // flight finishes after the cancellation: a renewal must not bring the job back.
    let processor = stack.processor(PipelineConfig {
        lease: Duration::from_millis(600),
        ..pipeline_config()
    });
    let id = stack.submit("security-plan.pdf", None).await;
    let delivery = stack.receive().await;
    let running = {
        let processor = processor.clone();
        tokio::spawn(async move {
            processor
                .handle(&delivery, Instant::now() + Duration::from_secs(600))
                .await
        })
    };
    let analyzer = stack.analyzer.clone();
    eventually(Duration::from_secs(60), "the first page's analysis", || {
        !analyzer.calls().is_empty()
    })
    .await;

    let cancelled = cancel(&stack.ports, &id).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    let outcome = running.await.unwrap();

    assert!(matches!(outcome, Outcome::Skipped(_)), "{outcome:?}");
    assert!(outcome.is_done(), "the message of a cancelled job is acknowledged");
    assert_eq!(
        stack.analyzer.calls(),
        vec![0],
        "only the page in flight finishes; no page starts after the checkpoint that saw the cancellation"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let job = stack.job(&id).await;
    assert_eq!(job.status, JobStatus::Cancelled, "nothing writes over a cancelled job");
    assert_eq!(job.lease, None);
    let error = job.error.expect("a cancelled job says why");
    assert_eq!(error.code, ErrorCode::Cancelled);
    assert_eq!(error.stage, Some(Stage::DrawingAnalysis));
    assert_eq!(job.stages_completed, vec![Stage::Validation, Stage::PdfProcessing]);
    assert!(
        job.progress.done.is_empty(),
        "the interrupted page was not checkpointed"
    );
    assert!(stack.alerts.alerts().is_empty(), "a cancellation pages no operator");
    let announced: Vec<_> = notices.jobs().iter().map(|j| j.status).collect();
    assert_eq!(
        announced,
        vec![JobStatus::Cancelled],
        "one notice, from the cancel; none from the processor"
    );
}

#[tokio::test]
async fn a_job_cancelled_while_queued_is_never_started_and_its_message_is_dropped() {
    let notices = Arc::new(RecordingNotices::default());
    let stack = TestStack::new(notices.clone(), Duration::ZERO);
    let processor = stack.processor(pipeline_config());
    let id = stack.submit("single-sheet.pdf", None).await;
    cancel(&stack.ports, &id).await.unwrap();

    let delivery = stack.receive().await;
    let outcome = processor
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;

    assert_eq!(outcome, Outcome::Skipped(SkipReason::JobFinished));
    assert!(outcome.is_done());
    let job = stack.job(&id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Cancelled, 0));
    assert_eq!(job.error.unwrap().stage, None, "it never reached a stage");
    assert!(stack.analyzer.calls().is_empty());
    assert_eq!(notices.jobs().len(), 1);
}

#[tokio::test]
async fn a_cancelled_job_is_not_cancelled_again_and_a_completed_one_cannot_be() {
    let notices = Arc::new(RecordingNotices::default());
    let stack = TestStack::new(notices.clone(), Duration::ZERO);
    let processor = stack.processor(pipeline_config());
    let done = stack.submit("single-sheet.pdf", None).await;
    let delivery = stack.receive().await;
    let outcome = processor
        .handle(&delivery, Instant::now() + Duration::from_secs(600))
        .await;
    assert_eq!(outcome, Outcome::Completed);
    let refused = cancel(&stack.ports, &done).await.unwrap_err();
    assert!(
        matches!(&refused, drawings_core::cancel::CancelError::Finished(job) if job.status == JobStatus::Completed),
        "{refused:?}"
    );
    assert_eq!(stack.job(&done).await.status, JobStatus::Completed);

    let queued = stack.submit("single-sheet.pdf", None).await;
    let first = cancel(&stack.ports, &queued).await.unwrap();
    let again = cancel(&stack.ports, &queued).await.unwrap();
    assert_eq!(again.version, first.version, "the second cancel writes nothing");
    let announced: Vec<_> = notices.jobs().iter().map(|j| (j.id.clone(), j.status)).collect();
    assert_eq!(
        announced,
        vec![(done, JobStatus::Completed), (queued, JobStatus::Cancelled)],
        "one notice per terminal transition"
    );
}

/// Runs `drawings cancel JOB_ID --server BASE`; exit success and the JSON printed.
async fn cancel_cli(base: &str, job_id: &str) -> (bool, serde_json::Value) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(["cancel", job_id, "--server", base])
        .env_remove("DRAWINGS_API_KEY")
        .output()
        .await
        .expect("run drawings cancel");
    let printed = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    (output.status.success(), printed)
}

#[tokio::test]
async fn drawings_cancel_cancels_a_job_on_the_server_and_fails_for_an_unknown_one() {
    let stack = TestStack::new(Arc::new(NoNotices), Duration::ZERO);
    let id = stack.submit("single-sheet.pdf", None).await;
    let app = router(AppState {
        intake: Arc::new(Intake::new(stack.ports.clone(), IntakeConfig::default())),
        ports: stack.ports.clone(),
        link_ttl: Duration::from_secs(3600),
        metrics: None,
        status_cache: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (ok, printed) = cancel_cli(&base, id.as_str()).await;
    assert!(ok, "{printed}");
    assert_eq!(printed["status"], "cancelled");
    assert_eq!(stack.job(&id).await.status, JobStatus::Cancelled);

    let (ok, printed) = cancel_cli(&base, JobId::generate().as_str()).await;
    assert!(!ok, "an unknown job is a failure");
    assert_eq!(printed["error"]["code"], "NOT_FOUND");
}
