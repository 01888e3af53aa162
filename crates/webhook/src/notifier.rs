//! The [`CompletionNotifier`] adapter: POSTs a finished job's status (the body of
//! `GET /status/{job_id}`) to the job's `callback_url`, signed per Standard Webhooks (see
//! [`crate::signature`]), to a public https address only (see [`crate::guard`]).
//!
//! A 2xx answer delivers it. Connection errors, timeouts, 5xx and 429 are retried with
//! exponential backoff and jitter (by default 5 attempts over about a minute); any other
//! answer, redirects included (they are not followed), gives up at once, and so does a
//! refused target. Delivery never holds the pipeline up: with [`DeliveryMode::Background`]
//! (the embedded server) it runs on its own task; on Lambda, where a task left running is
//! frozen with the sandbox once the invocation returns, [`DeliveryMode::Within`] awaits it
//! for a short bounded budget instead (the job is already stored as finished by then; a
//! notice not delivered within the budget is dropped with an error log line). Delivery is at
//! least once: a receiver should treat a repeat of the same `webhook-id` as one.

use crate::guard::{Lookup, PublicOnlyResolver, Refused, SystemLookup, check_target, refusal_in};
use crate::signature::{ID_HEADER, KeyError, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER, notice_id};
use async_trait::async_trait;
use drawings_core::Job;
use drawings_core::callback_url::{Url, redact_callback_url};
use drawings_core::ports::{BlobStore, CompletionNotifier, event_name};
use drawings_core::status::status_view;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tracing::{Instrument, debug, error, info, info_span, warn};

/// The event header: `job.completed`, `job.failed` or `job.cancelled`.
pub const EVENT_HEADER: &str = "x-drawings-event";

/// Where the delivery runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// On a spawned task, with the whole retry schedule: the caller returns at once.
    Background,
    /// Awaited by the caller for at most this long (retries included), for hosts that freeze
    /// spawned tasks between invocations (Lambda).
    Within(Duration),
}

/// How notices are sent.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// The signing secret (`DRAWINGS_CALLBACK_SECRET`; see [`SigningKey::from_secret`]).
    pub secret: String,
    /// Attempts per notice, the first included.
    pub attempts: usize,
    /// Wait before the first retry; doubled after each.
    pub first_retry: Duration,
    /// Time one attempt may take, connecting included.
    pub request_timeout: Duration,
    /// Where deliveries run.
    pub mode: DeliveryMode,
    /// How long result links in the body stay valid.
    pub link_ttl: Duration,
    /// Local development (`DRAWINGS_CALLBACK_ALLOW_PRIVATE`): plain http and loopback,
    /// private or link-local receivers are allowed. Never on a shared deployment.
    pub allow_private: bool,
}

impl CallbackConfig {
    /// The defaults: 5 attempts, retried after 3, 6, 12 and 24 s, each plus up to as much
    /// again at random (about a minute in all), 10 s per attempt, in the background, links
    /// valid for an hour, public https receivers only.
    pub fn new(secret: impl Into<String>) -> Self {
        CallbackConfig {
            secret: secret.into(),
            attempts: 5,
            first_retry: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            mode: DeliveryMode::Background,
            link_ttl: Duration::from_secs(3600),
            allow_private: false,
        }
    }
}

/// Why a notifier cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The secret is not a usable key.
    #[error("DRAWINGS_CALLBACK_SECRET: {0}")]
    Secret(#[from] KeyError),
    /// The HTTP client cannot be built (TLS set-up).
    #[error("building the completion-notice HTTP client")]
    Client(#[source] reqwest::Error),
}

/// How the notices sent so far ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Accepted by the receiver.
    pub delivered: u64,
    /// Not sent: the target was refused (see [`Refused`]).
    pub refused: u64,
    /// Sent and not accepted, after the retries the answer allowed.
    pub given_up: u64,
}

/// POSTs signed completion notices.
#[derive(Clone)]
pub struct CallbackNotifier {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    key: SigningKey,
    config: CallbackConfig,
    blobs: Arc<dyn BlobStore>,
    in_flight: AtomicUsize,
    delivered: AtomicU64,
    refused: AtomicU64,
    given_up: AtomicU64,
}

impl CallbackNotifier {
    /// A notifier; fails when the secret is not a key or the HTTP client cannot be built.
    pub fn new(config: CallbackConfig, blobs: Arc<dyn BlobStore>) -> Result<Self, BuildError> {
        Self::with_lookup(config, blobs, Arc::new(SystemLookup))
    }

    /// [`CallbackNotifier::new`] resolving receivers' names with `lookup` (whose answers the
    /// guard filters like any other).
    pub fn with_lookup(
        config: CallbackConfig,
        blobs: Arc<dyn BlobStore>,
        lookup: Arc<dyn Lookup>,
    ) -> Result<Self, BuildError> {
        let key = SigningKey::from_secret(&config.secret)?;
        // rustls on ring (see the workspace's `rustls`); a provider installed earlier stays.
        rustls::crypto::ring::default_provider().install_default().ok();
        // No proxy: one would resolve the receiver's name itself, past the guard.
        let mut builder = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("drawings/", env!("CARGO_PKG_VERSION")));
        // Local development resolves as usual: any address is allowed there.
        if !config.allow_private {
            builder = builder.https_only(true).dns_resolver(PublicOnlyResolver::new(lookup));
        }
        let client = builder.build().map_err(BuildError::Client)?;
        Ok(CallbackNotifier {
            inner: Arc::new(Inner {
                client,
                key,
                config,
                blobs,
                in_flight: AtomicUsize::new(0),
                delivered: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                given_up: AtomicU64::new(0),
            }),
        })
    }

    /// Notices being delivered or waiting for a retry right now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    /// How the notices that ended so far ended.
    pub fn outcomes(&self) -> Outcomes {
        Outcomes {
            delivered: self.inner.delivered.load(Ordering::SeqCst),
            refused: self.inner.refused.load(Ordering::SeqCst),
            given_up: self.inner.given_up.load(Ordering::SeqCst),
        }
    }
}

