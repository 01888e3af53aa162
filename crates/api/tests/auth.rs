//! API keys and client isolation through the router, on the embedded adapters: every route
//! but `GET /health` needs a key, a client sees only its own jobs (another's are 404, as if
//! they did not exist), lists only its own, and a key past its burst gets 429.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use drawings_api::{ApiKeys, Auth, RateLimit, router, router_with_auth};
use drawings_core::Ports;
use drawings_core::intake::IntakeConfig;
use drawings_core::{JobId, JobStatus};
use drawings_local::FsBlobStore;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

struct Harness {
    app: Router,
    ports: Ports,
    acme: String,
    beta: String,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Two clients, `acme` and `beta`, with a key each, rate-limited to `limit`.
    fn new(limit: RateLimit) -> Self {
        let mut keys = ApiKeys::new();
        let acme = keys.create("acme", chrono::Utc::now()).unwrap();
        let beta = keys.create("beta", chrono::Utc::now()).unwrap();
        Self::with_auth(Auth::with_keys(keys, limit), acme, beta)
    }

    /// The API behind `auth` (`router` itself when it is off).
    fn with_auth(auth: Auth, acme: String, beta: String) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports = common::ports(Arc::new(FsBlobStore::new(dir.path()).unwrap()));
        let state = common::state(&ports, IntakeConfig::default());
        let app = if auth.is_on() {
            router_with_auth(state, auth)
        } else {
            router(state)
        };
        Harness {
            app,
            ports,
            acme,
            beta,
            _dir: dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, headers)
    }

    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value, HeaderMap) {
        let mut request = Request::get(path);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// Submits the PDF (with a distinguishing trailer) as `key`; returns the job id.
    async fn submit(&self, key: &str, n: u32) -> String {
        let mut body = PDF.to_vec();
        body.extend_from_slice(format!("% {n}\n").as_bytes());
        let request = Request::post("/process-drawing")
            .header("content-type", "application/pdf")
            .header("x-api-key", key)
            .body(Body::from(body))
            .unwrap();
        let (status, body, _) = self.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["job_id"].as_str().unwrap().to_owned()
    }

    /// Marks a job completed with a `schedule.csv`, as a worker would.
    async fn complete(&self, job_id: &str) {
        let id = JobId::parse(job_id).unwrap();
        let mut job = self.ports.jobs.get(&id).await.unwrap();
        job.status = JobStatus::Completed;
        self.ports.jobs.update(&job).await.unwrap();
        self.ports
            .blobs
            .put(
                &id.files().result(drawings_core::ResultFile::ScheduleCsv),
                Bytes::from_static(b"id,type\n"),
                "text/csv",
            )
            .await
            .unwrap();
    }
}

fn generous() -> RateLimit {
    RateLimit {
        per_minute: 6000,
        burst: 1000,
    }
}

