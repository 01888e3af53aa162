//! The processor against the real embedded adapters, PDFium and the text-layer analyzer:
//! checkpoints, continuations, adopted results, duplicate deliveries, retries and the
//! dead-letter path. Time is driven by the budget given to each delivery.

mod pipeline_harness;

use drawings_core::dead_letter::{DeadLetterHandler, DeadLetterOutcome};
use drawings_core::pipeline::{Outcome, PipelineConfig, SkipReason};
use drawings_core::ports::{PageAnalysis, PageText, TileManifestEntry, TileOptions};
use drawings_core::{ErrorCode, JobId, JobStatus, ResultFile, Stage, Usage};
use drawings_testkit::decorators::{BlobOp, FailingBlobStore};
use pipeline_harness::{Harness, config};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_job_runs_every_stage_and_stores_every_output() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let outcome = h.deliver(&h.processor(config()), Duration::from_secs(600)).await;
    assert_eq!(outcome, Some(Outcome::Completed));
    let job = h.job(&id).await;
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.stages_completed, Stage::ALL.to_vec());
    assert_eq!((job.attempts, job.continuations), (1, 0));
    assert!(job.lease.is_none(), "a finished job keeps no lease");
    let files = id.files();
    let mut keys = vec![files.inspection(), files.evaluation()];
    keys.extend(ResultFile::ALL.map(|f| files.result(f)));
    for n in 0..4 {
        keys.extend([files.page_image(n), files.page_text(n), files.page_analysis(n)]);
    }
    for key in keys {
        assert!(h.ports.blobs.head(&key).await.unwrap().is_some(), "{key} missing");
    }
    let mut calls = h.analyzer.calls();
    calls.sort();
    assert_eq!(
        calls,
        vec![0, 1, 2, 3],
        "every page analyzed once (concurrently, in any order)"
    );
    let evaluation: serde_json::Value =
        serde_json::from_slice(&h.ports.blobs.get(&id.files().evaluation()).await.unwrap()).unwrap();
    assert_eq!(evaluation["recall"], 1.0, "{evaluation}");
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

#[tokio::test]
async fn with_tiles_on_every_page_has_a_tile_manifest_whose_tiles_cover_the_page() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let mut with_tiles = config();
    // A3 at 150 DPI is 2481 x 1754 px: three columns and two rows of tiles.
    with_tiles.render.tiles = Some(TileOptions {
        max_side_px: 1024,
        overlap_px: 128,
        ..TileOptions::default()
    });
    let outcome = h.deliver(&h.processor(with_tiles), Duration::from_secs(600)).await;
    assert_eq!(outcome, Some(Outcome::Completed));
    for page in 0..4 {
        let key = id.files().page_tiles_manifest(page);
        let manifest: Vec<TileManifestEntry> = serde_json::from_slice(&h.ports.blobs.get(&key).await.unwrap()).unwrap();
        assert_eq!(manifest.len(), 6, "page {page}: {manifest:?}");
        let text: PageText =
            serde_json::from_slice(&h.ports.blobs.get(&id.files().page_text(page)).await.unwrap()).unwrap();
        let dpi = manifest[0].dpi;
        let (width, height) = (
            (text.width_pt * dpi / 72.0).round() as u32,
            (text.height_pt * dpi / 72.0).round() as u32,
        );
        let mut covered = vec![false; (width * height) as usize];
        for (index, tile) in manifest.iter().enumerate() {
            assert_eq!(tile.key, id.files().page_tile(page, index));
            assert_eq!(tile.dpi, dpi);
            assert!(tile.width_px <= 1024 && tile.height_px <= 1024, "{tile:?}");
            let png = h.ports.blobs.get(&tile.key).await.unwrap();
            assert_eq!(png_size(&png), (tile.width_px, tile.height_px), "{tile:?}");
            assert!(
                tile.x_px + tile.width_px <= width && tile.y_px + tile.height_px <= height,
                "{tile:?}"
            );
            for y in tile.y_px..tile.y_px + tile.height_px {
                let row = (y * width) as usize;
                covered[row + tile.x_px as usize..row + (tile.x_px + tile.width_px) as usize].fill(true);
            }
        }
        assert!(
            covered.iter().all(|&c| c),
            "page {page}: the tiles leave pixels uncovered"
        );
    }
}

