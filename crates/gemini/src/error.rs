//! What can go wrong talking to Gemini, classified from the HTTP status and the error body's
//! gRPC status and typed details (`RetryInfo`, `QuotaFailure`, `ErrorInfo`), never from the
//! prose. The kind decides whether the client retries and which job error code a user sees.

use crate::wire::Status;
use drawings_core::{ErrorClass, ErrorCode};
use std::time::Duration;

/// The kinds of failure, each with its own retry rule and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeminiErrorKind {
    /// 429 on a per-minute quota or capacity: retried after the delay the server names.
    RateLimited,
    /// 429 on a per-day quota, a spend cap or a zero quota: retrying cannot help for hours.
    QuotaExhausted,
    /// 400 `API_KEY_INVALID`, 401 or 403.
    Auth,
    /// 404 for something other than the model (a file).
    NotFound,
    /// The configured model is not served: a 404 on a model method, or a model id known to
    /// be retired (refused before any call). Retrying cannot help; the setting must change.
    ModelUnavailable,
    /// 400 or 413: the request itself is wrong (size, schema, argument).
    InvalidRequest,
    /// 408, 500, 502, 503, 504.
    Server,
    /// The client's own timeout fired.
    Timeout,
    /// The connection failed or broke.
    Connection,
    /// A 2xx whose body is not what the API returns.
    InvalidResponse,
    /// An uploaded file ended in `FAILED`, or never became `ACTIVE`.
    FileProcessing,
}

/// A failed Gemini call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.describe())]
pub struct GeminiError {
    /// What kind of failure.
    pub kind: GeminiErrorKind,
    /// The HTTP status, when there was a response.
    pub http_status: Option<u16>,
    /// The gRPC status name from the body (`RESOURCE_EXHAUSTED`).
    pub status: Option<String>,
    /// The server's message, verbatim.
    pub message: String,
    /// The wait the server asked for (`RetryInfo.retryDelay`, or a proxy's `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl GeminiError {
    /// An error without a response.
    pub fn new(kind: GeminiErrorKind, message: impl Into<String>) -> Self {
        GeminiError {
            kind,
            http_status: None,
            status: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The configured `model` is not served; `why` says how we know. The message names the
    /// setting to change and the current default.
    pub fn model_unavailable(model: &str, why: &str) -> Self {
        GeminiError::new(
            GeminiErrorKind::ModelUnavailable,
            crate::config::model_unavailable_message(model, why),
        )
    }

    /// The same failure seen on a call to `model`'s own methods: a 404 there means the model is
    /// not served, so it becomes [`GeminiErrorKind::ModelUnavailable`] with the server's words
    /// and what to change.
    pub fn on_model(mut self, model: &str) -> Self {
        if self.kind == GeminiErrorKind::NotFound {
            let why = format!("is not served (\"{}\")", self.message);
            self.kind = GeminiErrorKind::ModelUnavailable;
            self.message = crate::config::model_unavailable_message(model, &why);
        }
        self
    }

    /// Classifies a non-2xx response from its status, body and `Retry-After` header.
    pub fn from_response(http_status: u16, body: &[u8], retry_after_header: Option<Duration>) -> Self {
        let status = parse_status(body);
        let details = Details::read(&status.details);
        let kind = match http_status {
            429 if details.daily_quota => GeminiErrorKind::QuotaExhausted,
            429 => GeminiErrorKind::RateLimited,
            400 if details.reason.as_deref() == Some("API_KEY_INVALID") => GeminiErrorKind::Auth,
            401 | 403 => GeminiErrorKind::Auth,
            404 => GeminiErrorKind::NotFound,
            408 | 500 | 502 | 503 | 504 => GeminiErrorKind::Server,
            // The client does not follow redirects (they would carry the API key elsewhere),
            // and the API never sends one: asking again would get the same answer.
            300..=399 => GeminiErrorKind::InvalidRequest,
            _ => GeminiErrorKind::InvalidRequest,
        };
        GeminiError {
            kind,
            http_status: Some(http_status),
            status: (!status.status.is_empty()).then_some(status.status),
            message: status.message,
            retry_after: details.retry_delay.or(retry_after_header),
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            GeminiErrorKind::RateLimited
                | GeminiErrorKind::Server
                | GeminiErrorKind::Timeout
                | GeminiErrorKind::Connection
                | GeminiErrorKind::InvalidResponse
        )
    }

    /// The job error code this failure becomes once the client has given up.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            GeminiErrorKind::RateLimited => ErrorCode::ModelRateLimited,
            GeminiErrorKind::QuotaExhausted => ErrorCode::ModelQuotaExhausted,
            GeminiErrorKind::Auth => ErrorCode::ModelAuthFailed,
            GeminiErrorKind::ModelUnavailable => ErrorCode::ModelUnavailable,
            GeminiErrorKind::NotFound | GeminiErrorKind::InvalidRequest | GeminiErrorKind::FileProcessing => {
                ErrorCode::ModelRequestRejected
            }
            GeminiErrorKind::Server
            | GeminiErrorKind::Timeout
            | GeminiErrorKind::Connection
            | GeminiErrorKind::InvalidResponse => ErrorCode::ModelServerError,
        }
    }

