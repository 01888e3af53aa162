//! An in-process embedded stack for the cancellation and completion-notice tests: SQLite in
//! memory, blobs in a temporary directory, PDFium, and the text-layer analyzer slowed down
//! per page so a test can act while a job is mid-analysis.
#![allow(dead_code)]

use async_trait::async_trait;
use drawings_core::Ports;
use drawings_core::intake::{Intake, IntakeConfig, Upload};
use drawings_core::pipeline::{PipelineConfig, Processor};
use drawings_core::ports::{AnalyzeError, Analyzer, BlobStore, CompletionNotifier, Delivery, PageAnalysis, PageInput};
use drawings_core::{Job, JobId};
use drawings_local::{Database, FsBlobStore, local_ports};
use drawings_pdf::PdfiumEngine;
use drawings_testkit::decorators::RecordingNotifier;
use drawings_textlayer::TextLayerAnalyzer;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The text-layer analyzer, sleeping `per_page` before each page and recording the calls.
pub struct SlowAnalyzer {
    inner: TextLayerAnalyzer,
    per_page: Duration,
    calls: Mutex<Vec<u32>>,
}

impl SlowAnalyzer {
    /// Pages asked for so far, in call order.
    pub fn calls(&self) -> Vec<u32> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl Analyzer for SlowAnalyzer {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn needs_image(&self) -> bool {
        false
    }

    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        self.calls.lock().unwrap().push(input.page);
        tokio::time::sleep(self.per_page).await;
        self.inner.analyze_page(input).await
    }
}

/// Keeps every job it is told about.
#[derive(Default)]
pub struct RecordingNotices(Mutex<Vec<Job>>);

impl RecordingNotices {
    /// The jobs announced so far.
    pub fn jobs(&self) -> Vec<Job> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl CompletionNotifier for RecordingNotices {
    async fn job_finished(&self, job: &Job) {
        self.0.lock().unwrap().push(job.clone());
    }
}

/// The stores, the analyzer and the recorders.
pub struct TestStack {
    _dir: tempfile::TempDir,
    pub ports: Ports,
    pub analyzer: Arc<SlowAnalyzer>,
    pub alerts: Arc<RecordingNotifier>,
}

/// A file in `fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).unwrap()
}

/// Pipeline settings for tests: no time reserve, one page analyzed at a time.
pub fn pipeline_config() -> PipelineConfig {
    PipelineConfig {
        reserve: Duration::ZERO,
        analysis_concurrency: 1,
        ..PipelineConfig::default()
    }
}

impl TestStack {
    /// A stack whose completion notices go to `notices` and whose analyzer takes `per_page`.
    pub fn new(notices: Arc<dyn CompletionNotifier>, per_page: Duration) -> TestStack {
        Self::with_notices(per_page, |_| notices)
    }

    /// [`TestStack::new`] with a notifier made from the blob store (it builds the status body).
    pub fn with_notices(
        per_page: Duration,
        make: impl FnOnce(Arc<dyn BlobStore>) -> Arc<dyn CompletionNotifier>,
    ) -> TestStack {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open_in_memory().unwrap();
        let alerts = Arc::new(RecordingNotifier::default());
        let (ports, _) = local_ports(db, FsBlobStore::new(dir.path().join("blobs")).unwrap());
        let ports = Ports {
            callbacks: make(ports.blobs.clone()),
            alerts: alerts.clone(),
            ..ports
        };
        let analyzer = Arc::new(SlowAnalyzer {
            inner: TextLayerAnalyzer::default(),
            per_page,
            calls: Mutex::new(Vec::new()),
        });
        TestStack {
            _dir: dir,
            ports,
            analyzer,
            alerts,
        }
    }

    /// A processor over the stack.
    pub fn processor(&self, config: PipelineConfig) -> Arc<Processor> {
        let analyzer: Arc<dyn Analyzer> = self.analyzer.clone();
        Arc::new(Processor::new(
            self.ports.clone(),
            Arc::new(PdfiumEngine::new()),
            analyzer,
            None,
            config,
        ))
    }

    /// Submits a fixture, as the API does.
    pub async fn submit(&self, name: &str, callback_url: Option<&str>) -> JobId {
        // The completion-notice tests' receivers are on loopback, over plain http.
        let config = IntakeConfig {
            allow_private_callbacks: true,
            ..IntakeConfig::default()
        };
        let intake = Intake::new(self.ports.clone(), config);
        let upload = Upload {
            body: fixture(name).into(),
            callback_url: callback_url.map(str::to_owned),
            ..Default::default()
        };
        intake.submit(upload).await.unwrap().job.id
    }

    /// The next message, as a worker receives it.
    pub async fn receive(&self) -> Delivery {
        let mut batch = self
            .ports
            .queue
            .receive(1, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap();
        batch.pop().expect("a message on the queue")
    }

    /// The stored job.
    pub async fn job(&self, id: &JobId) -> Job {
        self.ports.jobs.get(id).await.unwrap()
    }
}

/// Polls `check` every 20 ms until it holds or `limit` passes.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !check() {
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
