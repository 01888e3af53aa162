//! The AWS stack of one function: SDK clients built once in init, the four adapters over
//! them, and the services the handlers call, assembled from the shared settings as every
//! host assembles them (`drawings_settings`).
//!
//! Init makes no network call it can do without. It opens no connection ahead of time: on a
//! cold start an invocation is already waiting and opens what it needs, and a warm-up beside
//! it would only open the same connections twice (`benches/lambda_init.rs` measured it). The
//! SDK trusts Amazon's roots only, so init does not parse the platform's whole certificate
//! store (`drawings_aws::config_from_env`). The processor reads its Gemini key from SSM while
//! it is assembled (bounded by [`KEY_READ_TIMEOUT`]), and only when `DRAWINGS_ANALYZER` is
//! not `text-layer`; the processor function assembles it beside the runtime's start, not
//! awaited in init (`bin/processor.rs`).

use crate::config::LambdaConfig;
use anyhow::{Context, Result};
use drawings_aws::AwsClients;
use drawings_core::Ports;
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::intake::Intake;
use drawings_core::pipeline::Processor;
use drawings_core::ports::{JobQueue, PdfEngine};
use drawings_settings::{AnalyzerChoice, GeminiKey, Secret, keys};
use drawings_webhook::{CallbackConfig, CallbackNotifier, DeliveryMode};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, warn};

/// How long a function waits for a completion notice to be delivered (retries included)
/// before it returns. A task left running when an invocation returns is frozen with the
/// sandbox, so on Lambda a notice is awaited, after the job's terminal write and before its
/// message is acknowledged, rather than spawned.
pub const NOTICE_BUDGET: Duration = Duration::from_secs(10);

/// The subcommand under which the processor binary answers one PDF request.
pub const PDF_WORKER_SUBCOMMAND: &str = "pdf-worker";