#[async_trait]
impl CompletionNotifier for CallbackNotifier {
    async fn job_finished(&self, job: &Job) {
        let (Some(url), Some(event)) = (job.input.callback_url.clone(), event_name(job.status)) else {
            return;
        };
        let inner = self.inner.clone();
        let job = job.clone();
        // Never the full URL: its query string often carries the receiver's token.
        let span = info_span!(
            "callback",
            job_id = %job.id,
            event,
            url = %redact_callback_url(&url)
        );
        inner.in_flight.fetch_add(1, Ordering::SeqCst);
        let delivery = async move {
            let _done = InFlight(&inner.in_flight);
            inner.deliver(&job, &url, event).await;
        };
        match self.inner.config.mode {
            DeliveryMode::Background => {
                tokio::spawn(delivery.instrument(span));
            }
            DeliveryMode::Within(budget) => {
                if tokio::time::timeout(budget, delivery.instrument(span.clone()))
                    .await
                    .is_err()
                {
                    span.in_scope(|| {
                        error!(
                            budget_ms = budget.as_millis() as u64,
                            "Completion notice dropped: not delivered within its budget."
                        )
                    });
                }
            }
        }
    }
}

/// Decrements the in-flight count when a delivery ends, however it ends.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why one attempt did not deliver.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The target may not be sent to; nothing was sent.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The receiver answered, and not with a 2xx.
    #[error("the receiver answered {0}")]
    Answered(reqwest::StatusCode),
    /// No answer: connect error, timeout, broken connection. reqwest's message names the
    /// whole URL, query included, so only its kind and causes are kept.
    #[error("{0}")]
    Transport(String),
    /// The request could not be made from what was given; the same every time.
    #[error("{0}")]
    Request(String),
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Refused(_) => false,
            Failure::Answered(status) => status.is_server_error() || *status == reqwest::StatusCode::TOO_MANY_REQUESTS,
            Failure::Transport(_) => true,
            Failure::Request(_) => false,
        }
    }
}

impl Inner {
    async fn deliver(&self, job: &Job, url: &str, event: &'static str) {
        let target = match check_target(url, self.config.allow_private) {
            Ok(target) => target,
            Err(refused) => return self.refuse(&refused),
        };
        let body = match self.body(job).await {
            Ok(body) => body,
            Err(e) => {
                error!(error = %e, "Completion notice not sent: the status body could not be built.");
                self.given_up.fetch_add(1, Ordering::SeqCst);
                return;
            }
        };
        let id = notice_id(job);
        let backoff = backon::ExponentialBuilder::default()
            .with_min_delay(self.config.first_retry)
            .with_max_delay(self.config.first_retry * 16)
            .with_max_times(self.config.attempts.saturating_sub(1))
            .with_jitter();
        let attempt = || self.attempt(&target, event, &id, body.clone());
        let sent = backon::Retryable::retry(attempt, backoff)
            .when(Failure::retryable)
            .notify(|e: &Failure, after| {
                warn!(error = %e, retry_in_ms = after.as_millis() as u64, "Completion notice failed; retrying.");
            })
            .await;
        match sent {
            Ok(()) => {
                self.delivered.fetch_add(1, Ordering::SeqCst);
                info!(webhook_id = %id, outcome = "delivered", "Completion notice delivered.");
            }
            Err(Failure::Refused(refused)) => self.refuse(&refused),
            Err(e) => {
                self.given_up.fetch_add(1, Ordering::SeqCst);
                error!(error = %e, outcome = "given_up", "Completion notice given up.");
            }
        }
    }

    fn refuse(&self, refused: &Refused) {
        self.refused.fetch_add(1, Ordering::SeqCst);
        error!(error = %refused, outcome = "refused", "Completion notice not sent: its target is refused.");
    }

    async fn body(&self, job: &Job) -> Result<bytes::Bytes, drawings_core::BoxError> {
        let view = status_view(job, self.blobs.as_ref(), self.config.link_ttl).await?;
        Ok(serde_json::to_vec(&view)?.into())
    }

    async fn attempt(&self, target: &Url, event: &str, id: &str, body: bytes::Bytes) -> Result<(), Failure> {
        // Each attempt is signed at its own time: a receiver judges the attempt's age.
        let timestamp = chrono::Utc::now().timestamp();
        let sent = self
            .client
            .post(target.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event)
            .header(ID_HEADER, id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, self.key.sign(id, timestamp, &body))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                debug!(status = response.status().as_u16(), "Receiver accepted the notice.");
                Ok(())
            }
            Ok(response) => Err(Failure::Answered(response.status())),
            Err(e) => match refusal_in(&e) {
                Some(refused) => Err(Failure::Refused(refused)),
                None if e.is_builder() => Err(Failure::Request(describe(e))),
                None => Err(Failure::Transport(describe(e))),
            },
        }
    }
}

/// `e` without its URL, and its causes (the resolver's or the socket's own words).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut next = std::error::Error::source(&e);
    while let Some(cause) = next {
        parts.push(cause.to_string());
        next = cause.source();
    }
    parts.join(": ")
}
