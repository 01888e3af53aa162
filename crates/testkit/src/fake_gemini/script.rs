//! The replies a test can script, one per `generateContent` call.
//!
//! They are serde types (`{"kind": "rate_limited", "retry_delay": "1.5s", "per_day": false}`)
//! so that a test driving the `fake-gemini` binary can post them as JSON. Each variant is a
//! behaviour observed from the real service (see the wire-format reference, §3, §5 and §9).

use serde::{Deserialize, Serialize};

/// One scripted reply, consumed by the next `generateContent` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scripted {
    /// A normal STOP reply whose only text part is `text`.
    Reply {
        /// The answer text (usually JSON).
        text: String,
        /// Token counts to report instead of the computed ones.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Usage>,
    },
    /// A thought-summary part (`"thought": true`) before the answer part, with
    /// `thoughtsTokenCount` in the usage.
    Thinking {
        /// The answer text.
        text: String,
    },
    /// Thinking used up `maxOutputTokens`: MAX_TOKENS, a `content` without parts, no text.
    MaxTokensEmpty,
    /// MAX_TOKENS with a cut-off JSON prefix of the default reply.
    MaxTokensTruncated,
    /// The STOP-without-parts anomaly: finishReason STOP and no text.
    StopNoParts,
    /// The prompt itself was blocked: no candidates, `promptFeedback.blockReason`.
    PromptBlocked {
        /// `SAFETY`, `OTHER`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `IMAGE_SAFETY`.
        #[serde(default = "default_block_reason")]
        reason: String,
    },
    /// finishReason SAFETY with no content and a blocked safety rating.
    Safety,
    /// finishReason RECITATION with a partial text.
    Recitation,
    /// 429 RESOURCE_EXHAUSTED with QuotaFailure and Help details (no `Retry-After` header,
    /// like the real service).
    RateLimited {
        /// A protobuf Duration (`"1.5s"`) sent as RetryInfo; none when absent.
        #[serde(default)]
        retry_delay: Option<String>,
        /// A per-day quota (`GenerateRequestsPerDay…`) instead of a per-minute one.
        #[serde(default)]
        per_day: bool,
    },
    /// 500 INTERNAL, 503 UNAVAILABLE or 504 DEADLINE_EXCEEDED with the real bodies.
    ServerError {
        /// HTTP status.
        code: u16,
    },
    /// 502 with Google's HTML error page, as a front end sends it.
    BadGateway,
    /// 400 API_KEY_INVALID, whatever key was sent.
    InvalidKey,
    /// 404 NOT_FOUND for the requested model.
    ModelNotFound,
    /// Waits, then answers as `then` (for client timeouts).
    Slow {
        /// Delay before the reply, in milliseconds.
        delay_ms: u64,
        /// The reply after the delay.
        then: Box<Scripted>,
    },
    /// Exactly this status, content type and body.
    Raw {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header.
        content_type: String,
        /// Body text.
        body: String,
    },
}

fn default_block_reason() -> String {
    "PROHIBITED_CONTENT".into()
}

/// Token counts for a scripted reply's `usageMetadata`; `totalTokenCount` is their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Usage {
    /// `promptTokenCount`.
    pub prompt_token_count: u32,
    /// `candidatesTokenCount` (absent when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates_token_count: Option<u32>,
    /// `thoughtsTokenCount` (absent when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thoughts_token_count: Option<u32>,
    /// `cachedContentTokenCount` (absent when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_content_token_count: Option<u32>,
}

impl Usage {
    /// `promptTokenCount + candidatesTokenCount + thoughtsTokenCount`, as the service sums it.
    pub fn total(&self) -> u32 {
        self.prompt_token_count
            .saturating_add(self.candidates_token_count.unwrap_or(0))
            .saturating_add(self.thoughts_token_count.unwrap_or(0))
    }

    /// The `usageMetadata` object.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "promptTokenCount": self.prompt_token_count,
            "totalTokenCount": self.total(),
        });
        if let Some(map) = v.as_object_mut() {
            let optional = [
                ("candidatesTokenCount", self.candidates_token_count),
                ("thoughtsTokenCount", self.thoughts_token_count),
                ("cachedContentTokenCount", self.cached_content_token_count),
            ];
            for (key, value) in optional {
                if let Some(n) = value {
                    map.insert(key.into(), n.into());
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_round_trip_as_tagged_json() {
        let scripts = vec![
            Scripted::RateLimited {
                retry_delay: Some("1.5s".into()),
                per_day: false,
            },
            Scripted::Slow {
                delay_ms: 10,
                then: Box::new(Scripted::ServerError { code: 503 }),
            },
            Scripted::Reply {
                text: "{}".into(),
                usage: Some(Usage {
                    prompt_token_count: 3,
                    ..Usage::default()
                }),
            },
        ];
        let json = serde_json::to_string(&scripts).unwrap();
        assert!(json.contains(r#""kind":"rate_limited""#), "{json}");
        let back: Vec<Scripted> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, scripts);
        let blocked: Scripted = serde_json::from_str(r#"{"kind":"prompt_blocked"}"#).unwrap();
        assert_eq!(
            blocked,
            Scripted::PromptBlocked {
                reason: "PROHIBITED_CONTENT".into()
            }
        );
    }
}
