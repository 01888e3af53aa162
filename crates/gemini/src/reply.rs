//! Reads a `generateContent` answer the way it must be read: the finish reason first, then
//! the text of the non-thought parts. Each way an answer can be unusable is its own variant,
//! because each has its own remedy (a larger output budget, another try, or giving up).

use crate::wire::GenerateContentResponse;

/// Why an answer holds no usable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyProblem {
    /// `MAX_TOKENS`: the output (thinking included) hit `maxOutputTokens`; the text is empty
    /// or cut off. Never parse it; ask again with a larger budget.
    Truncated {
        /// Whether some text came back.
        partial: bool,
    },
    /// The answer was withheld (`SAFETY`, `RECITATION`, `PROHIBITED_CONTENT`, ...).
    OutputBlocked {
        /// The finish reason.
        reason: String,
    },
    /// The prompt itself was blocked: no candidates, `promptFeedback.blockReason`.
    InputBlocked {
        /// The block reason.
        reason: String,
    },
    /// `STOP` (or no candidate) with no text: an intermittent server anomaly, worth retrying.
    Empty,
    /// Another finish reason (`OTHER`, `MALFORMED_FUNCTION_CALL`, a new one).
    Other {
        /// The finish reason.
        reason: String,
    },
}

impl std::fmt::Display for ReplyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyProblem::Truncated { partial: true } => f.write_str("the answer was cut off (MAX_TOKENS)"),
            ReplyProblem::Truncated { partial: false } => {
                f.write_str("the output budget ran out before any answer (MAX_TOKENS)")
            }
            ReplyProblem::OutputBlocked { reason } => write!(f, "the answer was withheld ({reason})"),
            ReplyProblem::InputBlocked { reason } => write!(f, "the page was refused ({reason})"),
            ReplyProblem::Empty => f.write_str("the answer was empty"),
            ReplyProblem::Other { reason } => write!(f, "the answer ended with {reason}"),
        }
    }
}

const BLOCKED: [&str; 6] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "LANGUAGE",
];

/// The answer's text (thought parts skipped), or why there is none to use.
pub fn answer_text(response: &GenerateContentResponse) -> Result<String, ReplyProblem> {
    let Some(candidate) = response.candidates.first() else {
        return Err(
            match response.prompt_feedback.as_ref().and_then(|f| f.block_reason.clone()) {
                Some(reason) => ReplyProblem::InputBlocked { reason },
                None => ReplyProblem::Empty,
            },
        );
    };
    let text: String = candidate
        .content
        .iter()
        .flat_map(|c| &c.parts)
        .filter(|p| p.thought != Some(true))
        .filter_map(|p| p.text.as_deref())
        .collect();
    let has_text = !text.trim().is_empty();
    match candidate.finish_reason.as_deref() {
        None | Some("STOP") if has_text => Ok(text),
        None | Some("STOP") => Err(ReplyProblem::Empty),
        Some("MAX_TOKENS") => Err(ReplyProblem::Truncated { partial: has_text }),
        Some(r) if BLOCKED.contains(&r) || r.starts_with("IMAGE_") => {
            Err(ReplyProblem::OutputBlocked { reason: r.to_owned() })
        }
        Some(r) => Err(ReplyProblem::Other { reason: r.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> GenerateContentResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn thought_parts_are_skipped() {
        let r = response(
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"thinking...","thought":true},{"text":"{\"components\":[]}"}]},"finishReason":"STOP"}]}"#,
        );
        assert_eq!(answer_text(&r).unwrap(), r#"{"components":[]}"#);
    }

    #[test]
    fn each_unusable_answer_has_its_own_problem() {
        let cases = [
            (
                r#"{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}]}"#,
                ReplyProblem::Truncated { partial: false },
            ),
            (
                r#"{"candidates":[{"content":{"parts":[{"text":"{\"compo"}]},"finishReason":"MAX_TOKENS"}]}"#,
                ReplyProblem::Truncated { partial: true },
            ),
            (
                r#"{"candidates":[{"content":{"role":"model"},"finishReason":"STOP"}]}"#,
                ReplyProblem::Empty,
            ),
            (
                r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#,
                ReplyProblem::InputBlocked {
                    reason: "PROHIBITED_CONTENT".into(),
                },
            ),
            (
                r#"{"candidates":[{"finishReason":"RECITATION"}]}"#,
                ReplyProblem::OutputBlocked {
                    reason: "RECITATION".into(),
                },
            ),
            (
                r#"{"candidates":[{"finishReason":"IMAGE_SAFETY"}]}"#,
                ReplyProblem::OutputBlocked {
                    reason: "IMAGE_SAFETY".into(),
                },
            ),
            (
                r#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"SOMETHING_NEW"}]}"#,
                ReplyProblem::Other {
                    reason: "SOMETHING_NEW".into(),
                },
            ),
            (r#"{}"#, ReplyProblem::Empty),
        ];
        for (json, expected) in cases {
            assert_eq!(answer_text(&response(json)), Err(expected), "{json}");
        }
    }
}
