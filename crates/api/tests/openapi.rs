//! `GET /openapi.json` through the router on the embedded adapters: the document is served
//! without a key, parses, lists exactly the routes the router serves (each one answered by
//! its handler, not the fallback), and real bodies from the router — status views of a
//! queued, failed and completed job, the job list, errors — validate against the schemas it
//! gives for those responses. The validator is a small structural one (`schema/mod.rs`): the
//! keywords utoipa emits, no JSON-schema crate.

mod schema;

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use drawings_api::{ApiKeys, Auth, RateLimit, router, router_with_auth};
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_core::{ErrorCode, JobError, JobId, JobStatus, Stage};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use schema::{resolve, validate};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// Every route the router serves.
const ROUTES: [(&str, &str); 12] = [
    ("DELETE", "/jobs/{job_id}"),
    ("GET", "/health"),
    ("GET", "/jobs"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/results/{job_id}/pages"),
    ("GET", "/results/{job_id}/pages/{page}"),
    ("GET", "/results/{job_id}/pages/{page}/tiles/{tile}"),
    ("GET", "/results/{job_id}/{file}"),
    ("GET", "/status/{job_id}"),
    ("POST", "/process-drawing"),
    ("POST", "/uploads"),
];

struct Harness {
    app: Router,
    ports: Ports,
    key: Option<String>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(with_keys: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()));
        let state = common::state(&ports, IntakeConfig::default());
        let (app, key) = if with_keys {
            let mut keys = ApiKeys::new();
            let key = keys.create("acme", chrono::Utc::now()).unwrap();
            (
                router_with_auth(state, Auth::with_keys(keys, RateLimit::default())),
                Some(key),
            )
        } else {
            (router(state), None)
        };
        Harness {
            app,
            ports,
            key,
            _dir: dir,
        }
    }

    /// `method path` with the harness's key, if any; the status, content type and JSON body.
    async fn call(&self, method: Method, path: &str, body: Option<&[u8]>) -> (StatusCode, String, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = &self.key {
            request = request.header("x-api-key", key);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/pdf");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_vec()));
        let response = self.app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn document(&self) -> Value {
        let response = self
            .app
            .clone()
            .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "served without a key");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).expect("the document is JSON")
    }
}

/// The document's operations as `(METHOD, path, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            found.push((method.to_uppercase(), path.clone(), operation));
        }
    }
    found
}

#[tokio::test]
async fn the_document_is_public_parses_and_lists_every_route_the_router_serves() {
    let h = Harness::new(true);
    let doc = h.document().await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let listed: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    let served: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(listed, served);

    let job_id = JobId::generate().to_string();
    for (method, path, operation) in operations(&doc) {
        // Each documented operation is answered by its handler, not by the router's fallbacks.
        let uri = path
            .replace("{job_id}", &job_id)
            .replace("{file}", "components.json")
            .replace("{page}", "1");
        let (status, _, body) = h.call(method.parse().unwrap(), &uri, None).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(body["error"]["message"], "no such route", "{method} {path}");
        // Security and the errors every route shares.
        let open = ["/health", "/openapi.json"].contains(&path.as_str());
        let responses = &operation["responses"];
        if open {
            assert_eq!(operation["security"], json!([]), "{path} is public");
        } else {
            assert_eq!(operation["security"], json!([{ "api_key": [] }]), "{method} {path}");
            assert!(responses["401"].is_object(), "{method} {path}: 401");
            assert!(
                responses["429"]["headers"]["Retry-After"].is_object(),
                "{method} {path}: 429"
            );
        }
        for (code, response) in responses.as_object().unwrap() {
            if code.starts_with('4') || code.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {code}"
                );
            }
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        json!({ "type": "apiKey", "in": "header", "name": "x-api-key", "description":
            doc["components"]["securitySchemes"]["api_key"]["description"] })
    );
    let submit = &doc["paths"]["/process-drawing"]["post"];
    let accepted = &submit["responses"]["202"]["headers"];
    assert!(accepted["Retry-After"].is_object() && accepted["Location"].is_object());
    let names: Vec<&str> = submit["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Idempotency-Key"), "{names:?}");
    let content = &submit["requestBody"]["content"];
    for media in [
        "application/pdf",
        "application/octet-stream",
        "multipart/form-data",
        "application/json",
    ] {
        assert!(content[media].is_object(), "{media}");
    }
    let pdf = resolve(&doc, &content["application/pdf"]["schema"]);
    assert_eq!((&pdf["type"], &pdf["format"]), (&json!("string"), &json!("binary")));
    for code in ["400", "404", "409", "413", "415", "503"] {
        assert!(submit["responses"][code].is_object(), "POST /process-drawing {code}");
    }
    assert!(doc["paths"]["/uploads"]["post"]["responses"]["501"].is_object());
    // Every `$ref` points at a schema the document has.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"").skip(1) {
        let target = &piece[..piece.find('"').unwrap()];
        assert!(!resolve(&doc, &json!({ "$ref": target })).is_null(), "{target}");
    }
}

