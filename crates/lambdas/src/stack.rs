//! The AWS stack of one function: SDK clients built once in init, the four adapters over
//! them, and the services the handlers call. Init also warms the connections the first
//! request will use, so that request does not pay the TLS handshakes.

use crate::config::LambdaConfig;
use anyhow::{Context, Result};
use drawings_aws::{AwsClients, DynamoJobStore, S3BlobStore, SnsNotifier, SqsJobQueue};
use drawings_core::JobId;
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::intake::Intake;
use drawings_core::pipeline::{Backends, Processor};
use drawings_core::ports::{Analyzer, JobQueue, PdfEngine};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
use drawings_pdf::{IsolatedPdfEngine, IsolationLimits, WorkerCommand};
use drawings_textlayer::{TagSchemes, TextLayerAnalyzer};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info};

/// The subcommand under which the processor binary answers one PDF request.
pub const PDF_WORKER_SUBCOMMAND: &str = "pdf-worker";

/// A function's adapters.
#[derive(Clone)]
pub struct Stack {
    /// Configuration.
    pub config: LambdaConfig,
    /// SDK clients.
    pub clients: AwsClients,
    /// Job store, queue, blobs, alerts.
    pub backends: Backends,
    /// The dead-letter queue.
    pub dead_letters: Arc<dyn JobQueue>,
}

impl Stack {
    /// Adapters over `clients`.
    pub fn new(config: LambdaConfig, clients: AwsClients) -> Stack {
        let backends = Backends {
            jobs: Arc::new(DynamoJobStore::new(clients.dynamodb.clone(), &config.table)),
            queue: Arc::new(SqsJobQueue::new(clients.sqs.clone(), &config.queue_url)),
            blobs: Arc::new(S3BlobStore::new(clients.s3.clone(), &config.bucket)),
            notifier: Arc::new(SnsNotifier::new(clients.sns.clone(), &config.alert_topic_arn)),
        };
        let dead_letters = Arc::new(SqsJobQueue::new(clients.sqs.clone(), &config.dlq_url));
        Stack {
            config,
            clients,
            backends,
            dead_letters,
        }
    }

    /// The stack of a function from its environment.
    pub async fn from_env() -> Result<Stack> {
        let config = LambdaConfig::from_env()?;
        Ok(Stack::new(config, AwsClients::from_env().await))
    }

    /// Opens the DynamoDB and S3 connections a request is about to use (a `GetItem` for a job
    /// that does not exist, a `HeadObject`), each bounded so a slow service cannot hold init
    /// hostage.
    pub async fn warm_up(&self) {
        let probe = JobId::generate();
        let key = probe.blob_key("input.pdf");
        let bound = Duration::from_secs(2);
        let (jobs, blobs) = tokio::join!(
            tokio::time::timeout(bound, self.backends.jobs.get(&probe)),
            tokio::time::timeout(bound, self.backends.blobs.head(&key)),
        );
        debug!(jobs_ok = jobs.is_ok(), blobs_ok = blobs.is_ok(), "Connections warmed.");
    }

    /// The intake service.
    pub fn intake(&self) -> Arc<Intake> {
        Arc::new(Intake::new(self.backends.clone(), self.config.intake.clone()))
    }

    /// The processor, with Gemini when a key parameter is configured (read from SSM once,
    /// here, in init) and the text-layer analyzer otherwise.
    pub async fn processor(&self) -> Result<Processor> {
        if let Some(path) = &self.config.pdfium_lib {
            drawings_pdf::use_library(path.into());
        }
        let text_layer: Arc<dyn Analyzer> = Arc::new(TextLayerAnalyzer::new(TagSchemes::default()));
        let analyzer: Arc<dyn Analyzer> = match &self.config.gemini_key_parameter {
            Some(parameter) => {
                let key = self.gemini_key(parameter).await?;
                let gemini = GeminiConfig::from_settings(key, crate::config::var)?;
                info!(model = %gemini.model, "Analyzer: Gemini.");
                Arc::new(GeminiAnalyzer::new(GeminiClient::new(gemini)?))
            }
            None => {
                info!("Analyzer: text layer (no DRAWINGS_GEMINI_KEY_PARAMETER).");
                text_layer.clone()
            }
        };
        let mut command = WorkerCommand::current_exe(PDF_WORKER_SUBCOMMAND).context("locating this executable")?;
        if let Some(path) = &self.config.pdfium_lib {
            command.args.extend(["--pdfium-lib".to_owned(), path.clone()]);
        }
        let pdf: Arc<dyn PdfEngine> = Arc::new(IsolatedPdfEngine::new(command, IsolationLimits::default()));
        Ok(Processor::new(
            self.backends.clone(),
            pdf,
            analyzer,
            Some(text_layer),
            self.config.pipeline.clone(),
        ))
    }

    /// The dead-letter handler.
    pub fn dead_letter_handler(&self) -> DeadLetterHandler {
        DeadLetterHandler::new(self.backends.clone())
    }

    async fn gemini_key(&self, parameter: &str) -> Result<String> {
        let ssm = aws_sdk_ssm::Client::new(&drawings_aws::config_from_env().await);
        let answer = ssm
            .get_parameter()
            .name(parameter)
            .with_decryption(true)
            .send()
            .await
            .with_context(|| format!("reading the Gemini key from SSM parameter {parameter}"))?;
        answer
            .parameter
            .and_then(|p| p.value)
            .with_context(|| format!("SSM parameter {parameter} has no value"))
    }
}
