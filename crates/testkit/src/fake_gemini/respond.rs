//! Turning a [`Scripted`] reply (or the default one) into the HTTP response the service would
//! send, with a `usageMetadata` computed the way the fake counts tokens: text characters / 4,
//! plus 258 per image or PDF part (560 on `gemini-3*` models, whose PDF pages count as IMAGE).

use super::Shared;
use super::envelope::{ApiError, bad_gateway, json_response, raw_response};
use super::record::RecordedRequest;
use super::script::{Scripted, Usage};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The reply chosen for one request, and whether it counts as an answer.
pub(crate) struct Outcome {
    pub(crate) response: Response,
    pub(crate) status: u16,
    pub(crate) answered_ok: bool,
}

impl Outcome {
    fn json(status: u16, body: &Value, answered_ok: bool) -> Self {
        Outcome {
            response: json_response(status, body),
            status,
            answered_ok,
        }
    }

    fn error(e: ApiError) -> Self {
        let status = e.code;
        Outcome {
            response: e.into_response(),
            status,
            answered_ok: false,
        }
    }
}

/// Ids of the components the default reply reports for a 1-based page.
pub fn default_components(page: u32) -> Vec<String> {
    vec![format!("D-{page}01"), format!("CR-{page}01"), format!("EB-{page}01")]
}

/// The default reply text for a 1-based page: `{"components":[…]}` with a door, a card reader
/// and an exit button whose ids are [`default_components`].
pub fn default_reply_text(page: u32) -> String {
    let ids = default_components(page);
    let kinds = [
        ("door", 0.9, "door swing with tag"),
        ("card_reader", 0.85, "reader symbol beside the door"),
        ("exit_button", 0.8, "REX symbol on the secure side"),
    ];
    let components: Vec<Value> = ids
        .iter()
        .zip(kinds)
        .map(|(id, (kind, confidence, reason))| {
            json!({"id": id, "type": kind, "location": format!("Room {page}"), "confidence": confidence,
                   "reason": reason})
        })
        .collect();
    json!({ "components": components }).to_string()
}

/// Tokens the fake charges for input, and the per-modality breakdown.
pub(crate) fn prompt_tokens(model: &str, text_chars: usize, mimes: &[&str]) -> (u32, Value) {
    let gemini3 = model.starts_with("gemini-3");
    let per_part: u32 = if gemini3 { 560 } else { 258 };
    let text = u32::try_from(text_chars / 4).unwrap_or(u32::MAX);
    let (mut image, mut document) = (0u32, 0u32);
    for mime in mimes {
        if mime.starts_with("application/pdf") && !gemini3 {
            document = document.saturating_add(per_part);
        } else {
            image = image.saturating_add(per_part);
        }
    }
    let mut details = vec![json!({"modality": "TEXT", "tokenCount": text})];
    if image > 0 {
        details.push(json!({"modality": "IMAGE", "tokenCount": image}));
    }
    if document > 0 {
        details.push(json!({"modality": "DOCUMENT", "tokenCount": document}));
    }
    (
        text.saturating_add(image).saturating_add(document),
        Value::Array(details),
    )
}

fn text_tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count() / 4).unwrap_or(u32::MAX).max(1)
}