/// How long assembling the processor waits for the Gemini key from SSM before it runs the
/// text layer instead (a crash would hold every job for three visibility timeouts).
pub const KEY_READ_TIMEOUT: Duration = Duration::from_secs(5);

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

    /// The stack of a function configured with `config`, over clients from the environment,
    /// with completion notices when `DRAWINGS_CALLBACK_SECRET` is set.
    pub async fn from_config(config: LambdaConfig) -> AwsStack {
        let secret = config.settings.callback_secret.clone();
        AwsStack::new(config, AwsClients::from_env().await).with_completion_notices(secret)
    }

    /// The stack of a function from its environment.
    pub async fn from_env() -> Result<AwsStack> {
        Ok(AwsStack::from_config(LambdaConfig::from_env()?).await)
    }

    /// The stack with completion notices signed with `secret`, each awaited within
    /// [`NOTICE_BUDGET`] (first retry after 1 s, 5 s per attempt); none without a secret,
    /// which is logged here, once per function start. Call it before building services.
    pub fn with_completion_notices(mut self, secret: Option<Secret>) -> AwsStack {
        let Some(secret) = secret else {
            warn!("DRAWINGS_CALLBACK_SECRET is not set: no completion notices are sent to callback URLs.");
            return self;
        };
        let config = CallbackConfig {
            first_retry: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            mode: DeliveryMode::Within(NOTICE_BUDGET),
            link_ttl: self.config.link_ttl,
            allow_private: self.config.settings.intake.allow_private_callbacks,
            ..CallbackConfig::new(secret.expose())
        };
        match CallbackNotifier::new(config, self.ports.blobs.clone()) {
            Ok(notifier) => self.ports.callbacks = Arc::new(notifier),
            Err(e) => error!(error = %e, "Cannot build the completion-notice client; no notices are sent."),
        }
        self
    }

    /// The intake service.
    pub fn intake(&self) -> Arc<Intake> {
        Arc::new(Intake::new(self.ports.clone(), self.config.settings.intake.clone()))
    }

    /// The processor, assembled from the settings as every host assembles it: PDFium in
    /// worker processes (this executable re-run as `pdf-worker`, [`PDF_WORKER_SUBCOMMAND`])
    /// unless `DRAWINGS_PDF_ISOLATION=off`, and the analyzer [`AwsStack::gemini_key`] allows.
    pub async fn processor(&self) -> Result<Processor> {
        let pdf = self.config.settings.pdf_engine(PDF_WORKER_SUBCOMMAND)?;
        self.processor_with_engine(pdf).await
    }

    /// [`AwsStack::processor`] with the given PDF engine, for hosts that cannot re-run their
    /// executable as a worker (tests use an in-process `PdfiumEngine`).
    pub async fn processor_with_engine(&self, pdf: Arc<dyn PdfEngine>) -> Result<Processor> {
        Ok(self.assemble_processor(pdf).await?.0)
    }

    /// [`AwsStack::processor_with_engine`], and the analyzer choice it was built with.
    pub async fn assemble_processor(&self, pdf: Arc<dyn PdfEngine>) -> Result<(Processor, AnalyzerChoice)> {
        if let Some(path) = &self.config.settings.pdf.pdfium_lib {
            drawings_pdf::use_library(path.clone());
        }
        let key = self.gemini_key().await;
        let assembled = self
            .config
            .settings
            .processor(self.ports.clone(), &self.config.host(), pdf, key)
            .context("assembling the processor")?;
        let processor = assembled.processor.with_metrics(Arc::new(crate::emf::FacadeMetrics));
        Ok((processor, assembled.choice))
    }

    /// The Gemini key: not looked for with `DRAWINGS_ANALYZER=text-layer`; `GEMINI_API_KEY`
    /// when set; else the SSM parameter `DRAWINGS_GEMINI_KEY_PARAMETER`, read once, here.
    /// A parameter that is missing, empty, unreadable or slow gives no key, and the text
    /// layer runs (the assembly logs why): never a crash in init.
    pub async fn gemini_key(&self) -> GeminiKey {
        let settings = &self.config.settings;
        if !settings.analyzer.may_use_gemini() {
            return GeminiKey::Missing(format!("{}=text-layer needs none", keys::ANALYZER));
        }
        if let found @ GeminiKey::Found(_) = settings.gemini_key_from_env() {
            return found;
        }
        let Some(parameter) = &settings.gemini_key_parameter else {
            return GeminiKey::Missing(format!(
                "neither {} nor {} is set",
                keys::GEMINI_API_KEY,
                keys::GEMINI_KEY_PARAMETER
            ));
        };
        let read = drawings_aws::ssm::optional_secure_parameter(&self.clients.ssm, parameter);
        match tokio::time::timeout(KEY_READ_TIMEOUT, read).await {
            Ok(Ok(Some(key))) if !key.trim().is_empty() => GeminiKey::Found(Secret::new(key.trim())),
            Ok(Ok(Some(_))) => GeminiKey::Missing(format!("the SSM parameter {parameter} is empty")),
            Ok(Ok(None)) => GeminiKey::Missing(format!("the SSM parameter {parameter} does not exist")),
            Ok(Err(e)) => GeminiKey::Missing(format!("the SSM parameter {parameter} could not be read: {e}")),
            Err(_) => GeminiKey::Missing(format!(
                "the SSM parameter {parameter} did not answer within {KEY_READ_TIMEOUT:?}"
            )),
        }
    }

    /// The dead-letter handler.
    pub fn dead_letter_handler(&self) -> DeadLetterHandler {
        DeadLetterHandler::new(self.ports.clone())
    }

    /// The decrypted value of an SSM (SecureString) parameter, read with the function's
    /// role. `what` names it in the error.
    pub async fn secure_parameter(&self, name: &str, what: &str) -> Result<String> {
        drawings_aws::ssm::secure_parameter(&self.clients.ssm, name)
            .await
            .with_context(|| format!("reading {what} from SSM parameter {name}"))
    }
}
