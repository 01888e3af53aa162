//! What the processor measures: each delivery's compute time and requests added to the job's
//! cost, and its metrics (stage durations, queue wait, pages, outcomes) recorded through the
//! `Metrics` port. Real embedded adapters, PDFium and the text-layer analyzer.

use drawings_core::Ports;
use drawings_core::cost::ComputeBasis;
use drawings_core::intake::{Intake, IntakeConfig, Upload};
use drawings_core::pipeline::{Outcome, PipelineConfig, Processor};
use drawings_core::ports::{Analyzer, JobQueue, Metric, Metrics};
use drawings_core::{ErrorCode, Job, JobId, Stage};
use drawings_local::{Database, FsBlobStore, local_ports};
use drawings_pdf::PdfiumEngine;
use drawings_textlayer::TextLayerAnalyzer;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Every record, in order.
#[derive(Default)]
struct Recorded(Mutex<Vec<(Metric, Option<String>, f64)>>);

impl Metrics for Recorded {
    fn record(&self, metric: Metric, label: Option<&str>, value: f64) {
        self.0.lock().unwrap().push((metric, label.map(str::to_owned), value));
    }
}

impl Recorded {
    fn of(&self, metric: Metric) -> Vec<(Option<String>, f64)> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(m, _, _)| *m == metric)
            .map(|(_, l, v)| (l.clone(), *v))
            .collect()
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    ports: Ports,
    metrics: Arc<Recorded>,
    processor: Processor,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open_in_memory().unwrap();
        let (ports, _) = local_ports(db, FsBlobStore::new(dir.path().join("blobs")).unwrap());
        let metrics = Arc::new(Recorded::default());
        let analyzer: Arc<dyn Analyzer> = Arc::new(TextLayerAnalyzer::default());
        let config = PipelineConfig {
            reserve: Duration::ZERO,
            ..PipelineConfig::default()
        };
        let processor = Processor::new(
            ports.clone(),
            Arc::new(PdfiumEngine::new()),
            analyzer.clone(),
            Some(analyzer),
            config,
        )
        .with_metrics(metrics.clone());
        Harness {
            _dir: dir,
            ports,
            metrics,
            processor,
        }
    }

    async fn submit(&self, name: &str) -> JobId {
        let body = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).unwrap();
        let intake = Intake::new(self.ports.clone(), IntakeConfig::default());
        let upload = Upload {
            body: body.into(),
            ..Default::default()
        };
        intake.submit(upload).await.unwrap().job.id
    }

    /// One delivery, acknowledged as the embedded worker does.
    async fn deliver(&self, budget: Duration) -> Outcome {
        let queue: &dyn JobQueue = self.ports.queue.as_ref();
        let delivery = queue
            .receive(1, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap()
            .pop()
            .expect("a message is waiting");
        let outcome = self.processor.handle(&delivery, Instant::now() + budget).await;
        assert!(outcome.is_done(), "{outcome:?}");
        queue.delete(&delivery.receipt).await.unwrap();
        outcome
    }

    async fn job(&self, id: &JobId) -> Job {
        self.ports.jobs.get(id).await.unwrap()
    }
}

#[tokio::test]
async fn a_processed_job_carries_its_compute_time_and_every_kind_of_request() {
    let h = Harness::new();
    let id = h.submit("security-plan.pdf").await;
    let at_intake = h.job(&id).await.cost.requests;
    assert_eq!((at_intake.blob_put, at_intake.job_write, at_intake.queue), (1, 1, 1));
    let started = std::time::Instant::now();
    assert_eq!(h.deliver(Duration::from_secs(600)).await, Outcome::Completed);
    let wall = started.elapsed().as_secs_f64();

    let job = h.job(&id).await;
    let cost = &job.cost;
    assert!(
        cost.compute_seconds > 0.0 && cost.compute_seconds <= wall,
        "{cost:?} vs {wall}"
    );
    assert_eq!((cost.memory_mb, cost.basis), (3008, ComputeBasis::AsIfLambda));
    let r = cost.requests;
    assert_eq!(r.invocations, 1);
    // Intake's PUT, then inspect.json, per page a PNG, text and analysis, and the three
    // results and evaluation.json.
    let pages = u64::from(job.progress.total);
    assert_eq!(pages, 4);
    assert_eq!(r.blob_put, 1 + 1 + 3 * pages + 3 + 1, "{r:?}");
    assert!(r.blob_get > 2 * pages, "the PDF, and each page's text twice: {r:?}");
    assert!(r.job_read >= 1 && r.read_units >= r.job_read, "{r:?}");
    // Create, lease, claim, a checkpoint per stage start and end and per page, the last write.
    assert!(r.job_write >= 3 + 2 * 5 + 2 * pages, "{r:?}");
    assert!(
        r.write_units >= 2 * r.job_write,
        "every write also lands in an index: {r:?}"
    );
    // Intake's send, the delivery's receive and delete.
    assert!(r.queue >= 3, "{r:?}");
    assert!(cost.compute_usd > 0.0 && cost.requests_usd > 0.0);
    assert_eq!(cost.as_of.as_deref(), Some("2026-11-29"));
    println!(
        "measured: {:.3} s compute (${:.8}), requests {r:?} (${:.8})",
        cost.compute_seconds, cost.compute_usd, cost.requests_usd
    );
}

