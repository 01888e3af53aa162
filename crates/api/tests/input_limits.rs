//! Limits on the strings a client sends with a job, through the router on the embedded
//! adapters: a file name (multipart filename, `X-File-Name`, JSON `file_name`), a
//! `client_name` or a `project_name` longer than 256 bytes is a `400 INVALID_REQUEST` naming
//! the field, never stored and echoed in every status, listing and notice; 256 bytes pass.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use drawings_api::router;
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const LIMIT: usize = 256;

struct Harness {
    app: Router,
    ports: Ports,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()));
        let state = common::state(&ports, IntakeConfig::default());
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

    async fn jobs(&self) -> usize {
        self.ports.jobs.list(&Default::default()).await.unwrap().len()
    }
}

/// A multipart form with the PDF (named `file_name`) and text fields.
fn multipart(file_name: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let boundary = "XyZ";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"drawing_file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(PDF);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/process-drawing")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

fn raw(file_name: &str) -> Request<Body> {
    Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .header("x-file-name", file_name)
        .body(Body::from(PDF))
        .unwrap()
}

fn uploaded(field: &str, value: &str) -> Request<Body> {
    let body = json!({"upload_id": "0123456789abcdef0123456789abcdef", field: value});
    Request::post("/process-drawing")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn assert_refused(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
    assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{body}");
    assert_eq!(body["error"]["details"]["field"], field, "{body}");
    assert_eq!(body["error"]["details"]["max_bytes"], LIMIT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(field), "{body}");
}

#[tokio::test]
async fn a_file_name_or_label_over_256_bytes_is_refused_with_400_naming_the_field() {
    let h = Harness::new();
    let long = "é".repeat(LIMIT / 2) + "x";
    for (request, field) in [
        (multipart(&long, &[]), "file_name"),
        (raw(&long), "file_name"),
        (multipart("a.pdf", &[("client_name", &long)]), "client_name"),
        (multipart("a.pdf", &[("project_name", &long)]), "project_name"),
        (uploaded("file_name", &long), "file_name"),
        (uploaded("client_name", &long), "client_name"),
        (uploaded("project_name", &long), "project_name"),
    ] {
        let (status, body) = h.send(request).await;
        assert_refused(status, &body, field);
    }
    assert_eq!(h.jobs().await, 0, "a refused request made a job");
}

#[tokio::test]
async fn a_multi_megabyte_multipart_file_name_is_refused_and_never_stored() {
    let h = Harness::new();
    let (status, body) = h.send(multipart(&"n".repeat(5 << 20), &[])).await;
    assert_refused(status, &body, "file_name");
    assert_eq!(h.jobs().await, 0);
}

#[tokio::test]
async fn names_and_labels_of_exactly_256_bytes_are_kept() {
    let h = Harness::new();
    let name = "n".repeat(LIMIT);
    let (status, body) = h.send(multipart(&name, &[("project_name", &name)])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, view) = h
        .send(
            Request::get(format!("/status/{}", body["job_id"].as_str().unwrap()))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let jobs = h.ports.jobs.list(&Default::default()).await.unwrap();
    assert_eq!(jobs[0].input.file_name.as_deref(), Some(name.as_str()));
    assert_eq!(jobs[0].input.project_name.as_deref(), Some(name.as_str()));
    let (status, body) = h.send(raw(&name)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}
