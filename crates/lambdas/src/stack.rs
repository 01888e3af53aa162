//! The AWS stack of one function: SDK clients built once in init, the four adapters over
//! them, and the services the handlers call. Init also warms the connections the first
//! request will use, so that request does not pay the TLS handshakes.

use crate::config::LambdaConfig;
use anyhow::{Context, Result};
use drawings_aws::AwsClients;
use drawings_core::JobId;
use drawings_core::Ports;
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::intake::Intake;
use drawings_core::pipeline::Processor;
use drawings_core::ports::{Analyzer, JobQueue, PdfEngine};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, WorkerCommand};
use drawings_textlayer::{TagSchemes, TextLayerAnalyzer};
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, error, info, warn};

/// How long a function waits for a completion notice to be delivered (retries included)
/// before it returns. A task left running when an invocation returns is frozen with the
/// sandbox, so on Lambda a notice is awaited, after the job's terminal write and before its
/// message is acknowledged, rather than spawned.
pub const NOTICE_BUDGET: Duration = Duration::from_secs(10);

/// The subcommand under which the processor binary answers one PDF request.
pub const PDF_WORKER_SUBCOMMAND: &str = "pdf-worker";

/// A function's adapters.
#[derive(Clone)]
pub struct AwsStack {
    /// Configuration.
    pub config: LambdaConfig,
    /// SDK clients.
    pub clients: AwsClients,
    /// Job store, queue, blobs, alerts.
    pub ports: Ports,
    /// The dead-letter queue.
    pub dead_letters: Arc<dyn JobQueue>,
}

impl AwsStack {
    /// Adapters over `clients`.
    pub fn new(config: LambdaConfig, clients: AwsClients) -> AwsStack {
        let (ports, dead_letters) = config.resources.ports(&clients);
        AwsStack {
            config,
            clients,
            ports,
            dead_letters,
        }
    }

    /// The stack of a function from its environment.
    pub async fn from_env() -> Result<AwsStack> {
        let config = LambdaConfig::from_env()?;
        let stack = AwsStack::new(config, AwsClients::from_env().await);
        Ok(stack.with_completion_notices(crate::config::callback_secret()))
    }

    /// The stack with completion notices signed with `secret`, each awaited within
    /// [`NOTICE_BUDGET`] (first retry after 1 s, 5 s per attempt); none without a secret,
    /// which is logged here, once per function start. Call it before building services.
    pub fn with_completion_notices(mut self, secret: Option<String>) -> AwsStack {
        let Some(secret) = secret else {
            warn!("DRAWINGS_CALLBACK_SECRET is not set: no completion notices are sent to callback URLs.");
            return self;
        };
        let config = CallbackConfig {
            first_retry: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            mode: DeliveryMode::Within(NOTICE_BUDGET),
            link_ttl: self.config.link_ttl,
            allow_private: self.config.intake.allow_private_callbacks,
            ..CallbackConfig::new(secret)
        };
        match CallbackNotifier::new(config, self.ports.blobs.clone()) {
            Ok(notifier) => self.ports.callbacks = Arc::new(notifier),
            Err(e) => error!(error = %e, "Cannot build the completion-notice client; no notices are sent."),
        }
        self
    }

    /// Opens the DynamoDB and S3 connections a request is about to use (a `GetItem` for a job
    /// that does not exist, a `HeadObject`), each bounded so a slow service cannot hold init
    /// hostage.
    pub async fn warm_up(&self) {
        let probe = JobId::generate();
        let key = probe.files().input();
        let bound = Duration::from_secs(2);
        let (jobs, blobs) = tokio::join!(
            tokio::time::timeout(bound, self.ports.jobs.get(&probe)),
            tokio::time::timeout(bound, self.ports.blobs.head(&key)),
        );
        debug!(jobs_ok = jobs.is_ok(), blobs_ok = blobs.is_ok(), "Connections warmed.");
    }

    /// The intake service.
    pub fn intake(&self) -> Arc<Intake> {
        Arc::new(Intake::new(self.ports.clone(), self.config.intake.clone()))
    }

    /// The processor, with Gemini when a key parameter is configured (read from SSM once,
    /// here, in init) and the text-layer analyzer otherwise. PDFium runs in rlimited child
    /// processes: this executable re-run as `pdf-worker` ([`PDF_WORKER_SUBCOMMAND`]).
    pub async fn processor(&self) -> Result<Processor> {
        let mut command = WorkerCommand::current_exe(PDF_WORKER_SUBCOMMAND).context("locating this executable")?;
        if let Some(path) = &self.config.pdfium_lib {
            command.args.extend(["--pdfium-lib".to_owned(), path.clone()]);
        }
        let pdf: Arc<dyn PdfEngine> = Arc::new(IsolatedPdfEngine::new(command, IsolationLimits::default()));
        self.processor_with_engine(pdf).await
    }

    /// [`AwsStack::processor`] with the given PDF engine, for hosts that cannot re-run their
    /// executable as a worker (tests use an in-process `PdfiumEngine`).
    pub async fn processor_with_engine(&self, pdf: Arc<dyn PdfEngine>) -> Result<Processor> {
        if let Some(path) = &self.config.pdfium_lib {
            drawings_pdf::use_library(path.into());
        }
        let text_layer: Arc<dyn Analyzer> =
            Arc::new(TextLayerAnalyzer::new(TagSchemes::default()).with_limits(self.config.page_analysis));
        let analyzer: Arc<dyn Analyzer> = match &self.config.gemini_key_parameter {
            Some(parameter) => {
                let key = secure_parameter(parameter, "the Gemini key").await?;
                let gemini = GeminiConfig::from_settings(key, crate::config::var)?;
                info!(model = %gemini.model, "Analyzer: Gemini.");
                Arc::new(GeminiAnalyzer::new(GeminiClient::new(gemini)?))
            }
            None => {
                info!("Analyzer: text layer (no DRAWINGS_GEMINI_KEY_PARAMETER).");
                text_layer.clone()
            }
        };
        Ok(Processor::new(
            self.ports.clone(),
            pdf,
            analyzer,
            Some(text_layer),
            self.config.pipeline.clone(),
        )
        .with_metrics(Arc::new(crate::emf::FacadeMetrics)))
    }

    /// The dead-letter handler.
    pub fn dead_letter_handler(&self) -> DeadLetterHandler {
        DeadLetterHandler::new(self.ports.clone())
    }
}

/// The decrypted value of an SSM (SecureString) parameter, read with the function's role.
/// `what` names it in the error.
pub async fn secure_parameter(name: &str, what: &str) -> Result<String> {
    drawings_aws::ssm::secure_parameter(&drawings_aws::config_from_env().await, name)
        .await
        .with_context(|| format!("reading {what} from SSM parameter {name}"))
}