#[tokio::test]
async fn continuations_add_an_invocation_and_their_time_per_delivery() {
    let h = Harness::new();
    let id = h.submit("single-sheet.pdf").await;
    let mut deliveries = 0;
    let mut seconds = Vec::new();
    loop {
        deliveries += 1;
        let outcome = h.deliver(Duration::ZERO).await;
        seconds.push(h.job(&id).await.cost.compute_seconds);
        match outcome {
            Outcome::Continued => {}
            Outcome::Completed => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(deliveries > 1, "no time at all forces hand-overs");
    let job = h.job(&id).await;
    assert_eq!(job.cost.requests.invocations, deliveries);
    assert!(
        seconds.windows(2).all(|w| w[1] > w[0]),
        "each delivery adds time: {seconds:?}"
    );
    // Every hand-over's continuation message is a queue request too.
    assert_eq!(
        job.cost.requests.queue,
        1 + 2 * deliveries + (deliveries - 1),
        "intake's send, each delivery's receive and delete, each hand-over's send: {:?}",
        job.cost.requests
    );
    assert_eq!(h.metrics.of(Metric::DeliveryDuration).len() as u64, deliveries);
}

#[tokio::test]
async fn a_completed_job_records_stage_durations_queue_wait_pages_and_its_completion() {
    let h = Harness::new();
    h.submit("security-plan.pdf").await;
    assert_eq!(h.deliver(Duration::from_secs(600)).await, Outcome::Completed);
    let stages: Vec<String> = h
        .metrics
        .of(Metric::StageDuration)
        .into_iter()
        .map(|(label, secs)| {
            assert!(secs >= 0.0);
            label.expect("stage label")
        })
        .collect();
    let all: Vec<String> = Stage::ALL.iter().map(|s| s.as_str().to_owned()).collect();
    assert_eq!(stages, all);
    assert_eq!(h.metrics.of(Metric::JobsCompleted), vec![(None, 1.0)]);
    assert_eq!(h.metrics.of(Metric::PagesProcessed), vec![(None, 4.0)]);
    let waits = h.metrics.of(Metric::QueueWait);
    assert_eq!(waits.len(), 1);
    assert!(waits[0].1 >= 0.0 && waits[0].1 < 60.0, "{waits:?}");
    assert_eq!(h.metrics.of(Metric::DeliveryDuration).len(), 1);
    assert!(h.metrics.of(Metric::JobsFailed).is_empty());
    assert!(
        h.metrics.of(Metric::GeminiInputTokens).is_empty(),
        "the text-layer analyzer uses no tokens"
    );
}

#[tokio::test]
async fn a_failed_job_is_counted_by_its_code_and_still_charged_its_delivery() {
    let h = Harness::new();
    let id = h.submit("encrypted.pdf").await;
    assert_eq!(
        h.deliver(Duration::from_secs(60)).await,
        Outcome::Failed(ErrorCode::EncryptedPdf)
    );
    assert_eq!(
        h.metrics.of(Metric::JobsFailed),
        vec![(Some("ENCRYPTED_PDF".to_owned()), 1.0)]
    );
    assert!(h.metrics.of(Metric::JobsCompleted).is_empty());
    let cost = h.job(&id).await.cost;
    assert_eq!(cost.requests.invocations, 1);
    assert!(cost.compute_seconds > 0.0);
}
