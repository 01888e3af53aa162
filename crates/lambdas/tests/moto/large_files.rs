//! Files bigger than the Lambda payload, through the intake function's router on S3, DynamoDB
//! and SQS (moto), with requests built by `lambda_http` from API Gateway events as the function
//! gets them: a direct upload over the ceiling is a `413` pointing to `POST /uploads`, and that
//! path takes the same file (copied inside S3, with the sha256 of its bytes); a large result
//! file or page image is a `307` whose presigned `Location` serves it over plain HTTP, without
//! the API key.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use drawings_api::{AppState, INLINE_RESULT_MAX_BYTES, LAMBDA_DIRECT_UPLOAD_BYTES, router};
use drawings_aws::{AwsClients, StackResources};
use drawings_core::intake::{Intake, IntakeConfig, Upload};
use drawings_core::{JobId, JobStatus, Ports, ResultFile, Stage};
use drawings_testkit::moto::MotoServer;
use drawings_testkit::unique;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

struct Stack {
    app: Router,
    intake: Arc<Intake>,
    ports: Ports,
    _moto: MotoServer,
}

impl Stack {
    async fn start() -> Stack {
        let moto = MotoServer::start().await;
        let clients = AwsClients::for_endpoint(&moto.endpoint).await;
        let suffix = unique("t").replace('-', "");
        let r = StackResources::create(&clients, "drawings", &suffix)
            .await
            .expect("provision the stack");
        let (ports, _) = r.resources().ports(&clients);
        let intake = Arc::new(Intake::new(ports.clone(), IntakeConfig::default()));
        let app = router(AppState {
            intake: intake.clone(),
            ports: ports.clone(),
            link_ttl: Duration::from_secs(3600),
            metrics: None,
            status_cache: Default::default(),
        });
        Stack {
            app,
            intake,
            ports,
            _moto: moto,
        }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let response = self.app.clone().oneshot(request).await.expect("the router answers");
        let (status, headers) = (response.status(), response.headers().clone());
        (
            status,
            headers,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }

    /// The request `lambda_http` makes of an HTTP API event, as the intake function gets it.
    async fn send_event(
        &self,
        method: &str,
        path: &str,
        headers: Value,
        body: &[u8],
    ) -> (StatusCode, HeaderMap, Bytes) {
        let event = json!({
            "version": "2.0",
            "routeKey": format!("{method} {path}"),
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abcdef1234",
                "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": "abcdef1234",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0"},
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": format!("{method} {path}"),
                "stage": "$default",
                "time": "29/Nov/2026:23:00:00 +0000",
                "timeEpoch": 1795993200000u64,
            },
            // The bodies here are ASCII, which API Gateway may pass as text.
            "body": String::from_utf8(body.to_vec()).expect("an ASCII body"),
            "isBase64Encoded": false,
        });
        let request = lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
        self.send(request.map(Body::new)).await
    }

    /// `POST /uploads` and the client's `PUT` of `bytes` to the presigned URL; the upload id.
    async fn upload(&self, bytes: &[u8]) -> String {
        let request = Request::post("/uploads")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        assert_eq!(status, StatusCode::CREATED);
        let ticket: Value = serde_json::from_slice(&body).unwrap();
        let put = reqwest::Client::new()
            .put(ticket["upload_url"].as_str().unwrap())
            .header("content-type", "application/pdf")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success(), "presigned PUT: {}", put.status());
        ticket["upload_id"].as_str().unwrap().to_owned()
    }
}

/// An ASCII PDF of `size` bytes.
fn pdf_of(size: u64) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(size as usize, b' ');
    pdf
}

