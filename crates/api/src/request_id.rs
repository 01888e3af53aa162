//! Request ids: taken from `x-request-id` (API Gateway and proxies set one) or made up,
//! echoed in the response, put on every log line of the request (with the caller's client once
//! authenticated) and in error bodies.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The header carrying the id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Middleware: assigns the id, opens a span with it, echoes it.
pub async fn with_request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // `client` is filled in by the authentication middleware once the key is known.
    let span = tracing::error_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        client = tracing::field::Empty,
    );
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request).instrument(span)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