#[tokio::test]
async fn requests_without_a_key_or_with_an_unknown_key_are_401_but_health_is_open() {
    let h = Harness::new(generous());
    let unknown = "drw_0000000000000000000000000000000000000000000000000000000000000000";
    for key in [None, Some(""), Some(unknown)] {
        for path in ["/jobs", "/status/0123456789abcdef0123456789abcdef", "/no-such-route"] {
            let (status, body, headers) = h.get(path, key).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {key:?}: {body}");
            assert_eq!(body["error"]["code"], "UNAUTHORIZED");
            assert!(body["request_id"].is_string(), "{body}");
            assert!(headers.contains_key("www-authenticate"));
        }
        let mut request = Request::post("/process-drawing").header("content-type", "application/pdf");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let (status, _, _) = h.send(request.body(Body::from(PDF)).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(h.ports.jobs.list(&Default::default()).await.unwrap().is_empty());

    let (status, body, _) = h.get("/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["auth"], "on");
}

#[tokio::test]
async fn a_client_reads_its_own_job_and_another_clients_job_is_404() {
    let h = Harness::new(generous());
    let job = h.submit(&h.acme, 1).await;
    h.complete(&job).await;

    let (status, body, _) = h.get(&format!("/status/{job}"), Some(&h.acme)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["job_id"], job.as_str());
    let (status, _, _) = h.get(&format!("/results/{job}/schedule.csv"), Some(&h.acme)).await;
    assert_eq!(status, StatusCode::OK);

    for path in [format!("/status/{job}"), format!("/results/{job}/schedule.csv")] {
        let (status, body, _) = h.get(&path, Some(&h.beta)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        assert!(!body.to_string().contains("beta") && !body.to_string().contains("acme"));
    }
    let cancel = Request::delete(format!("/jobs/{job}"))
        .header("x-api-key", &h.beta)
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = h.send(cancel).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_job_belongs_to_the_keys_client_whatever_the_form_says() {
    let h = Harness::new(generous());
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"client_name\"\r\n\r\nbeta\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"drawing_file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PDF);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/process-drawing")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("x-api-key", &h.acme)
        .body(Body::from(body))
        .unwrap();
    let (status, body, _) = h.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = JobId::parse(body["job_id"].as_str().unwrap()).unwrap();
    let job = h.ports.jobs.get(&id).await.unwrap();
    assert_eq!(job.input.client_name.as_deref(), Some("acme"));
    let (status, _, _) = h.get(&format!("/status/{id}"), Some(&h.beta)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_same_idempotency_key_from_two_clients_makes_two_jobs() {
    let h = Harness::new(generous());
    let mut jobs = Vec::new();
    for (key, extra) in [(&h.acme, "a"), (&h.beta, "b"), (&h.acme, "a")] {
        let mut pdf = PDF.to_vec();
        pdf.extend_from_slice(extra.as_bytes());
        let request = Request::post("/process-drawing")
            .header("content-type", "application/pdf")
            .header("x-api-key", key)
            .header("idempotency-key", "order-42")
            .body(Body::from(pdf))
            .unwrap();
        let (status, body, _) = h.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        jobs.push(body["job_id"].as_str().unwrap().to_owned());
    }
    assert_ne!(jobs[0], jobs[1], "beta got acme's job");
    assert_eq!(jobs[0], jobs[2], "acme's replay is no longer idempotent");
    let request = Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .header("x-api-key", &h.acme)
        .header("idempotency-key", "not valid!")
        .body(Body::from(PDF))
        .unwrap();
    let (status, body, _) = h.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_REQUEST");
}

#[tokio::test]
async fn listing_shows_only_the_callers_jobs_newest_first() {
    let h = Harness::new(generous());
    let a1 = h.submit(&h.acme, 1).await;
    let b1 = h.submit(&h.beta, 2).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let a2 = h.submit(&h.acme, 3).await;

    let ids = |body: &Value| -> Vec<String> {
        body["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body, headers) = h.get("/jobs", Some(&h.acme)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), vec![a2.clone(), a1.clone()]);
    assert_eq!(body["limit"], 50);
    assert_eq!(body["jobs"][0]["status"], "queued");
    assert_eq!(headers["cache-control"], "no-store");
    let (_, body, _) = h.get("/jobs", Some(&h.beta)).await;
    assert_eq!(ids(&body), vec![b1]);

    let (_, body, _) = h.get("/jobs?limit=1", Some(&h.acme)).await;
    assert_eq!(ids(&body), vec![a2.clone()]);
    let (_, body, _) = h.get("/jobs?limit=100000", Some(&h.acme)).await;
    assert_eq!(body["limit"], 500);
    let newest = h.ports.jobs.get(&JobId::parse(&a2).unwrap()).await.unwrap().created_at;
    let since = newest.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, body, _) = h
        .get(&format!("/jobs?since={}", since.replace('+', "%2B")), Some(&h.acme))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), vec![a2]);

    for query in ["limit=0", "limit=ten", "since=yesterday"] {
        let (status, body, _) = h.get(&format!("/jobs?{query}"), Some(&h.acme)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST");
    }
}

#[tokio::test]
async fn a_key_past_its_burst_gets_429_with_retry_after_and_other_keys_are_unaffected() {
    let h = Harness::new(RateLimit {
        per_minute: 2,
        burst: 3,
    });
    for _ in 0..3 {
        let (status, _, _) = h.get("/jobs", Some(&h.acme)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body, headers) = h.get("/jobs", Some(&h.acme)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    let (status, _, _) = h.get("/jobs", Some(&h.beta)).await;
    assert_eq!(status, StatusCode::OK);
    // Health is not counted.
    let (status, _, _) = h.get("/health", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn with_authentication_off_health_says_so_and_every_job_is_listed() {
    let h = Harness::with_auth(Auth::off(), String::new(), String::new());
    let (_, body, _) = h.get("/health", None).await;
    assert_eq!(body["auth"], "off");
    let mut pdf = PDF.to_vec();
    pdf.push(b'\n');
    let request = Request::post("/process-drawing")
        .header("content-type", "application/pdf")
        .body(Body::from(pdf))
        .unwrap();
    let (status, body, _) = h.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, list, _) = h.get("/jobs", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["jobs"][0]["job_id"], body["job_id"]);
}

#[tokio::test]
async fn metrics_are_forbidden_to_a_clients_key_but_not_to_an_operator_key() {
    let mut keys = ApiKeys::new();
    let acme = keys.create("acme", chrono::Utc::now()).unwrap();
    let ops = keys.create_scoped("ops", true, chrono::Utc::now()).unwrap();
    let h = Harness::with_auth(Auth::with_keys(keys, generous()), acme.clone(), ops.clone());
    let (status, body, _) = h.get("/metrics", Some(&acme)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    // This router has no registry (as on Lambda): the operator passes the check and meets the 404.
    let (status, body, _) = h.get("/metrics", Some(&ops)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // An operator key is still its own client's key for jobs.
    let (status, body, _) = h.get("/jobs", Some(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
