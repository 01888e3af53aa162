//! A fake Gemini Developer API (`generativelanguage.googleapis.com`, v1beta) on 127.0.0.1, for the
//! Gemini client's tests and the end-to-end tests.
//!
//! It speaks the real wire format (paths, headers, camelCase output, snake_case or camelCase
//! input, the `google.rpc.Status` error envelopes, the resumable Files API upload) so that a
//! client which passes against it has a fair chance against the real service. What it answers
//! is scripted per test ([`Scripted`], consumed first in, first out by `generateContent`); with
//! nothing scripted it answers a deterministic list of components for the page named in the
//! prompt ([`default_components`]). Like the service, it answers 404 for a retired model
//! ([`RETIRED_MODELS`]) and 400 for a thinking level the model does not take. Everything
//! received is recorded for assertions ([`RecordedRequest`], [`UploadedFile`]).
//!
//! ```no_run
//! # async fn demo() {
//! use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, Scripted};
//! let fake = FakeGemini::start(FakeOptions { api_key: "test-key".into(), ..Default::default() }).await;
//! fake.script(Scripted::RateLimited { retry_delay: Some("1.5s".into()), per_day: false });
//! // point the client at fake.base_url() ...
//! assert_eq!(fake.generate_calls(), 0);
//! # }
//! ```
//!
//! The `fake-gemini` binary serves the same router with the `/_fake/` control routes
//! ([`control`]) for tests that drive a separate process.

mod auth;
pub mod control;
mod envelope;
mod files;
mod parse;
mod proto;
mod record;
mod respond;
mod routes;
mod script;
mod upload;

pub use record::{MediaVia, RecordedMedia, RecordedRequest, UploadedFile};
pub use respond::{default_components, default_reply_text};
pub use script::{Scripted, Usage};

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Computes the reply text of an unscripted `generateContent` call from the recorded request.
pub type Responder = Arc<dyn Fn(&RecordedRequest) -> String + Send + Sync>;

/// The `state` of an uploaded file, as `GET /v1beta/files/{id}` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FileState {
    /// Not usable for inference yet.
    Processing,
    /// Usable.
    Active,
    /// Processing failed; the file carries an `error` Status.
    Failed,
}

impl FileState {
    /// The enum name on the wire.
    pub fn as_wire(self) -> &'static str {
        match self {
            FileState::Processing => "PROCESSING",
            FileState::Active => "ACTIVE",
            FileState::Failed => "FAILED",
        }
    }
}

impl FromStr for FileState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "processing" => Ok(FileState::Processing),
            "active" => Ok(FileState::Active),
            "failed" => Ok(FileState::Failed),
            other => Err(format!("unknown file state {other:?} (processing, active, failed)")),
        }
    }
}

/// How the fake behaves beyond what is scripted.
#[derive(Clone)]
pub struct FakeOptions {
    /// The only key accepted, in `x-goog-api-key` or `?key=`. Default `test-key`.
    pub api_key: String,
    /// Added before every `generateContent` reply, so benchmarks see a model-like round trip.
    pub latency: Duration,
    /// Request bodies above this get 400 INVALID_ARGUMENT, like the real size limit.
    pub max_body_bytes: Option<usize>,
    /// States returned by successive `GET /v1beta/files/{id}` after an upload; the last one
    /// repeats. Default `[Active]`.
    pub file_states: Vec<FileState>,
    /// Replaces the default reply text of unscripted calls.
    pub responder: Option<Responder>,
    /// Port to listen on; 0 (the default) lets the OS pick one.
    pub port: u16,
    /// Model ids answered with 404 NOT_FOUND, as the service answers a model it shut down.
    /// Default [`RETIRED_MODELS`]; an entry ending in `-` is a whole family (`gemini-1.5-`).
    pub retired_models: Vec<String>,
    /// Whether the records keep each image's bytes (default). A long run (scripts/soak.py)
    /// turns it off: the records then keep the calls but not megabytes of pages each.
    pub keep_media: bool,
}

/// Models Google has shut down (the Gemini API deprecations page): the fake's default
/// [`FakeOptions::retired_models`].
pub const RETIRED_MODELS: &[&str] = &[
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3-pro-preview",
    "gemini-3.1-flash-lite-preview",
    "gemini-1.5-",
    "gemini-2.0-",
];

