//! Jobs made with authentication off belong to no client, through two routers on one store:
//! one open (as `drawings serve` on loopback without keys), one with keys (as after
//! `drawings keys create`). A `client_name` in an open form makes no owner, and an open
//! caller's `Idempotency-Key` lives apart from every client's, so it cannot pre-claim one.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use drawings_api::{ApiKeys, Auth, RateLimit, router, router_with_auth};
use drawings_core::JobId;
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

struct Harness {
    open: Router,
    keyed: Router,
    acme: String,
    ports: Ports,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()));
        let state = common::state(&ports, IntakeConfig::default());
        let mut keys = ApiKeys::new();
        let acme = keys.create("acme", chrono::Utc::now()).unwrap();
        Harness {
            open: router(state.clone()),
            keyed: router_with_auth(state, Auth::with_keys(keys, RateLimit::default())),
            acme,
            ports,
            _dir: dir,
        }
    }

    async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn as_acme(&self, path: &str) -> (StatusCode, Value) {
        let request = Request::get(path)
            .header("x-api-key", &self.acme)
            .body(Body::empty())
            .unwrap();
        Self::send(&self.keyed, request).await
    }
}

fn submit(pdf: &[u8], idempotency_key: &str, api_key: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .header("idempotency-key", idempotency_key);
    if let Some(key) = api_key {
        request = request.header("x-api-key", key);
    }
    request.body(Body::from(pdf.to_vec())).unwrap()
}

#[tokio::test]
async fn with_authentication_off_a_forms_client_name_makes_no_owner() {
    let h = Harness::new();
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"client_name\"\r\n\r\nacme\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"drawing_file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PDF);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/process-drawing")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (status, accepted) = Harness::send(&h.open, request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["job_id"].as_str().unwrap();
    let job = h.ports.jobs.get(&JobId::parse(id).unwrap()).await.unwrap();
    assert_eq!(job.input.client_name, None, "the form's client_name became the owner");

    // Once keys are configured, acme's key does not see the job the open form named it in.
    let (status, _) = h.as_acme(&format!("/status/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = h.as_acme("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["jobs"].as_array().unwrap().len(), 0, "{list}");
}

#[tokio::test]
async fn an_open_caller_cannot_pre_claim_a_clients_idempotency_key() {
    let h = Harness::new();
    // The stored form of acme's `order-42`: sha256(client NUL key), in hex.
    let mut hasher = Sha256::new();
    hasher.update(b"acme\0order-42");
    let claimed = hex::encode(hasher.finalize());
    let (status, squatter) = Harness::send(&h.open, submit(PDF, &claimed, None)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{squatter}");

    let mut acme_pdf = PDF.to_vec();
    acme_pdf.extend_from_slice(b"% acme\n");
    let (status, accepted) = Harness::send(&h.keyed, submit(&acme_pdf, "order-42", Some(&h.acme))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_ne!(accepted["job_id"], squatter["job_id"]);
    let (status, _) = h
        .as_acme(&format!("/status/{}", accepted["job_id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The open caller's own key still replays its own job.
    let (status, again) = Harness::send(&h.open, submit(PDF, &claimed, None)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["job_id"], squatter["job_id"]);
}