    /// Transient failures come back through the queue; the others fail the job.
    pub fn class(&self) -> ErrorClass {
        if self.is_retryable() {
            ErrorClass::Transient
        } else {
            ErrorClass::Permanent
        }
    }

    fn describe(&self) -> String {
        let mut s = match (self.http_status, &self.status) {
            (Some(code), Some(status)) => format!("Gemini answered {code} {status}: "),
            (Some(code), None) => format!("Gemini answered {code}: "),
            // Refused before any call: there is no answer to quote.
            _ if self.kind == GeminiErrorKind::ModelUnavailable => format!("{}: ", ErrorCode::ModelUnavailable),
            _ => "Gemini call failed: ".to_owned(),
        };
        s.push_str(&self.message);
        s
    }
}

/// The status inside an error body: `{"error":{...}}`, a one-element array of that (the
/// streaming endpoint), a bare status, or anything else (an HTML page from a proxy), which
/// becomes the message.
fn parse_status(body: &[u8]) -> Status {
    // Through `Value`: serde would happily read a struct out of a one-element array.
    let value = serde_json::from_slice::<serde_json::Value>(body).ok();
    let value = match value {
        Some(serde_json::Value::Array(mut list)) if list.len() == 1 => Some(list.remove(0)),
        other => other,
    };
    let status = value
        .map(|v| match v.get("error") {
            Some(inner) => inner.clone(),
            None => v,
        })
        .and_then(|v| serde_json::from_value::<Status>(v).ok())
        .filter(|s| !s.message.is_empty() || !s.status.is_empty());
    if let Some(status) = status {
        return status;
    }
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Status {
        message: text.chars().take(300).collect(),
        ..Status::default()
    }
}

/// What the typed details say.
#[derive(Debug, Default)]
struct Details {
    retry_delay: Option<Duration>,
    daily_quota: bool,
    reason: Option<String>,
}

impl Details {
    fn read(details: &[serde_json::Value]) -> Details {
        let mut out = Details::default();
        for d in details {
            let kind = d.get("@type").and_then(|t| t.as_str()).unwrap_or_default();
            if kind.ends_with("google.rpc.RetryInfo") {
                out.retry_delay = d.get("retryDelay").and_then(|v| v.as_str()).and_then(parse_duration);
            } else if kind.ends_with("google.rpc.QuotaFailure") {
                let violations = d.get("violations").and_then(|v| v.as_array());
                out.daily_quota |= violations.is_some_and(|vs| {
                    vs.iter().any(|v| {
                        let id = v.get("quotaId").and_then(|q| q.as_str()).unwrap_or_default();
                        let value = v.get("quotaValue").and_then(|q| q.as_str());
                        id.contains("PerDay") || value == Some("0")
                    })
                });
            } else if kind.ends_with("google.rpc.ErrorInfo") {
                out.reason = d.get("reason").and_then(|r| r.as_str()).map(str::to_owned);
            }
        }
        out
    }
}