#[tokio::test]
async fn real_bodies_from_the_router_validate_against_the_documented_schemas() {
    let h = Harness::new(false);
    let doc = h.document().await;
    let expect = |path: &str, method: &str, status: StatusCode, body: &Value| {
        let schema = &doc["paths"][path][method]["responses"][status.as_str()]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{method} {path} documents no JSON body for {status}");
        let errors = validate(&doc, schema, body);
        assert!(errors.is_empty(), "{method} {path} {status}: {errors:#?}\n{body:#}");
    };
    let (status, _, accepted) = h.call(Method::POST, "/process-drawing", Some(PDF)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    expect("/process-drawing", "post", status, &accepted);
    let id = JobId::parse(accepted["job_id"].as_str().unwrap()).unwrap();

    // Queued, failed with an error and a stage, completed with result links.
    let status_path = format!("/status/{id}");
    let (status, _, queued) = h.call(Method::GET, &status_path, None).await;
    expect("/status/{job_id}", "get", status, &queued);
    let mut job = h.ports.jobs.get(&id).await.unwrap();
    job.status = JobStatus::Failed;
    job.current_stage = Some(Stage::Validation);
    job.stages_completed = vec![];
    job.error = Some(JobError {
        code: ErrorCode::InvalidPdf,
        message: "not a PDF".into(),
        stage: Some(Stage::Validation),
        retryable: false,
    });
    h.ports.jobs.update(&job).await.unwrap();
    let (status, _, failed) = h.call(Method::GET, &status_path, None).await;
    assert_eq!(failed["error"]["code"], "INVALID_PDF");
    expect("/status/{job_id}", "get", status, &failed);
    let mut job = h.ports.jobs.get(&id).await.unwrap();
    job.status = JobStatus::Completed;
    job.current_stage = None;
    job.stages_completed = Stage::ALL.to_vec();
    job.error = None;
    h.ports.jobs.update(&job).await.unwrap();
    let (status, _, completed) = h.call(Method::GET, &status_path, None).await;
    assert!(completed["result"]["components"].is_string(), "{completed}");
    expect("/status/{job_id}", "get", status, &completed);

    let (status, _, list) = h.call(Method::GET, "/jobs?limit=5", None).await;
    assert_eq!(list["jobs"].as_array().unwrap().len(), 1);
    expect("/jobs", "get", status, &list);
    let (status, _, health) = h.call(Method::GET, "/health", None).await;
    expect("/health", "get", status, &health);

    // Errors: each with its stable code, in the one envelope.
    let cases = [
        (
            Method::DELETE,
            format!("/jobs/{id}"),
            "/jobs/{job_id}",
            "delete",
            "JOB_FINISHED",
        ),
        (
            Method::GET,
            "/status/nope".into(),
            "/status/{job_id}",
            "get",
            "NOT_FOUND",
        ),
        (
            Method::GET,
            "/status/%FF%FE".into(),
            "/status/{job_id}",
            "get",
            "NOT_FOUND",
        ),
        (Method::GET, "/jobs?limit=0".into(), "/jobs", "get", "INVALID_REQUEST"),
        (
            Method::GET,
            format!("/results/{id}/x.txt"),
            "/results/{job_id}/{file}",
            "get",
            "NOT_FOUND",
        ),
        (Method::GET, "/metrics".into(), "/metrics", "get", "NOT_FOUND"),
        (
            Method::POST,
            "/uploads".into(),
            "/uploads",
            "post",
            "UPLOADS_NOT_SUPPORTED",
        ),
        (
            Method::POST,
            "/process-drawing".into(),
            "/process-drawing",
            "post",
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (method, uri, path, op, code) in cases {
        let (status, content_type, body) = h.call(method, &uri, None).await;
        assert_eq!(content_type, "application/json", "{uri}");
        assert_eq!(body["error"]["code"], code, "{uri}: {body}");
        expect(path, op, status, &body);
    }
    let (status, _, body) = h.call(Method::POST, "/process-drawing", Some(b"not a pdf")).await;
    assert_eq!(body["error"]["code"], "INVALID_PDF");
    expect("/process-drawing", "post", status, &body);

    // The validator is not vacuous: an undescribed field, a missing one, a wrong type fail.
    let schema = &doc["paths"]["/status/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    let mut extra = completed.clone();
    extra["surprise"] = json!(1);
    let mut missing = completed.clone();
    missing.as_object_mut().unwrap().remove("progress");
    let mut wrong = completed.clone();
    wrong["status"] = json!("exploded");
    for bad in [extra, missing, wrong] {
        assert!(!validate(&doc, schema, &bad).is_empty(), "{bad}");
    }
}
