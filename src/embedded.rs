//! Assembles the embedded stack (SQLite job store and queue, blob directory, log alerts,
//! PDFium, the configured analyzer) from the configuration.

use crate::config::Config;
use anyhow::{Context, Result};
use drawings_api::PrometheusRegistry;
use drawings_core::Ports;
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::intake::Intake;
use drawings_core::pipeline::Processor;
use drawings_core::ports::{CompletionNotifier, JobQueue, NoNotices, PdfEngine};
use drawings_local::sweeper::Sweeper;
use drawings_local::worker::{EmbeddedWorkers, WorkerConfig};
use drawings_local::{Database, FsBlobStore, SqliteJobStore};
use drawings_settings::Host;
use drawings_webhook::{CallbackConfig, CallbackNotifier};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How often `serve` deletes expired jobs with their blobs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// The subcommand under which this binary answers one PDF request (see `main`).
pub const PDF_WORKER_SUBCOMMAND: &str = "pdf-worker";

/// The PDF engine: PDFium in worker processes under the configured limits (this binary,
/// re-run as `pdf-worker`, which also runs OCR), or in-process when isolation is off; the
/// same assembly as the processor function's.
pub fn pdf_engine(config: &Config) -> Result<Arc<dyn PdfEngine>> {
    Ok(config.pdf_engine(PDF_WORKER_SUBCOMMAND)?)
}

/// The services of one embedded instance.
pub struct EmbeddedStack {
    /// Stores.
    pub ports: Ports,
    /// Accepts uploads.
    pub intake: Arc<Intake>,
    /// Runs jobs.
    pub processor: Arc<Processor>,
    /// The dead-letter queue.
    pub dead_letters: Arc<dyn JobQueue>,
    /// The processor's metrics, for `GET /metrics`.
    pub metrics: Arc<PrometheusRegistry>,
}

impl EmbeddedStack {
    /// Opens (creating if needed) the stores in `data_dir`: the ports and the dead-letter
    /// queue, without the processor (what `drawings dlq` needs).
    pub fn open_stores(data_dir: &Path) -> Result<(Ports, Arc<dyn JobQueue>)> {
        // Owner-only: it holds every tenant's drawings and job records.
        drawings_local::ensure_private_dir(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let db = Database::open(data_dir.join("drawings.sqlite3")).context("opening the job database")?;
        let blobs = FsBlobStore::new(data_dir.join("blobs")).context("opening the blob directory")?;
        let (ports, dead_letters) = drawings_local::local_ports(db, blobs);
        Ok((ports, dead_letters))
    }

    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(config: &Config, data_dir: &Path) -> Result<EmbeddedStack> {
        let (mut ports, dead_letters) = Self::open_stores(data_dir)?;
        ports.callbacks = completion_notices(config, &ports)?;
        // The same assembly as the processor function's: without GEMINI_API_KEY the text
        // layer runs, and the log says why.
        let assembled = config.processor(
            ports.clone(),
            &Host::Embedded,
            pdf_engine(config)?,
            config.gemini_key_from_env(),
        )?;
        let metrics = Arc::new(PrometheusRegistry::new());
        let processor = assembled.processor.with_metrics(metrics.clone());
        Ok(EmbeddedStack {
            intake: Arc::new(Intake::new(ports.clone(), config.intake.clone())),
            ports,
            processor: Arc::new(processor),
            dead_letters,
            metrics,
        })
    }

    /// Workers over this instance's queues, each receive waiting up to `poll_wait`: what
    /// stopping them waits for at most.
    pub fn workers(&self, config: &Config, workers: usize, poll_wait: Duration) -> EmbeddedWorkers {
        EmbeddedWorkers::new(
            self.processor.clone(),
            self.ports.queue.clone(),
            self.dead_letters.clone(),
            Arc::new(DeadLetterHandler::new(self.ports.clone())),
            WorkerConfig {
                workers,
                invocation_budget: config.invocation_budget,
                poll_wait,
            },
        )
    }
}

/// Completion notices to each job's `callback_url`, signed with `DRAWINGS_CALLBACK_SECRET`
/// and delivered in the background, to public https receivers unless
/// `DRAWINGS_CALLBACK_ALLOW_PRIVATE` says this is local development; none without a secret
/// (`serve` warns about that).
fn completion_notices(config: &Config, ports: &Ports) -> Result<Arc<dyn CompletionNotifier>> {
    let Some(secret) = &config.callback_secret else {
        return Ok(Arc::new(NoNotices));
    };
    let callbacks = CallbackConfig {
        allow_private: config.intake.allow_private_callbacks,
        ..CallbackConfig::new(secret.expose())
    };
    let notifier = CallbackNotifier::new(callbacks, ports.blobs.clone()).context("completion notices")?;
    Ok(Arc::new(notifier))
}

/// The expiry sweeper of the store in `data_dir`, on a connection of its own.
pub fn sweeper(data_dir: &Path) -> Result<Sweeper> {
    let db = Database::open(data_dir.join("drawings.sqlite3")).context("opening the job database")?;
    let blobs = FsBlobStore::new(data_dir.join("blobs")).context("opening the blob directory")?;
    Ok(Sweeper::new(SqliteJobStore::new(db), blobs, SWEEP_EVERY))
}
