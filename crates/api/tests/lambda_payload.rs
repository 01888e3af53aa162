//! Direct uploads through the intake Lambda meet the platform's payload ceiling: requests are
//! built from real API Gateway HTTP API (payload 2.0) events by `lambda_http`, exactly as the
//! function receives them, and sent through the router on the embedded adapters. Over
//! `LAMBDA_DIRECT_UPLOAD_BYTES` a body is a `413 PAYLOAD_TOO_LARGE` pointing to `POST /uploads`;
//! at it, the whole event fits Lambda's 6 MB even with the most headers API Gateway passes;
//! `drawings serve` (no Lambda context) keeps the intake's own limit.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use drawings_api::{LAMBDA_DIRECT_UPLOAD_BYTES, LAMBDA_PAYLOAD_BYTES, router};
use drawings_core::intake::IntakeConfig;
use drawings_core::{JobId, Ports};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// API Gateway's cap on the request line and header values together.
const HEADER_BUDGET: usize = 10_240;
const REQUEST_LINE: &str = "POST /process-drawing HTTP/1.1";

struct Harness {
    app: Router,
    ports: Ports,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The router on SQLite in memory and blobs in a temporary directory, with the intake
    /// limiting uploads to `max_upload_bytes`.
    fn new(max_upload_bytes: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()));
        let config = IntakeConfig {
            max_upload_bytes,
            ..IntakeConfig::default()
        };
        let state = common::state(&ports, config);
        Harness {
            app: router(state),
            ports,
            _dir: dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// The request `lambda_http` makes of `event`, as the intake function's router gets it.
    async fn send_event(&self, event: &Value) -> (StatusCode, Value) {
        let request = lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
        self.send(request.map(Body::new)).await
    }

    async fn job_count(&self) -> usize {
        self.ports.jobs.list(&Default::default()).await.unwrap().len()
    }
}

/// A PDF of exactly `size` bytes.
fn pdf_of(size: u64) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(size as usize, b' ');
    pdf
}

/// The HTTP API event of `POST /process-drawing` with `body` (base64-encoded, as API Gateway
/// sends a binary body) and `headers` besides the ones every request carries; the
/// `user-agent` header is `user_agent`, which the event repeats in its request context.
fn event(body: &[u8], headers: &[(&str, String)], user_agent: &str) -> Value {
    let mut all = json!({
        "host": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
        "user-agent": user_agent,
        "x-amzn-trace-id": "Root=1-6b0cb0f8-0123456789abcdef01234567",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    });
    for (name, value) in headers {
        all[*name] = json!(value);
    }
    json!({
        "version": "2.0",
        "routeKey": "POST /process-drawing",
        "rawPath": "/process-drawing",
        "rawQueryString": "",
        "headers": all,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "POST",
                "path": "/process-drawing",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": user_agent,
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /process-drawing",
            "stage": "$default",
            "time": "29/Nov/2026:23:00:00 +0000",
            "timeEpoch": 1795993200000u64,
        },
        "body": base64::engine::general_purpose::STANDARD.encode(body),
        "isBase64Encoded": true,
    })
}

fn pdf_headers(size: u64) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/pdf".to_owned()),
        ("content-length", size.to_string()),
    ]
}

fn assert_points_to_post_uploads(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("POST /uploads"), "{message}");
    assert!(message.contains(&LAMBDA_DIRECT_UPLOAD_BYTES.to_string()), "{message}");
    let details = &body["error"]["details"];
    assert_eq!(details["max_bytes"], LAMBDA_DIRECT_UPLOAD_BYTES, "{body}");
    assert_eq!(details["upload_with"], "POST /uploads", "{body}");
    assert_eq!(
        details["upload_max_bytes"],
        IntakeConfig::default().max_upload_bytes,
        "{body}"
    );
}

#[tokio::test]
async fn through_lambda_a_pdf_over_the_payload_ceiling_is_413_pointing_to_post_uploads() {
    let h = Harness::new(IntakeConfig::default().max_upload_bytes);
    let size = LAMBDA_DIRECT_UPLOAD_BYTES + 1;
    let (status, body) = h
        .send_event(&event(&pdf_of(size), &pdf_headers(size), "curl/8.5.0"))
        .await;
    assert_points_to_post_uploads(status, &body);
    assert_eq!(h.job_count().await, 0);
}

