//! The service's error replies: the `google.rpc.Status` JSON envelope with the real messages
//! and details (wire-format reference §5), and the HTML page a Google front end answers 502
//! with. Clients classify on these bodies alone, so they are reproduced verbatim.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error reply in the Google envelope.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) code: u16,
    pub(crate) status: &'static str,
    pub(crate) message: String,
    pub(crate) details: Vec<Value>,
}

impl ApiError {
    pub(crate) fn new(code: u16, status: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARGUMENT", message)
    }

    /// A bad value in one field, with the `BadRequest` detail the service adds.
    pub(crate) fn invalid_field(field: &str, description: String) -> Self {
        let mut e = Self::invalid_argument(description.clone());
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": description}],
        }));
        e
    }

    /// A field the API does not know, which is what a misspelt or misplaced field earns.
    pub(crate) fn unknown_field(name: &str, at: Option<&str>) -> Self {
        let description = match at {
            Some(at) => format!("Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field."),
            None => format!("Invalid JSON payload received. Unknown name \"{name}\": Cannot find field."),
        };
        let field = at.map_or_else(|| name.to_string(), |at| format!("{at}.{name}"));
        Self::invalid_field(&field, description)
    }

    pub(crate) fn api_key_invalid() -> Self {
        let message = "API key not valid. Please pass a valid API key.";
        let mut e = Self::invalid_argument(message);
        e.details = vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            }),
        ];
        e
    }

    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::invalid_argument(format!("Request payload size exceeds the limit: {limit} bytes."))
    }

    pub(crate) fn rate_limited(model: &str, retry_delay: Option<&str>, per_day: bool) -> Self {
        let (quota_id, quota_value) = if per_day {
            ("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "250")
        } else {
            ("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10")
        };
        let mut e = Self::new(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details. For more information on \
             this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        );
        e.details = vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": quota_value,
                }],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }],
            }),
        ];
        if let Some(delay) = retry_delay {
            e.details.push(json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": delay,
            }));
        }
        e
    }

    pub(crate) fn server_error(code: u16) -> Self {
        match code {
            500 => Self::new(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in \
                 https://developers.generativeai.google/guide/troubleshooting",
            ),
            503 => Self::new(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            504 => Self::new(
                504,
                "DEADLINE_EXCEEDED",
                "The service is unable to finish processing within the deadline.",
            ),
            other => Self::new(other, "UNKNOWN", "Unknown Error."),
        }
    }

    pub(crate) fn model_not_found(model: &str, method: &str) -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            format!(
                "models/{model} is not found for API version v1beta, or is not supported for {method}. Call \
                 ListModels to see the list of available models and their supported methods."
            ),
        )
    }

    /// What the service says for a file id it does not know, has expired, or belongs to
    /// another project: 403, not 404.
    pub(crate) fn file_permission_denied(id: &str) -> Self {
        Self::new(
            403,
            "PERMISSION_DENIED",
            format!("You do not have permission to access the File {id} or it may not exist."),
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "NOT_FOUND", message)
    }

    pub(crate) fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message, "status": self.status});
        if !self.details.is_empty()
            && let Some(map) = error.as_object_mut()
        {
            map.insert("details".into(), Value::Array(self.details.clone()));
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.code, &self.body())
    }
}

/// A JSON reply with the content type the service uses.
pub(crate) fn json_response(code: u16, body: &Value) -> Response {
    raw_response(code, "application/json; charset=UTF-8", body.to_string())
}

/// A reply with any status, content type and body; invalid values fall back rather than
/// panic, since they come from test scripts.
pub(crate) fn raw_response(code: u16, content_type: &str, body: String) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Google's 502 page, which is HTML, not JSON: clients must not assume a JSON error body.
pub(crate) fn bad_gateway() -> Response {
    let body = "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport \
                content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error 502 (Server \
                Error)!!1</title>\n  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n  \
                <p><b>502.</b> <ins>That\u{2019}s an error.</ins>\n  <p>The server encountered a temporary error \
                and could not complete your request.<p>Please try again in 30 seconds.  <ins>That\u{2019}s all we \
                know.</ins>\n";
    raw_response(502, "text/html; charset=UTF-8", body.to_string())
}