/// A protobuf `Duration` in JSON (`"26s"`, `"1.5s"`, `"45.837906927s"`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PER_MINUTE_429: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[
        {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaValue":"10"}]},
        {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#;

    #[test]
    fn per_minute_429_is_retried_after_the_fractional_delay_it_names() {
        let e = GeminiError::from_response(429, PER_MINUTE_429.as_bytes(), None);
        assert_eq!(e.kind, GeminiErrorKind::RateLimited);
        assert!(e.is_retryable());
        assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
        assert_eq!(e.status.as_deref(), Some("RESOURCE_EXHAUSTED"));
    }

    #[test]
    fn per_day_429_fails_at_once() {
        let body = PER_MINUTE_429.replace("PerMinute", "PerDay");
        let e = GeminiError::from_response(429, body.as_bytes(), None);
        assert_eq!(e.kind, GeminiErrorKind::QuotaExhausted);
        assert!(!e.is_retryable());
        assert_eq!(e.code(), ErrorCode::ModelQuotaExhausted);
    }

    #[test]
    fn bad_key_is_an_auth_failure_not_a_bad_request() {
        let body = r#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[
            {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        let e = GeminiError::from_response(400, body.as_bytes(), None);
        assert_eq!(e.kind, GeminiErrorKind::Auth);
        assert_eq!(e.code(), ErrorCode::ModelAuthFailed);
    }

    #[test]
    fn html_502_keeps_its_text_and_is_retried() {
        let e = GeminiError::from_response(502, b"<html><body>\n<h1>502 Bad Gateway</h1></body></html>", None);
        assert_eq!(e.kind, GeminiErrorKind::Server);
        assert!(e.message.contains("502 Bad Gateway"));
        assert!(e.is_retryable());
    }

    #[test]
    fn error_wrapped_in_an_array_is_read() {
        let body = r#"[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]"#;
        let e = GeminiError::from_response(503, body.as_bytes(), None);
        assert_eq!(e.message, "The model is overloaded.");
        assert_eq!(e.status.as_deref(), Some("UNAVAILABLE"));
    }

    #[test]
    fn not_found_and_invalid_argument_are_not_retried() {
        for code in [400, 403, 404, 413] {
            assert!(!GeminiError::from_response(code, b"{}", None).is_retryable(), "{code}");
        }
    }

    #[test]
    fn a_404_on_the_model_is_model_unavailable_naming_the_setting() {
        let body = r#"{"error":{"code":404,"message":"models/gemini-2.5-flash is not found for API version v1beta","status":"NOT_FOUND"}}"#;
        let e = GeminiError::from_response(404, body.as_bytes(), None).on_model("gemini-2.5-flash");
        assert_eq!(e.kind, GeminiErrorKind::ModelUnavailable);
        assert_eq!(e.code(), ErrorCode::ModelUnavailable);
        assert_eq!(e.class(), ErrorClass::Permanent);
        let text = e.to_string();
        assert!(
            text.contains("DRAWINGS_GEMINI_MODEL") && text.contains("gemini-3.8-flash"),
            "{text}"
        );
        assert!(
            text.contains("is not found for API version"),
            "the server's words are kept: {text}"
        );
        let file = GeminiError::from_response(404, b"{}", None);
        assert_eq!(
            file.code(),
            ErrorCode::ModelRequestRejected,
            "a 404 elsewhere is not the model's"
        );
    }

    #[test]
    fn server_errors_after_the_retries_have_their_own_transient_code() {
        let e = GeminiError::from_response(503, b"{}", None);
        assert_eq!(e.code(), ErrorCode::ModelServerError);
        assert_eq!(e.class(), ErrorClass::Transient);
    }

    #[test]
    fn durations_parse_like_protobuf_json() {
        assert_eq!(parse_duration("26s"), Some(Duration::from_secs(26)));
        assert_eq!(
            parse_duration("45.837906927s"),
            Some(Duration::from_secs_f64(45.837906927))
        );
        assert_eq!(parse_duration("26"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