/// Delivers with no time at all until the job completes; returns the hand-overs.
async fn hand_overs_with_no_time(h: &Harness, id: &JobId, config: PipelineConfig) -> u32 {
    let processor = h.processor(config);
    let mut continued = 0;
    loop {
        match h
            .deliver(&processor, Duration::ZERO)
            .await
            .expect("a message is always waiting")
        {
            Outcome::Continued => continued += 1,
            Outcome::Completed => break,
            other => panic!("unexpected {other:?}"),
        }
        let job = h.job(id).await;
        assert!(job.lease.is_none(), "the lease is released at hand-over");
    }
    let job = h.job(id).await;
    assert_eq!(job.continuations, continued);
    assert_eq!(job.attempts, 1, "continuations are not retries");
    let mut calls = h.analyzer.calls();
    calls.sort();
    assert_eq!(calls, vec![0, 1, 2, 3], "no page is analyzed twice");
    continued
}

#[tokio::test]
async fn a_deadline_hands_over_to_continuations_and_no_page_is_done_twice() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    // With no time at all, each delivery does one unit: a stage, a page, or one batch of
    // pages rendered or analyzed together. One page at a time: validation, 4 pages, 4 pages,
    // schedule, evaluation are 11 units, so 10 hand-overs.
    let sequential = PipelineConfig {
        render_concurrency: 1,
        analysis_concurrency: 1,
        ..config()
    };
    assert_eq!(hand_overs_with_no_time(&h, &id, sequential).await, 10);
}

#[tokio::test]
async fn with_no_time_the_first_batch_of_pages_is_still_rendered_and_analyzed_together() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    // Four pages in flight at once make the rendering one unit and the analysis another:
    // 5 units, 4 hand-overs.
    let concurrent = PipelineConfig {
        render_concurrency: 4,
        analysis_concurrency: 4,
        ..config()
    };
    assert_eq!(hand_overs_with_no_time(&h, &id, concurrent).await, 4);
}

#[tokio::test]
async fn a_page_analysis_stored_before_a_crash_is_adopted_and_not_paid_again() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    // As if an earlier delivery stored page 2's answer and died before its checkpoint.
    let paid = PageAnalysis {
        page: 2,
        components: vec![],
        usage: Usage {
            input_tokens: 100,
            output_tokens: 7,
            usd: 0.5,
        },
        analyzer: "earlier".into(),
        ..PageAnalysis::default()
    };
    h.ports
        .blobs
        .put(
            &id.files().page_analysis(2),
            serde_json::to_vec(&paid).unwrap().into(),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(
        h.deliver(&h.processor(config()), Duration::from_secs(600)).await,
        Some(Outcome::Completed)
    );
    let mut calls = h.analyzer.calls();
    calls.sort();
    assert_eq!(calls, vec![0, 1, 3], "page 2's stored answer is adopted");
    let job = h.job(&id).await;
    assert_eq!(
        (job.usage.input_tokens, job.usage.output_tokens),
        (100, 7),
        "the adopted page's usage is counted once"
    );
}

#[tokio::test]
async fn a_duplicate_delivery_of_a_leased_job_stands_back() {
    let h = Harness::new();
    let id = h.submit("single-sheet.pdf").await;
    let now = chrono::Utc::now();
    h.ports
        .jobs
        .acquire_lease(&id, "another-worker", now + chrono::Duration::seconds(60), now)
        .await
        .unwrap();
    let before = h.job(&id).await;
    assert_eq!(
        h.deliver(&h.processor(config()), Duration::from_secs(60)).await,
        Some(Outcome::Skipped(SkipReason::LeasedElsewhere))
    );
    assert_eq!(h.job(&id).await, before, "the duplicate must not touch the job");
    assert!(h.analyzer.calls().is_empty());
}

