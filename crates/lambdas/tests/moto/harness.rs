//! One deployed stack on a moto server of its own: the resources the SAM template would
//! create (`drawings_aws::provision`), the functions' `AwsStack` over them, the API router
//! in-process (the intake function), and event sources for the two queues.

use crate::event_source::EventSource;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use drawings_api::{AppState, router};
use drawings_aws::{AwsClients, StackResources, provision};
use drawings_core::pipeline::{PipelineConfig, Processor};
use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageInput, PdfEngine};
use drawings_core::{ErrorClass, ErrorCode};
use drawings_lambdas::config::LambdaRuntime;
use drawings_lambdas::{AwsStack, LambdaConfig};
use drawings_pdf::PdfiumEngine;
use drawings_settings::Settings;
use drawings_testkit::moto::MotoServer;
use drawings_testkit::unique;
use drawings_textlayer::TextLayerAnalyzer;
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long result links stay valid.
const LINK_TTL: Duration = Duration::from_secs(3600);

/// A stack on its own moto server.
pub struct Harness {
    /// The functions' adapters, built as the functions build them.
    pub stack: AwsStack,
    /// What was provisioned.
    pub resources: StackResources,
    app: Router,
    _moto: MotoServer,
}

impl Harness {
    /// Provisions a fresh stack. Transient failures come back at once (`retry_delay` 0), so
    /// a test can drive the receives without waiting out a backoff.
    pub async fn start() -> Harness {
        Harness::start_with(&[]).await
    }

    /// [`Harness::start`] with the functions' settings read from `settings` (`(key, value)`
    /// pairs; the stack's resource names are added).
    pub async fn start_with(settings: &[(&str, &str)]) -> Harness {
        let moto = MotoServer::start().await;
        let clients = AwsClients::for_endpoint(&moto.endpoint).await;
        let suffix = unique("t").replace('-', "");
        let resources = StackResources::create(&clients, "drawings", &suffix)
            .await
            .expect("provision the stack");
        let mut settings =
            Settings::read(&|key| settings.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned()))
                .expect("valid settings");
        settings.pipeline.retry_delay = Duration::ZERO;
        let config = LambdaConfig {
            settings,
            resources: resources.resources(),
            runtime: LambdaRuntime::default(),
            link_ttl: LINK_TTL,
        };
        let stack = AwsStack::new(config, clients);
        let app = router(AppState {
            intake: stack.intake(),
            ports: stack.ports.clone(),
            link_ttl: LINK_TTL,
            metrics: None,
            status_cache: Default::default(),
        });
        Harness {
            stack,
            resources,
            app,
            _moto: moto,
        }
    }

    /// The processor function's processor, with PDFium in process (a test binary cannot be
    /// re-run as `pdf-worker`).
    pub async fn processor(&self) -> Processor {
        self.stack
            .processor_with_engine(pdf_engine())
            .await
            .expect("the processor")
    }

    /// A processor with `analyzer`, as another execution environment (its own worker id)
    /// would run it; the text layer stays the evaluation's reference.
    pub fn processor_with(&self, analyzer: Arc<dyn Analyzer>) -> Processor {
        let config = PipelineConfig {
            worker_id: unique("worker"),
            ..self.stack.config.settings.pipeline.clone()
        };
        let reference: Arc<dyn Analyzer> = Arc::new(TextLayerAnalyzer::default());
        Processor::new(
            self.stack.ports.clone(),
            pdf_engine(),
            analyzer,
            Some(reference),
            config,
        )
    }

    /// The main queue, as the processor function's event source.
    pub fn work_queue(&self) -> EventSource {
        self.source(&self.resources.queue_url, &self.resources.queue_arn)
    }

    /// The dead-letter queue, as the dlq function's event source.
    pub fn dead_letter_queue(&self) -> EventSource {
        self.source(&self.resources.dlq_url, &self.resources.dlq_arn)
    }

    fn source(&self, url: &str, arn: &str) -> EventSource {
        EventSource {
            sqs: self.stack.clients.sqs.clone(),
            queue_url: url.to_owned(),
            queue_arn: arn.to_owned(),
        }
    }

    /// A fresh queue subscribed to the alert topic: what an operator's inbox receives.
    pub async fn alert_inbox(&self) -> EventSource {
        let clients = &self.stack.clients;
        let (url, arn) = provision::create_queue(&clients.sqs, &unique("inbox"), None)
            .await
            .expect("create the inbox");
        provision::subscribe_queue(&clients.sns, &clients.sqs, &self.resources.topic_arn, &url, &arn)
            .await
            .expect("subscribe the inbox");
        self.source(&url, &arn)
    }

    /// Sends a request through the API router; returns the status and the JSON body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        use tower::ServiceExt;
        let response = self.app.clone().oneshot(request).await.expect("the router answers");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("the body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// `POST /process-drawing` with a PDF body; asserts 202 and returns the job id.
    pub async fn submit(&self, pdf: Vec<u8>) -> String {
        let request = Request::post("/process-drawing")
            .header("content-type", "application/pdf")
            .body(Body::from(pdf))
            .unwrap();
        let (status, body) = self.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "queued", "{body}");
        body["job_id"].as_str().expect("job_id").to_owned()
    }

    /// `GET /status/{id}`: asserts 200 and returns the body.
    pub async fn status(&self, job_id: &str) -> Value {
        let request = Request::get(format!("/status/{job_id}")).body(Body::empty()).unwrap();
        let (status, body) = self.send(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The job's DynamoDB item as stored.
    pub async fn item(&self, job_id: &str) -> HashMap<String, AttributeValue> {
        self.stack
            .clients
            .dynamodb
            .get_item()
            .table_name(&self.resources.table)
            .key("job_id", AttributeValue::S(job_id.to_owned()))
            .send()
            .await
            .expect("GetItem")
            .item
            .expect("the job's item")
    }
}

/// PDFium in process.
pub fn pdf_engine() -> Arc<dyn PdfEngine> {
    Arc::new(PdfiumEngine::new())
}

/// A file of the repository's `fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The normalised, sorted, distinct component ids of a `components.json`-shaped value
/// (`{"components": [{"id": ...}]}`), compared the way the schedule folds them.
pub fn component_ids(value: &Value) -> Vec<String> {
    let mut ids: Vec<String> = value["components"]
        .as_array()
        .expect("a components array")
        .iter()
        .map(|c| drawings_core::schedule::normalize_id(c["id"].as_str().expect("a component id")))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// An analyzer whose every call fails transiently, as a model that is down would.
pub struct AlwaysTransient;

#[async_trait]
impl Analyzer for AlwaysTransient {
    fn name(&self) -> String {
        "always-transient".into()
    }

    fn needs_image(&self) -> bool {
        false
    }

    async fn analyze_page(&self, _input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        Err(AnalyzeError::new(
            ErrorCode::ModelServerError,
            ErrorClass::Transient,
            "the model is unavailable",
        ))
    }
}
