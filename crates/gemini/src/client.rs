//! The REST client: one reqwest client (connection pool, timeouts), the API key in
//! `x-goog-api-key`, the process-wide rate limiter before every request, and the retry
//! policy: 408/429/5xx and transport failures are retried with jittered exponential backoff
//! (backon), never sooner than the `retryDelay` a 429 names; everything else fails at once.

use crate::config::{GeminiConfig, is_retired};
use crate::error::{GeminiError, GeminiErrorKind};
use crate::limiter::RateLimiter;
use crate::wire::{Content, CountTokensRequest, CountTokensResponse, GenerateContentRequest, GenerateContentResponse};
use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// The real server rounds `retryDelay` down; waiting a second more avoids a second 429.
const RETRY_DELAY_MARGIN: Duration = Duration::from_secs(1);

/// A Gemini API client. Cheap to clone; clones share the connection pool and the limiter.
#[derive(Clone)]
pub struct GeminiClient {
    pub(crate) http: reqwest::Client,
    pub(crate) config: Arc<GeminiConfig>,
    limiter: Arc<RateLimiter>,
    min_backoff: Duration,
}

impl GeminiClient {
    /// A client for `config`; the rate limiter is shared with every other client of the
    /// process that talks to the same endpoint and model. A model known to be retired is
    /// refused here (`MODEL_UNAVAILABLE`), before any call, so the service fails at start-up
    /// instead of failing every job.
    pub fn new(config: GeminiConfig) -> Result<Self, GeminiError> {
        if is_retired(&config.model) {
            return Err(GeminiError::model_unavailable(&config.model, "was retired by Google"));
        }
        // rustls on ring (see the workspace's `rustls`); a provider installed earlier stays.
        rustls::crypto::ring::default_provider().install_default().ok();
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            // A redirect would carry `x-goog-api-key` to whatever host the answer names; the
            // API never redirects, so a 3xx is an error (see `GeminiError::from_response`).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GeminiError::new(GeminiErrorKind::Connection, format!("building the HTTP client: {e}")))?;
        let limiter = RateLimiter::shared(
            &format!("{}|{}", config.base_url, config.model),
            config.requests_per_minute,
        );
        Ok(GeminiClient {
            http,
            config: Arc::new(config),
            limiter,
            min_backoff: Duration::from_secs(1),
        })
    }

    /// The same client with a shorter first backoff step (tests against a local fake).
    pub fn with_min_backoff(mut self, min_backoff: Duration) -> Self {
        self.min_backoff = min_backoff;
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &GeminiConfig {
        &self.config
    }

    /// `generateContent`, with retries.
    pub async fn generate_content(
        &self,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse, GeminiError> {
        self.post_json(&self.model_url("generateContent"), request)
            .await
            .map_err(|e| e.on_model(&self.config.model))
    }

    /// `countTokens` for `contents`: the input tokens a request would be billed.
    pub async fn count_tokens(&self, contents: Vec<Content>) -> Result<u64, GeminiError> {
        let answer: CountTokensResponse = self
            .post_json(&self.model_url("countTokens"), &CountTokensRequest { contents })
            .await
            .map_err(|e| e.on_model(&self.config.model))?;
        Ok(answer.total_tokens)
    }

    /// The size of `request` on the wire, to choose between inline data and the Files API.
    pub fn encoded_len(request: &GenerateContentRequest) -> usize {
        serde_json::to_vec(request).map_or(usize::MAX, |b| b.len())
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn model_url(&self, method: &str) -> String {
        self.url(&format!("v1beta/models/{}:{method}", self.config.model))
    }

    async fn post_json<T: DeserializeOwned>(&self, url: &str, body: &impl serde::Serialize) -> Result<T, GeminiError> {
        let body =
            Bytes::from(serde_json::to_vec(body).map_err(|e| {
                GeminiError::new(GeminiErrorKind::InvalidRequest, format!("encoding the request: {e}"))
            })?);
        self.with_retries(|| async {
            let request = self
                .http
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
            let response = self.send(request).await?;
            read_json(response).await
        })
        .await
    }

    /// Runs `op` under the retry policy.
    pub(crate) async fn with_retries<T, F, Fut>(&self, op: F) -> Result<T, GeminiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, GeminiError>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_max_times(self.config.max_attempts.saturating_sub(1) as usize)
            .with_jitter();
        op.retry(backoff)
            .when(GeminiError::is_retryable)
            .adjust(|e: &GeminiError, delay| {
                delay.map(|d| match e.retry_after {
                    Some(wait) => d.max(wait + RETRY_DELAY_MARGIN),
                    None => d,
                })
            })
            .notify(|e: &GeminiError, delay| {
                warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "Gemini call failed; retrying.");
            })
            .await
    }

    /// Sends one request after waiting for the limiter; a non-2xx answer becomes an error,
    /// and a 429 that names a delay pauses every caller in the process.
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, GeminiError> {
        self.limiter.acquire().await;
        let response = request
            .header("x-goog-api-key", &self.config.api_key)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let body = response.bytes().await.unwrap_or_default();
        let error = GeminiError::from_response(status.as_u16(), &body, retry_after);
        if error.kind == GeminiErrorKind::RateLimited
            && let Some(wait) = error.retry_after
        {
            self.limiter.pause_for(wait + RETRY_DELAY_MARGIN);
        }
        Err(error)
    }
}

/// Reads a 2xx body as `T`; a body that is not the API's JSON is retried like a bad gateway.
pub(crate) async fn read_json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, GeminiError> {
    let body = response.bytes().await.map_err(transport_error)?;
    serde_json::from_slice(&body).map_err(|e| {
        GeminiError::new(
            GeminiErrorKind::InvalidResponse,
            format!("unreadable answer ({} bytes): {e}", body.len()),
        )
    })
}

fn transport_error(e: reqwest::Error) -> GeminiError {
    let kind = if e.is_timeout() {
        GeminiErrorKind::Timeout
    } else {
        GeminiErrorKind::Connection
    };
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    GeminiError::new(kind, message)
}
