//! What the webhook tests share: receivers on 127.0.0.1 (one that records requests, one that
//! only counts connections), a DNS that answers what a test says, and finished jobs.
#![allow(dead_code)]

use async_trait::async_trait;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use drawings_core::ports::BlobStore;
use drawings_core::{Job, JobStatus};
use drawings_local::FsBlobStore;
use drawings_webhook::Lookup;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a receiver got: each request's headers and body.
#[derive(Clone, Default)]
pub struct Received(pub Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

impl Received {
    pub fn all(&self) -> Vec<(HeaderMap, Bytes)> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Serves `app` on 127.0.0.1; returns its port.
pub async fn serve(app: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// A receiver on 127.0.0.1 at `/hook` answering the statuses in `script` in turn, then 200.
pub async fn receiver(script: Vec<u16>) -> (u16, Received) {
    let got = Received::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let record = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (record, script) = (record.clone(), script.clone());
            async move {
                record.0.lock().unwrap().push((headers, body));
                let code = script.lock().unwrap().pop_front().unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    (serve(app).await, got)
}

/// A listener on 127.0.0.1 that accepts and holds connections, counting them: a guard that
/// works never lets the client get this far, whatever the scheme.
pub async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (port, count)
}

/// A DNS answering every name with `answer`, counting the questions.
pub struct FixedDns {
    pub answer: Vec<IpAddr>,
    pub asked: AtomicUsize,
}

impl FixedDns {
    pub fn new(answer: &[&str]) -> Arc<Self> {
        Arc::new(FixedDns {
            answer: answer.iter().map(|a| a.parse().unwrap()).collect(),
            asked: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Lookup for FixedDns {
    async fn lookup(&self, _host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.answer.clone())
    }
}

/// A blob store in a temporary directory (kept alive by the returned guard).
pub fn blobs() -> (Arc<dyn BlobStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Arc::new(FsBlobStore::new(dir.path()).unwrap()), dir)
}

/// A completed job whose notice goes to `url`.
pub fn completed_job(url: &str) -> Job {
    let mut job = drawings_testkit::full_job();
    job.status = JobStatus::Completed;
    job.input.callback_url = Some(url.to_owned());
    job
}
