//! `pdf_processing` renders the pages of one job in parallel, on the real pipeline: no more
//! at once than `render_concurrency`, each page checkpointed as it comes back, a failing page
//! stopping the stage with its own code while the pages around it stay done, and a
//! continuation rendering only the pages not done.

mod pipeline_harness;

use drawings_core::pipeline::{Outcome, PipelineConfig};
use drawings_core::ports::{ExtractedPage, Inspection, PageSummary, PdfEngine, PdfError, PdfLimits, RenderOptions};
use drawings_core::{ErrorCode, JobStatus, Stage};
use drawings_pdf::PdfiumEngine;
use pipeline_harness::{Harness, config};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// PDFium behind a recorder: how many pages were in its hands at once, which pages it was
/// asked for, and on request a slow page or a page that fails, as a hostile file's would.
#[derive(Default)]
struct Recorder {
    inner: PdfiumEngine,
    /// How long each page takes before PDFium sees it (pages not listed: `slow`).
    delays: Vec<(u32, Duration)>,
    slow: Duration,
    /// A page that fails, and with what.
    fails: Option<(u32, ErrorCode)>,
    in_hand: AtomicUsize,
    most_at_once: AtomicUsize,
    asked: Mutex<Vec<u32>>,
}

impl Recorder {
    fn slow(slow: Duration) -> Recorder {
        Recorder {
            slow,
            ..Recorder::default()
        }
    }

    /// The pages asked for since the last call, sorted.
    fn take_asked(&self) -> Vec<u32> {
        let mut asked = std::mem::take(&mut *self.asked.lock().unwrap());
        asked.sort_unstable();
        asked
    }
}

impl PdfEngine for Recorder {
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
        self.inner.inspect(pdf, limits)
    }

    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        let now = self.in_hand.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        self.asked.lock().unwrap().push(index);
        let result = match self.fails {
            Some((page, code)) if page == index => Err(PdfError::new(code, "the page cannot be drawn")),
            _ => {
                let delay = self.delays.iter().find(|(p, _)| *p == index).map_or(self.slow, |d| d.1);
                std::thread::sleep(delay);
                self.inner.extract_page(pdf, index, options)
            }
        };
        self.in_hand.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn summarize_page(&self, pdf: &[u8], index: u32) -> Result<PageSummary, PdfError> {
        self.inner.summarize_page(pdf, index)
    }
}

fn rendering(pages_at_once: usize) -> PipelineConfig {
    PipelineConfig {
        render_concurrency: pages_at_once,
        ..config()
    }
}

#[tokio::test]
async fn pages_of_one_job_render_concurrently_up_to_the_bound() {
    for bound in [1, 2, 3] {
        let h = Harness::new();
        let id = h.submit("security-plan.pdf").await;
        // Slow enough that pages started together are still in hand when the last starts.
        let engine = Arc::new(Recorder::slow(Duration::from_millis(150)));
        let processor = h.processor_with_engine(engine.clone(), rendering(bound));
        let outcome = h.deliver(&processor, Duration::from_secs(600)).await;
        assert_eq!(outcome, Some(Outcome::Completed), "bound {bound}");
        assert_eq!(
            engine.most_at_once.load(Ordering::SeqCst),
            bound,
            "at most {bound} pages at once, and as many as that"
        );
        assert_eq!(engine.take_asked(), vec![0, 1, 2, 3], "every page once");
        let job = h.job(&id).await;
        assert_eq!(job.status, JobStatus::Completed);
        for page in 0..4 {
            let key = id.files().page_image(page);
            assert!(h.ports.blobs.head(&key).await.unwrap().is_some(), "{key} missing");
        }
    }
}

#[tokio::test]
async fn a_failing_page_stops_the_stage_with_its_code_and_the_pages_finished_beside_it_stay_done() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    // Pages 0 and 1 start together; page 0 comes back first and page 2 takes its place and
    // fails at once, while page 1 is still in hand. Page 3 must never start, and page 1,
    // awaited before the stage ends, is kept.
    let engine = Arc::new(Recorder {
        delays: vec![(0, Duration::from_millis(50)), (1, Duration::from_millis(600))],
        fails: Some((2, ErrorCode::InvalidPdf)),
        ..Recorder::default()
    });
    let processor = h.processor_with_engine(engine.clone(), rendering(2));
    let outcome = h.deliver(&processor, Duration::from_secs(600)).await;
    assert_eq!(outcome, Some(Outcome::Failed(ErrorCode::InvalidPdf)));
    assert_eq!(engine.take_asked(), vec![0, 1, 2], "no page starts after a failure");
    assert_eq!(engine.in_hand.load(Ordering::SeqCst), 0, "nothing is left running");
    let job = h.job(&id).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.expect("a failed job says why");
    assert_eq!(
        (error.code, error.stage, error.retryable),
        (ErrorCode::InvalidPdf, Some(Stage::PdfProcessing), false)
    );
    assert!(error.message.starts_with("page 3: "), "{}", error.message);
    let mut done = job.progress.done.clone();
    done.sort_unstable();
    assert_eq!(done, vec![0, 1], "the pages that finished stay checkpointed");
    for page in [0, 1] {
        let key = id.files().page_text(page);
        assert!(h.ports.blobs.head(&key).await.unwrap().is_some(), "{key} missing");
    }
}

#[tokio::test]
async fn a_continuation_renders_only_the_pages_not_done() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let engine = Arc::new(Recorder::slow(Duration::ZERO));
    let processor = h.processor_with_engine(engine.clone(), rendering(2));
    // With no time at all each delivery does one unit: validation, then one batch of two
    // pages started together, then the other two.
    let mut batches = Vec::new();
    for _ in 0..3 {
        let outcome = h.deliver(&processor, Duration::ZERO).await;
        assert_eq!(outcome, Some(Outcome::Continued));
        batches.push(engine.take_asked());
        let mut done = h.job(&id).await.progress.done;
        done.sort_unstable();
        assert_eq!(done, batches.concat(), "every page rendered is checkpointed");
    }
    assert_eq!(batches, vec![vec![], vec![0, 1], vec![2, 3]]);
    loop {
        match h.deliver(&processor, Duration::ZERO).await {
            Some(Outcome::Continued) => {}
            Some(Outcome::Completed) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(engine.take_asked().is_empty(), "no page is rendered twice");
    assert_eq!(h.job(&id).await.status, JobStatus::Completed);
}