#[tokio::test]
async fn a_direct_upload_over_the_ceiling_is_413_and_post_uploads_takes_the_same_file() {
    let stack = Stack::start().await;
    let pdf = pdf_of(LAMBDA_DIRECT_UPLOAD_BYTES + 1);
    let headers = json!({"content-type": "application/pdf", "content-length": pdf.len().to_string(),
                         "idempotency-key": "plan-7"});
    let (status, _, body) = stack.send_event("POST", "/process-drawing", headers, &pdf).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["details"]["upload_with"], "POST /uploads", "{body}");

    // The way the answer points: PUT to S3, submit the upload id.
    let upload_id = stack.upload(&pdf).await;
    let submit = json!({ "upload_id": upload_id }).to_string();
    let headers = json!({"content-type": "application/json", "idempotency-key": "plan-7"});
    let (status, _, body) = stack
        .send_event("POST", "/process-drawing", headers, submit.as_bytes())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&body));
    let accepted: Value = serde_json::from_slice(&body).unwrap();
    let job_id = JobId::parse(accepted["job_id"].as_str().unwrap()).unwrap();
    let job = stack.ports.jobs.get(&job_id).await.unwrap();
    assert_eq!(job.input.bytes, pdf.len() as u64);
    assert_eq!(stack.ports.blobs.get(&job.input.blob_key).await.unwrap(), pdf);

    // The sha256 S3 computed is the one the intake computes of the same bytes: the same key
    // with the same file sent in whole (by a host with no payload ceiling) replays the job.
    let direct = Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .header("idempotency-key", "plan-7")
        .body(Body::from(pdf))
        .unwrap();
    let (status, headers, body) = stack.send(direct).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["idempotent-replayed"], "true");
    let replay: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(replay["job_id"], accepted["job_id"]);
}

impl Stack {
    /// A job marked completed, whose files the test stores itself.
    async fn completed_job(&self) -> JobId {
        let upload = Upload {
            body: Bytes::from(pdf_of(100)),
            ..Upload::default()
        };
        let mut job = self.intake.submit(upload).await.unwrap().job;
        job.status = JobStatus::Completed;
        job.current_stage = None;
        job.stages_completed = Stage::ALL.to_vec();
        self.ports.jobs.update(&job).await.unwrap();
        job.id
    }

    /// Stores `body` at `key`, GETs `path` as the intake function would, expects a `307`,
    /// and checks that its presigned `Location`, fetched without the key, serves `body` with
    /// `content_type`.
    async fn assert_redirects_to(&self, path: &str, key: &str, body: Vec<u8>, content_type: &str) {
        self.ports
            .blobs
            .put(key, Bytes::from(body.clone()), content_type)
            .await
            .unwrap();
        let (status, headers, answer) = self.send_event("GET", path, json!({}), b"").await;
        assert_eq!(status, StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert!(answer.is_empty());
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let location = headers[header::LOCATION].to_str().unwrap();
        assert!(location.contains("X-Amz-Expires=300"), "{location}");

        let download = reqwest::get(location).await.unwrap();
        assert_eq!(download.status(), reqwest::StatusCode::OK);
        assert_eq!(download.headers()[reqwest::header::CONTENT_TYPE], content_type);
        let got = download.bytes().await.unwrap();
        assert!(
            got == body,
            "the presigned GET must serve the file (got {} bytes)",
            got.len()
        );
    }
}

/// Bytes over the inline limit, with a pattern so a truncated or shifted body cannot pass.
fn too_big_to_inline() -> Vec<u8> {
    (0..INLINE_RESULT_MAX_BYTES + 1).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn a_large_result_redirects_to_a_presigned_get_that_serves_it_without_the_key() {
    let stack = Stack::start().await;
    let job = stack.completed_job().await;
    let file = ResultFile::ScheduleXlsx;
    let path = format!("/results/{job}/{}", file.name());
    stack
        .assert_redirects_to(
            &path,
            &job.files().result(file),
            too_big_to_inline(),
            file.content_type(),
        )
        .await;
}

#[tokio::test]
async fn a_large_page_image_redirects_to_a_presigned_get_like_a_result_file() {
    let stack = Stack::start().await;
    let job = stack.completed_job().await;
    let path = format!("/results/{job}/pages/1");
    stack
        .assert_redirects_to(&path, &job.files().page_image(0), too_big_to_inline(), "image/png")
        .await;
}
