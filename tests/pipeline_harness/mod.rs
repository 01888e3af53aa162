//! The pipeline test harness: a processor over the real embedded adapters (SQLite in
//! memory, a blob directory), PDFium and the text-layer analyzer, with a counting analyzer
//! and a recording notifier, and deliveries driven by hand.
#![allow(dead_code)]

use drawings_core::Ports;
use drawings_core::intake::{Intake, IntakeConfig, Upload};
use drawings_core::pipeline::{Outcome, PipelineConfig, Processor};
use drawings_core::ports::{Analyzer, BlobStore, Delivery, JobQueue, PdfEngine};
use drawings_core::{Job, JobId};
use drawings_local::{Database, FsBlobStore, local_ports};
use drawings_pdf::PdfiumEngine;
use drawings_testkit::decorators::{CountingAnalyzer, RecordingNotifier};
use drawings_textlayer::TextLayerAnalyzer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub struct Harness {
    _dir: tempfile::TempDir,
    pub ports: Ports,
    pub dead: Arc<dyn JobQueue>,
    pub analyzer: Arc<CountingAnalyzer<TextLayerAnalyzer>>,
    pub notifier: Arc<RecordingNotifier>,
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).unwrap()
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_blobs(|fs| Arc::new(fs))
    }

    pub fn with_blobs(wrap: impl FnOnce(FsBlobStore) -> Arc<dyn BlobStore>) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open_in_memory().unwrap();
        let notifier = Arc::new(RecordingNotifier::default());
        let fs = FsBlobStore::new(dir.path().join("blobs")).unwrap();
        let (ports, dead) = local_ports(db, fs.clone());
        let ports = Ports {
            blobs: wrap(fs),
            alerts: notifier.clone(),
            ..ports
        };
        Harness {
            _dir: dir,
            ports,
            dead,
            analyzer: Arc::new(CountingAnalyzer::new(TextLayerAnalyzer::default())),
            notifier,
        }
    }

    pub fn processor(&self, config: PipelineConfig) -> Processor {
        self.processor_with_engine(Arc::new(PdfiumEngine::new()), config)
    }

    /// A processor over another PDF engine (a decorated one).
    pub fn processor_with_engine(&self, engine: Arc<dyn PdfEngine>, config: PipelineConfig) -> Processor {
        let analyzer: Arc<dyn Analyzer> = self.analyzer.clone();
        Processor::new(
            self.ports.clone(),
            engine,
            analyzer,
            Some(Arc::new(TextLayerAnalyzer::default())),
            config,
        )
    }

    pub async fn submit(&self, name: &str) -> JobId {
        let intake = Intake::new(self.ports.clone(), IntakeConfig::default());
        intake
            .submit(Upload {
                body: fixture(name).into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .job
            .id
    }

    pub async fn receive(&self) -> Option<Delivery> {
        self.ports
            .queue
            .receive(1, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap()
            .pop()
    }

    /// One delivery as the embedded worker does it; a retried message is made visible at
    /// once instead of after its backoff, so tests need not sleep.
    pub async fn deliver(&self, processor: &Processor, budget: Duration) -> Option<Outcome> {
        let delivery = self.receive().await?;
        let outcome = processor.handle(&delivery, Instant::now() + budget).await;
        if outcome.is_done() {
            self.ports.queue.delete(&delivery.receipt).await.unwrap();
        } else {
            self.ports
                .queue
                .set_visibility(&delivery.receipt, Duration::ZERO)
                .await
                .unwrap();
        }
        Some(outcome)
    }

    pub async fn job(&self, id: &JobId) -> Job {
        self.ports.jobs.get(id).await.unwrap()
    }
}

/// No time reserve, and two pages rendered at once (as on the two cores the service runs
/// on), whatever the cores of the machine running the tests: how many pages a delivery
/// renders before it hands over depends on it.
pub fn config() -> PipelineConfig {
    PipelineConfig {
        reserve: Duration::ZERO,
        render_concurrency: 2,
        ..PipelineConfig::default()
    }
}
