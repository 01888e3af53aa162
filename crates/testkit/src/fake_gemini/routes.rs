//! The router and the model methods (`generateContent`, `countTokens`), with the checks the
//! service makes before answering: the API key, the body size, the request shape, the files
//! that `fileData` parts name.
//!
//! A `generateContent` call is recorded when it arrives, so that concurrent callers see their
//! calls counted in arrival order, and updated when its reply is produced.

use super::auth::{authorize, query, sent_key};
use super::envelope::ApiError;
use super::parse::{GENERATE_FIELDS, MediaPart, ParsedRequest, check_thinking_for, page_of, parse_generate, tile_of};
use super::proto::{field, json_object};
use super::record::{MediaVia, RecordedMedia, RecordedRequest};
use super::respond::{Outcome, prompt_tokens, respond};
use super::{Scripted, Shared, control, files, upload};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The whole fake: the API routes and the `/_fake/` control routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1beta/models/{rest}", post(models))
        .route("/upload/v1beta/files", post(upload::upload))
        .route("/v1beta/files", get(files::list))
        .route("/v1beta/files/{id}", get(files::get).delete(files::delete))
        .merge(control::routes())
        .fallback(|uri: Uri| async move { ApiError::not_found(format!("The requested URL {uri} was not found.")) })
        // The size limit is the fake's own, answered in the service's words; axum's 2 MB
        // default would answer first, and differently.
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// A model the service shut down is answered with 404 NOT_FOUND, whatever the request.
fn check_model(shared: &Shared, model: &str, method: &str) -> Result<(), ApiError> {
    if shared.options.is_retired(model) {
        return Err(ApiError::model_not_found(model, method));
    }
    Ok(())
}

fn check_size(shared: &Shared, body: &[u8]) -> Result<(), ApiError> {
    match shared.options.max_body_bytes {
        Some(limit) if body.len() > limit => Err(ApiError::payload_too_large(limit)),
        _ => Ok(()),
    }
}

async fn models(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(Path(rest)) = path else {
        return ApiError::not_found("Invalid model path.").into_response();
    };
    match rest.rsplit_once(':') {
        Some((model, "generateContent")) => generate(shared, model, &uri, &headers, body).await,
        Some((model, "countTokens")) => count_tokens(&shared, model, &uri, &headers, &body).into_response(),
        _ => ApiError::not_found(format!("Method not found: models/{rest}.")).into_response(),
    }
}

async fn generate(shared: Arc<Shared>, model: &str, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Response {
    let query = query(uri);
    let mut rec = RecordedRequest {
        model: model.to_string(),
        api_key: sent_key(headers, &query),
        body_bytes: body.len(),
        ..RecordedRequest::default()
    };
    {
        let mut inner = shared.lock();
        rec.seq = inner.requests.len();
        inner.requests.push(rec.clone());
    }
    let checked = check_generate(&shared, headers, &query, &body, &mut rec);
    if !shared.options.keep_media {
        rec.media.iter_mut().for_each(|m| m.bytes = Vec::new());
    }
    let mut scripted = None;
    {
        let mut inner = shared.lock();
        match &checked {
            Ok(()) => scripted = inner.script.pop_front(),
            Err(e) => rec.rejected = Some(e.message.clone()),
        }
        if let Some(slot) = inner.requests.get_mut(rec.seq) {
            *slot = rec.clone();
        }
    }
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    while let Some(Scripted::Slow { delay_ms, then }) = scripted {
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        scripted = Some(*then);
    }
    let outcome = match checked {
        Ok(()) => respond(&shared, scripted, &rec),
        Err(e) => Outcome {
            status: e.code,
            response: e.into_response(),
            answered_ok: false,
        },
    };
    let mut inner = shared.lock();
    if outcome.answered_ok {
        inner.answered.push(rec.effective_page());
    }
    if let Some(slot) = inner.requests.get_mut(rec.seq) {
        slot.status = Some(outcome.status);
        slot.answered_ok = outcome.answered_ok;
    }
    outcome.response
}

/// Validates a `generateContent` call, filling in `rec` as far as the request could be read.
fn check_generate(
    shared: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &[u8],
    rec: &mut RecordedRequest,
) -> Result<(), ApiError> {
    authorize(shared, headers, query)?;
    check_model(shared, &rec.model, "generateContent")?;
    check_size(shared, body)?;
    let parsed = parse_generate(&json_object(body)?, GENERATE_FIELDS)?;
    check_thinking_for(&rec.model, &parsed.generation_config)?;
    let ParsedRequest {
        system_instruction,
        texts,
        media,
        generation_config,
    } = parsed;
    let page = page_of(&texts);
    rec.page = page.map(|p| p.0);
    rec.page_count = page.map(|p| p.1);
    rec.tile = tile_of(&texts);
    rec.system_instruction = system_instruction;
    rec.texts = texts;
    rec.generation_config = generation_config;
    for part in media {
        let media = match part {
            MediaPart::Inline { mime_type, bytes } => RecordedMedia {
                mime_type,
                bytes,
                via: MediaVia::Inline,
            },
            MediaPart::File { mime_type, uri } => {
                let (file_mime, bytes) = files::resolve(shared, &uri)?;
                RecordedMedia {
                    mime_type: mime_type.unwrap_or(file_mime),
                    bytes,
                    via: MediaVia::File { uri },
                }
            }
        };
        rec.media.push(media);
    }
    Ok(())
}

fn count_tokens(
    shared: &Shared,
    model: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    shared.lock().count_token_calls += 1;
    let query = query(uri);
    authorize(shared, headers, &query)?;
    check_model(shared, model, "countTokens")?;
    check_size(shared, body)?;
    let obj = json_object(body)?;
    let parsed = match field(&obj, "generateContentRequest") {
        Some(inner) => {
            if field(&obj, "contents").is_some() {
                return Err(ApiError::invalid_argument(
                    "contents and generate_content_request are mutually exclusive.",
                ));
            }
            let inner = inner.as_object().cloned().unwrap_or_default();
            parse_generate(&inner, GENERATE_FIELDS)?
        }
        None => parse_generate(&obj, &["model", "contents", "generateContentRequest"])?,
    };
    let text_chars = parsed.texts.iter().map(|t| t.chars().count()).sum::<usize>()
        + parsed.system_instruction.as_deref().map_or(0, |s| s.chars().count());
    let mimes: Vec<String> = parsed
        .media
        .iter()
        .map(|m| match m {
            MediaPart::Inline { mime_type, .. } => mime_type.clone(),
            MediaPart::File { mime_type, uri } => mime_type
                .clone()
                .or_else(|| files::resolve(shared, uri).ok().map(|(mime, _)| mime))
                .unwrap_or_else(|| "application/pdf".into()),
        })
        .collect();
    let mimes: Vec<&str> = mimes.iter().map(String::as_str).collect();
    let (total, details) = prompt_tokens(model, text_chars, &mimes);
    let body: Value = json!({"totalTokens": total, "promptTokensDetails": details});
    Ok(super::envelope::json_response(200, &body))
}