#[tokio::test]
async fn through_lambda_a_multipart_body_over_the_ceiling_without_a_length_is_the_same_413() {
    let h = Harness::new(IntakeConfig::default().max_upload_bytes);
    // Under the ceiling as a file, over it with the form's framing: the platform carries the
    // whole body, so the whole body is what counts.
    let file = pdf_of(LAMBDA_DIRECT_UPLOAD_BYTES - 10);
    let mut form = b"--XyZ\r\ncontent-disposition: form-data; name=\"drawing_file\"; filename=\"a.pdf\"\r\n\
                     content-type: application/pdf\r\n\r\n"
        .to_vec();
    form.extend_from_slice(&file);
    form.extend_from_slice(b"\r\n--XyZ--\r\n");
    let headers = [("content-type", "multipart/form-data; boundary=XyZ".to_owned())];
    let (status, body) = h.send_event(&event(&form, &headers, "curl/8.5.0")).await;
    assert_points_to_post_uploads(status, &body);
    assert_eq!(h.job_count().await, 0);
}

#[tokio::test]
async fn through_lambda_a_pdf_at_the_ceiling_is_accepted_and_its_event_fits_the_payload() {
    let h = Harness::new(IntakeConfig::default().max_upload_bytes);
    let size = LAMBDA_DIRECT_UPLOAD_BYTES;
    let mut headers = pdf_headers(size);
    headers.push(("x-file-name", "plan.pdf".to_owned()));
    // The rest of API Gateway's header budget goes to the user agent, which the event carries
    // twice, in quotes, each of which JSON escapes to two bytes: the largest envelope there is.
    let spent: usize = REQUEST_LINE.len()
        + headers.iter().map(|(_, v)| v.len()).sum::<usize>()
        + [
            "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "Root=1-6b0cb0f8-0123456789abcdef01234567",
            "203.0.113.10",
            "443",
            "https",
        ]
        .iter()
        .map(|v| v.len())
        .sum::<usize>();
    let user_agent = "\"".repeat(HEADER_BUDGET - spent);
    let event = event(&pdf_of(size), &headers, &user_agent);
    let payload = event.to_string().len() as u64;
    assert!(
        payload <= LAMBDA_PAYLOAD_BYTES,
        "the event of a {size}-byte body is {payload} bytes, over Lambda's {LAMBDA_PAYLOAD_BYTES}"
    );

    let (status, body) = h.send_event(&event).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = h
        .ports
        .jobs
        .get(&JobId::parse(body["job_id"].as_str().unwrap()).unwrap())
        .await
        .unwrap();
    assert_eq!(job.input.bytes, size);
}

#[tokio::test]
async fn through_lambda_a_body_over_the_intakes_own_limit_gets_the_intakes_413() {
    // `POST /uploads` would not take it either, so the answer does not send the client there.
    let h = Harness::new(4096);
    let (status, body) = h
        .send_event(&event(&pdf_of(5000), &pdf_headers(5000), "curl/8.5.0"))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert!(
        !body["error"]["message"].as_str().unwrap().contains("/uploads"),
        "{body}"
    );
    let (status, body) = h
        .send_event(&event(&pdf_of(4096), &pdf_headers(4096), "curl/8.5.0"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn the_embedded_server_takes_a_direct_upload_over_the_lambda_ceiling() {
    let h = Harness::new(IntakeConfig::default().max_upload_bytes);
    let size = LAMBDA_DIRECT_UPLOAD_BYTES + 1;
    let request = Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .header("content-length", size)
        .body(Body::from(pdf_of(size)))
        .unwrap();
    let (status, body) = h.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn the_openapi_document_states_the_ceiling_and_the_file_and_page_redirects() {
    let h = Harness::new(IntakeConfig::default().max_upload_bytes);
    let (status, doc) = h.send(Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    // The figure as the document writes it, so the text cannot drift from the constant.
    let digits = LAMBDA_DIRECT_UPLOAD_BYTES.to_string();
    let figure = format!("{},{},{}", &digits[..1], &digits[1..4], &digits[4..]);
    let too_large = doc["paths"]["/process-drawing"]["post"]["responses"]["413"]["description"]
        .as_str()
        .unwrap();
    assert!(
        too_large.contains(&figure) && too_large.contains("POST /uploads"),
        "{too_large}"
    );
    for path in [
        "/results/{job_id}/{file}",
        "/results/{job_id}/pages/{page}",
        "/results/{job_id}/pages/{page}/tiles/{tile}",
    ] {
        let redirect = &doc["paths"][path]["get"]["responses"]["307"];
        assert!(redirect["headers"]["Location"].is_object(), "{path}: {redirect}");
        assert!(
            redirect["description"].as_str().unwrap().contains(&figure),
            "{path}: {redirect}"
        );
    }
}