#[tokio::test]
async fn a_transient_failure_leaves_the_message_to_come_back_and_the_job_resumes() {
    let h = Harness::with_blobs(|fs| Arc::new(FailingBlobStore::new(fs, BlobOp::Put, "pages/1.png", 1)));
    let id = h.submit("security-plan.pdf").await;
    // One page at a time, so no page after the failing one has started.
    let processor = h.processor(PipelineConfig {
        render_concurrency: 1,
        ..config()
    });
    match h.deliver(&processor, Duration::from_secs(600)).await {
        Some(Outcome::Retrying {
            code: ErrorCode::ServiceUnavailable,
            after,
        }) => assert!(after >= Duration::from_secs(1)),
        other => panic!("expected a retry, got {other:?}"),
    }
    let job = h.job(&id).await;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(
        job.error.as_ref().map(|e| (e.code, e.retryable)),
        Some((ErrorCode::ServiceUnavailable, true))
    );
    assert_eq!(job.progress.done, vec![0], "page 0 was checkpointed before the failure");
    assert_eq!(
        h.deliver(&processor, Duration::from_secs(600)).await,
        Some(Outcome::Completed)
    );
    let job = h.job(&id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Completed, 2));
    assert!(job.error.is_none(), "a recovered job shows no error");
}

#[tokio::test]
async fn a_message_that_keeps_failing_reaches_the_dead_letter_queue_and_the_job_fails_once() {
    let h = Harness::with_blobs(|fs| Arc::new(FailingBlobStore::new(fs, BlobOp::Get, "input.pdf", u32::MAX)));
    let id = h.submit("single-sheet.pdf").await;
    let processor = h.processor(config());
    for _ in 0..3 {
        assert!(matches!(
            h.deliver(&processor, Duration::from_secs(60)).await,
            Some(Outcome::Retrying { .. })
        ));
    }
    assert!(
        h.receive().await.is_none(),
        "the fourth receive moves the message to the DLQ"
    );
    let dead = h
        .dead
        .receive(1, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap()
        .pop()
        .expect("dead letter");
    let handler = DeadLetterHandler::new(h.ports.clone());
    assert_eq!(handler.handle(&dead).await.unwrap(), DeadLetterOutcome::MarkedFailed);
    let job = h.job(&id).await;
    let error = job.error.clone().unwrap();
    assert_eq!(
        (job.status, error.code),
        (JobStatus::Failed, ErrorCode::RetriesExhausted)
    );
    assert!(
        error.message.contains("SERVICE_UNAVAILABLE"),
        "the last error is kept: {}",
        error.message
    );
    assert_eq!(job.attempts, 3);
    // The same dead letter delivered again changes nothing and alerts no one.
    assert_eq!(handler.handle(&dead).await.unwrap(), DeadLetterOutcome::AlreadyHandled);
    let alerts = h.notifier.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].job_id.clone(), alerts[0].code),
        (id, ErrorCode::RetriesExhausted)
    );
}

#[tokio::test]
async fn too_many_continuations_fail_the_job_with_processing_timeout() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let processor = h.processor(PipelineConfig {
        max_continuations: 2,
        ..config()
    });
    let outcomes = [
        h.deliver(&processor, Duration::ZERO).await,
        h.deliver(&processor, Duration::ZERO).await,
        h.deliver(&processor, Duration::ZERO).await,
    ];
    assert_eq!(
        outcomes,
        [
            Some(Outcome::Continued),
            Some(Outcome::Continued),
            Some(Outcome::Failed(ErrorCode::ProcessingTimeout))
        ]
    );
    let job = h.job(&id).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.map(|e| e.stage), Some(Some(Stage::PdfProcessing)));
    assert_eq!(
        h.notifier.alerts().len(),
        1,
        "an operator hears of a job that cannot finish"
    );
}

#[tokio::test]
async fn a_bad_file_fails_at_once_without_paging_an_operator() {
    let h = Harness::new();
    let id = h.submit("encrypted.pdf").await;
    assert_eq!(
        h.deliver(&h.processor(config()), Duration::from_secs(60)).await,
        Some(Outcome::Failed(ErrorCode::EncryptedPdf))
    );
    let job = h.job(&id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1));
    assert!(h.notifier.alerts().is_empty());
    assert!(h.receive().await.is_none(), "the message was acknowledged");
}