impl FakeOptions {
    /// Whether `model` is answered with 404.
    pub fn is_retired(&self, model: &str) -> bool {
        self.retired_models
            .iter()
            .any(|r| model == r || (r.ends_with('-') && model.starts_with(r.as_str())))
    }
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            api_key: "test-key".into(),
            latency: Duration::ZERO,
            max_body_bytes: None,
            file_states: vec![FileState::Active],
            responder: None,
            port: 0,
            retired_models: RETIRED_MODELS.iter().map(|m| m.to_string()).collect(),
            keep_media: true,
        }
    }
}

impl fmt::Debug for FakeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeOptions")
            .field("api_key", &self.api_key)
            .field("latency", &self.latency)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("file_states", &self.file_states)
            .field("responder", &self.responder.as_ref().map(|_| "custom"))
            .field("port", &self.port)
            .field("retired_models", &self.retired_models)
            .field("keep_media", &self.keep_media)
            .finish()
    }
}

/// What the handlers share: the options, the script and the records.
pub(crate) struct Shared {
    pub(crate) options: FakeOptions,
    pub(crate) base_url: String,
    inner: Mutex<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) script: VecDeque<Scripted>,
    pub(crate) requests: Vec<RecordedRequest>,
    /// Pages answered OK, in the order the replies were produced (arrival order differs
    /// when replies are slow).
    pub(crate) answered: Vec<u32>,
    pub(crate) count_token_calls: usize,
    pub(crate) files: files::FileStore,
}

impl Shared {
    /// A panicking handler must not turn every later assertion into a poison error, so the
    /// data is taken as it is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake server. Dropping it stops the server.
pub struct FakeGemini {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeGemini {
    /// Starts the server; panics if it cannot bind (a test cannot go on without it).
    pub async fn start(options: FakeOptions) -> FakeGemini {
        match Self::try_start(options).await {
            Ok(fake) => fake,
            Err(e) => panic!("fake Gemini server could not bind 127.0.0.1: {e}"),
        }
    }

    /// Starts the server, reporting a bind failure.
    pub async fn try_start(options: FakeOptions) -> std::io::Result<FakeGemini> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            options,
            base_url: format!("http://{addr}"),
            inner: Mutex::new(Inner::default()),
        });
        let app = routes::router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // A dropped sender means the FakeGemini is gone: stop as well.
                stopped.await.ok();
            });
            if let Err(e) = serve.await {
                eprintln!("fake Gemini server stopped: {e}");
            }
        });
        Ok(FakeGemini {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues one reply for a coming `generateContent` call.
    pub fn script(&self, reply: Scripted) {
        self.shared.lock().script.push_back(reply);
    }

    /// Queues several replies, in order.
    pub fn script_all(&self, replies: impl IntoIterator<Item = Scripted>) {
        self.shared.lock().script.extend(replies);
    }

    /// Scripted replies not consumed yet.
    pub fn pending_scripts(&self) -> usize {
        self.shared.lock().script.len()
    }

    /// Every `generateContent` request received, in arrival order, rejected ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Number of `generateContent` requests received, rejected ones included.
    pub fn generate_calls(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// Number of `countTokens` requests received.
    pub fn count_token_calls(&self) -> usize {
        self.shared.lock().count_token_calls
    }

    /// Files whose upload was finalized, in upload order (deleted ones are flagged).
    pub fn uploads(&self) -> Vec<UploadedFile> {
        self.shared.lock().files.uploaded()
    }

    /// Pages that got a 200 STOP reply with text, in reply order, repeats included.
    pub fn answered_pages(&self) -> Vec<u32> {
        self.shared.lock().answered.clone()
    }

    /// Stops the server and waits (a few seconds at most) for in-flight replies to finish.
    pub async fn shutdown(mut self) {
        // The server may already be gone; there is nothing left to stop then.
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            // A reply still sleeping past the timeout is abandoned with the runtime.
            tokio::time::timeout(Duration::from_secs(5), task).await.ok();
        }
    }
}

impl Drop for FakeGemini {
    fn drop(&mut self) {
        // The server may already be gone; there is nothing left to stop then.
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

impl fmt::Debug for FakeGemini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeGemini")
            .field("base_url", &self.shared.base_url)
            .finish()
    }
}
