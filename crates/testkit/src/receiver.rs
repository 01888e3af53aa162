//! Webhook receivers on 127.0.0.1, for tests of completion notices: one that records each
//! request and answers a scripted status, and one that accepts connections and never
//! answers (counting them, so a test can tell that a refused target was never reached).
//! Each binds port 0 and runs on the test's runtime until the runtime ends.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What a receiver got: each request's headers and body, in arrival order.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

impl Received {
    /// Every request so far.
    pub fn all(&self) -> Vec<(HeaderMap, Bytes)> {
        self.lock().clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(HeaderMap, Bytes)>> {
        // A handler that panicked mid-push leaves whole entries: still worth reading.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Serves `app` on 127.0.0.1; returns its port.
pub async fn serve(app: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("bound address").port();
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the receiver serves") });
    port
}

/// A receiver at `/hook` answering the statuses in `script` in turn, then 200.
pub async fn receiver(script: Vec<u16>) -> (u16, Received) {
    let got = Received::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let record = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (record, script) = (record.clone(), script.clone());
            async move {
                record.lock().push((headers, body));
                let code = script.lock().expect("script lock").pop_front().unwrap_or(200);
                StatusCode::from_u16(code).expect("a scripted status is a valid HTTP status")
            }
        }),
    );
    (serve(app).await, got)
}

/// A listener that accepts and holds connections without ever answering, counting them: a
/// sender must give up on it by its own deadline.
pub async fn holding_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("bound address").port();
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
