//! A job's compute budget, on the real pipeline: a file whose every page is slow fails with
//! `PROCESSING_TIMEOUT` after a few pages, at the pace they set, instead of running through
//! every page; a job within its budget is not touched.

mod pipeline_harness;

use drawings_core::pipeline::{JobBudget, Outcome, PipelineConfig};
use drawings_core::ports::{ExtractedPage, Inspection, PageSummary, PdfEngine, PdfError, PdfLimits, RenderOptions};
use drawings_core::{ErrorCode, JobStatus, Stage};
use drawings_pdf::PdfiumEngine;
use pipeline_harness::{Harness, config};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// PDFium, with every page taking `delay` longer, as a page of a hostile file would.
struct SlowPages {
    inner: PdfiumEngine,
    delay: Duration,
    extracted: AtomicU32,
}

impl PdfEngine for SlowPages {
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
        self.inner.inspect(pdf, limits)
    }

    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        std::thread::sleep(self.delay);
        self.extracted.fetch_add(1, Ordering::SeqCst);
        self.inner.extract_page(pdf, index, options)
    }

    fn summarize_page(&self, pdf: &[u8], index: u32) -> Result<PageSummary, PdfError> {
        self.inner.summarize_page(pdf, index)
    }
}

fn slow_pages(delay: Duration) -> Arc<SlowPages> {
    Arc::new(SlowPages {
        inner: PdfiumEngine::new(),
        delay,
        extracted: AtomicU32::new(0),
    })
}

#[tokio::test]
async fn a_file_whose_pages_are_too_slow_for_the_budget_fails_after_a_few_pages() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let engine = slow_pages(Duration::from_millis(400));
    // 300 s granted to every job leaves nothing for this one: cap it at 1 s.
    let config = PipelineConfig {
        job_budget: JobBudget {
            per_page: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        ..config()
    };
    let processor = h.processor_with_engine(engine.clone(), config);
    let outcome = h.deliver(&processor, Duration::from_secs(600)).await;
    assert_eq!(outcome, Some(Outcome::Failed(ErrorCode::ProcessingTimeout)));
    let job = h.job(&id).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.expect("a failed job says why");
    assert_eq!(error.stage, Some(Stage::PdfProcessing));
    assert!(!error.retryable, "the same file would fail again");
    assert!(error.message.contains("DRAWINGS_JOB_MAX_SECONDS"), "{}", error.message);
    let pages = engine.extracted.load(Ordering::SeqCst);
    assert!(
        pages < job.progress.total,
        "failed after {pages} of {} pages, not at the end",
        job.progress.total
    );
}

#[tokio::test]
async fn a_job_within_its_budget_completes() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let engine = slow_pages(Duration::from_millis(20));
    let processor = h.processor_with_engine(engine, config());
    let outcome = h.deliver(&processor, Duration::from_secs(600)).await;
    assert_eq!(outcome, Some(Outcome::Completed));
    assert_eq!(h.job(&id).await.status, JobStatus::Completed);
}