/// Builds the reply for one request. `Slow` is unwrapped by the caller, which owns the clock.
pub(crate) fn respond(shared: &Shared, scripted: Option<Scripted>, req: &RecordedRequest) -> Outcome {
    let ctx = Ctx::new(shared, req);
    let Some(scripted) = scripted else {
        let text = ctx.answer_text();
        return ctx.stop_reply(text, None);
    };
    match scripted {
        Scripted::Reply { text, usage } => ctx.stop_reply(text, usage),
        Scripted::Thinking { text } => {
            let thought = "**Scanning the drawing**\n\nI am looking for door swings, reader symbols and exit \
                           buttons, then matching each to its tag.";
            let mut usage = ctx.usage(Some(text_tokens(&text)));
            usage["thoughtsTokenCount"] = json!(412);
            usage["totalTokenCount"] = json!(ctx.prompt + text_tokens(&text) + 412);
            let parts = json!([{"text": thought, "thought": true}, {"text": text}]);
            let ok = !text.is_empty();
            Outcome::json(200, &ctx.body(Some(ctx.candidate(Some(parts), "STOP")), usage), ok)
        }
        Scripted::MaxTokensEmpty => {
            let budget = ctx.max_output_tokens();
            let mut usage = ctx.usage(None);
            usage["thoughtsTokenCount"] = json!(budget);
            usage["totalTokenCount"] = json!(ctx.prompt.saturating_add(budget));
            let candidate = ctx.candidate(None, "MAX_TOKENS");
            Outcome::json(200, &ctx.body(Some(candidate), usage), false)
        }
        Scripted::MaxTokensTruncated => {
            let cut = ctx.cut(ctx.answer_text());
            let usage = ctx.usage(Some(text_tokens(&cut)));
            let candidate = ctx.candidate(Some(json!([{"text": cut}])), "MAX_TOKENS");
            Outcome::json(200, &ctx.body(Some(candidate), usage), false)
        }
        Scripted::StopNoParts => Outcome::json(
            200,
            &ctx.body(Some(ctx.candidate(None, "STOP")), ctx.usage(None)),
            false,
        ),
        Scripted::PromptBlocked { reason } => {
            let mut body = ctx.body(None, ctx.usage(None));
            body["promptFeedback"] = json!({"blockReason": reason});
            Outcome::json(200, &body, false)
        }
        Scripted::Safety => {
            let candidate = json!({
                "finishReason": "SAFETY",
                "index": 0,
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}
                ]
            });
            Outcome::json(200, &ctx.body(Some(candidate), ctx.usage(None)), false)
        }
        Scripted::Recitation => {
            let cut = ctx.cut(ctx.answer_text());
            let usage = ctx.usage(Some(text_tokens(&cut)));
            let candidate = ctx.candidate(Some(json!([{"text": cut}])), "RECITATION");
            Outcome::json(200, &ctx.body(Some(candidate), usage), false)
        }
        Scripted::RateLimited { retry_delay, per_day } => {
            Outcome::error(ApiError::rate_limited(&req.model, retry_delay.as_deref(), per_day))
        }
        Scripted::ServerError { code } => Outcome::error(ApiError::server_error(code)),
        Scripted::BadGateway => Outcome {
            response: bad_gateway(),
            status: 502,
            answered_ok: false,
        },
        Scripted::InvalidKey => Outcome::error(ApiError::api_key_invalid()),
        Scripted::ModelNotFound => Outcome::error(ApiError::model_not_found(&req.model, "generateContent")),
        // Reached only for a `Slow` nested where the caller does not unwrap it: answer as the
        // inner reply without a second delay.
        Scripted::Slow { then, .. } => respond(shared, Some(*then), req),
        Scripted::Raw {
            status,
            content_type,
            body,
        } => Outcome {
            response: raw_response(status, &content_type, body),
            status,
            answered_ok: false,
        },
    }
}

/// What every 200 body is built from.
struct Ctx<'a> {
    shared: &'a Shared,
    req: &'a RecordedRequest,
    prompt: u32,
    details: Value,
}

impl<'a> Ctx<'a> {
    fn new(shared: &'a Shared, req: &'a RecordedRequest) -> Self {
        let text_chars = req.texts.iter().map(|t| t.chars().count()).sum::<usize>()
            + req.system_instruction.as_deref().map_or(0, |s| s.chars().count());
        let mimes: Vec<&str> = req.media.iter().map(|m| m.mime_type.as_str()).collect();
        let (prompt, details) = prompt_tokens(&req.model, text_chars, &mimes);
        Ctx {
            shared,
            req,
            prompt,
            details,
        }
    }

    fn answer_text(&self) -> String {
        match &self.shared.options.responder {
            Some(responder) => responder(self.req),
            None => default_reply_text(self.req.effective_page()),
        }
    }

    /// A strict prefix of a JSON document is never valid JSON, which is what truncation means.
    fn cut(&self, text: String) -> String {
        let chars: Vec<char> = text.chars().collect();
        let keep = (chars.len() / 2).max(1).min(chars.len().saturating_sub(1));
        chars[..keep].iter().collect()
    }

    fn max_output_tokens(&self) -> u32 {
        let config = self.req.generation_config.as_object();
        config
            .and_then(|c| c.get("maxOutputTokens").or_else(|| c.get("max_output_tokens")))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(8192)
    }

    fn usage(&self, candidates: Option<u32>) -> Value {
        let usage = Usage {
            prompt_token_count: self.prompt,
            candidates_token_count: candidates,
            ..Usage::default()
        };
        let mut v = usage.to_json();
        v["promptTokensDetails"] = self.details.clone();
        v
    }

    fn candidate(&self, parts: Option<Value>, finish: &str) -> Value {
        let mut content = json!({"role": "model"});
        if let Some(parts) = parts {
            content["parts"] = parts;
        }
        json!({"content": content, "finishReason": finish, "index": 0})
    }

    fn body(&self, candidate: Option<Value>, usage: Value) -> Value {
        let mut body = json!({
            "usageMetadata": usage,
            "modelVersion": self.req.model,
            "responseId": format!("fAkEgEmInI{:06}", self.req.seq),
        });
        if let Some(candidate) = candidate {
            body["candidates"] = json!([candidate]);
        }
        body
    }

    fn stop_reply(&self, text: String, usage: Option<Usage>) -> Outcome {
        let usage = match usage {
            Some(u) => u.to_json(),
            None => self.usage(Some(text_tokens(&text))),
        };
        let ok = !text.is_empty();
        let candidate = self.candidate(Some(json!([{ "text": text }])), "STOP");
        Outcome::json(200, &self.body(Some(candidate), usage), ok)
    }
}
