//! The `/_fake/` control routes, for tests that run the fake as a separate process (the
//! `fake-gemini` binary) and cannot call [`FakeGemini`](super::FakeGemini)'s methods:
//!
//! - `POST /_fake/script`: a JSON array of [`Scripted`] (or a single one), appended to the
//!   queue; answers `{"queued": N}` with the queue length.
//! - `GET /_fake/requests`: the recorded `generateContent` calls, media as lengths only.
//! - `GET /_fake/stats`: `{"generate_calls", "count_token_calls", "uploads", "answered_pages",
//!   "pending_scripts"}`.
//!
//! These paths do not exist on the real service, so a client never reaches them by mistake.

use super::envelope::{ApiError, json_response};
use super::{Scripted, Shared};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_fake/script", post(script))
        .route("/_fake/requests", get(requests))
        .route("/_fake/stats", get(stats))
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Scripted>),
    One(Scripted),
}

async fn script(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let scripts = match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(v)) => v,
        Ok(OneOrMany::One(s)) => vec![s],
        Err(e) => {
            return ApiError::invalid_argument(format!("Expected a JSON array of scripted replies: {e}"))
                .into_response();
        }
    };
    let mut inner = shared.lock();
    inner.script.extend(scripts);
    json_response(200, &json!({ "queued": inner.script.len() }))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    match serde_json::to_value(&inner.requests) {
        Ok(v) => json_response(200, &v),
        Err(e) => ApiError::new(500, "INTERNAL", format!("could not serialize the records: {e}")).into_response(),
    }
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    let uploads = inner.files.count();
    json_response(
        200,
        &json!({
            "generate_calls": inner.requests.len(),
            "count_token_calls": inner.count_token_calls,
            "uploads": uploads,
            "answered_pages": inner.answered,
            "pending_scripts": inner.script.len(),
        }),
    )
}
