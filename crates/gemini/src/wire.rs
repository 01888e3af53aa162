//! The JSON of the Gemini REST API (v1beta), as proto3's JSON mapping writes it: camelCase,
//! every response field optional (a missing field is its default), enums as strings so a new
//! `finishReason` never breaks parsing, int64 values as strings.

use serde::{Deserialize, Serialize};

/// `POST /v1beta/models/{model}:generateContent`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    /// The conversation; one user turn here.
    pub contents: Vec<Content>,
    /// The system prompt (top level, not in `generationConfig`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
    /// Sampling, output budget, structured output and thinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
}

/// A turn: a role and its parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// `user` or `model`; omitted in a single-turn request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The parts; a reply may have none.
    #[serde(default)]
    pub parts: Vec<Part>,
}

impl Content {
    /// A user turn.
    pub fn user(parts: Vec<Part>) -> Self {
        Content {
            role: Some("user".into()),
            parts,
        }
    }

    /// A system instruction.
    pub fn system(text: impl Into<String>) -> Self {
        Content {
            role: None,
            parts: vec![Part::text(text)],
        }
    }
}

/// One part; exactly one data field is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Bytes sent in the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Blob>,
    /// A file uploaded through the Files API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData>,
    /// Output only: a thought summary, not the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part {
            text: Some(text.into()),
            ..Part::default()
        }
    }

    /// Inline bytes (base64 on the wire).
    pub fn inline(mime_type: &str, data_base64: String) -> Self {
        Part {
            inline_data: Some(Blob {
                mime_type: mime_type.into(),
                data: data_base64,
            }),
            ..Part::default()
        }
    }

    /// A reference to an uploaded file.
    pub fn file(mime_type: &str, file_uri: &str) -> Self {
        Part {
            file_data: Some(FileData {
                mime_type: mime_type.into(),
                file_uri: file_uri.into(),
            }),
            ..Part::default()
        }
    }
}

/// `inlineData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// MIME type (`image/png`, `application/pdf`).
    pub mime_type: String,
    /// Standard base64.
    pub data: String,
}

/// `fileData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// MIME type of the file.
    pub mime_type: String,
    /// `File.uri`.
    pub file_uri: String,
}

/// `generationConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    /// Sampling temperature (Gemini 3: leave at the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Output budget; thought tokens count against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// `application/json` for structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<String>,
    /// The OpenAPI-subset schema of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<serde_json::Value>,
    /// Thinking budget or level, per model family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<ThinkingConfig>,
}

/// `thinkingConfig`: a budget (2.5 models) or a level (Gemini 3), never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig {
    /// Tokens (0 = off, -1 = dynamic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<i32>,
    /// `MINIMAL`, `LOW`, `MEDIUM` or `HIGH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_level: Option<String>,
}

/// The answer to `generateContent`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateContentResponse {
    /// Candidates; absent when the prompt was blocked.
    pub candidates: Vec<Candidate>,
    /// Present when the prompt itself was blocked.
    pub prompt_feedback: Option<PromptFeedback>,
    /// Tokens billed for this call.
    pub usage_metadata: Option<UsageMetadata>,
    /// The model that answered.
    pub model_version: Option<String>,
    /// Opaque id, for support requests.
    pub response_id: Option<String>,
}

/// One candidate answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Candidate {
    /// The answer; may be absent or have no parts.
    pub content: Option<Content>,
    /// `STOP`, `MAX_TOKENS`, `SAFETY`, ... (kept as a string: the enum keeps growing).
    pub finish_reason: Option<String>,
    /// Detail on the finish reason, when given.
    pub finish_message: Option<String>,
}

/// `promptFeedback`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PromptFeedback {
    /// Why the prompt was blocked.
    pub block_reason: Option<String>,
}

/// `usageMetadata`: what the call is billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageMetadata {
    /// All input tokens, cached ones included.
    pub prompt_token_count: u64,
    /// The cached part of the prompt.
    pub cached_content_token_count: u64,
    /// Visible output tokens.
    pub candidates_token_count: u64,
    /// Thinking tokens (billed as output).
    pub thoughts_token_count: u64,
    /// Tool results fed back in (billed as input).
    pub tool_use_prompt_token_count: u64,
    /// The sum of the above.
    pub total_token_count: u64,
}

impl std::ops::AddAssign for UsageMetadata {
    fn add_assign(&mut self, rhs: Self) {
        self.prompt_token_count += rhs.prompt_token_count;
        self.cached_content_token_count += rhs.cached_content_token_count;
        self.candidates_token_count += rhs.candidates_token_count;
        self.thoughts_token_count += rhs.thoughts_token_count;
        self.tool_use_prompt_token_count += rhs.tool_use_prompt_token_count;
        self.total_token_count += rhs.total_token_count;
    }
}

/// `POST /v1beta/models/{model}:countTokens` request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTokensRequest {
    /// What would be sent.
    pub contents: Vec<Content>,
}

/// `countTokens` answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountTokensResponse {
    /// Input tokens, cached ones included.
    pub total_tokens: u64,
}

/// A Files API `File`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct File {
    /// `files/{id}`.
    pub name: String,
    /// The name given at upload.
    pub display_name: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size (int64, so a string on the wire).
    pub size_bytes: Option<String>,
    /// What `fileData.fileUri` takes.
    pub uri: String,
    /// `PROCESSING`, `ACTIVE` or `FAILED`.
    pub state: Option<String>,
    /// Why processing failed.
    pub error: Option<Status>,
}

/// The `{"file": File}` wrapper of the upload's final answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FileEnvelope {
    /// The uploaded file.
    pub file: Option<File>,
}

/// `google.rpc.Status`, the body of every error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    /// The HTTP status again.
    pub code: u16,
    /// Human-readable; logged verbatim, never parsed for decisions.
    pub message: String,
    /// The gRPC status name (`RESOURCE_EXHAUSTED`).
    pub status: String,
    /// Typed details (`RetryInfo`, `QuotaFailure`, `ErrorInfo`, ...).
    pub details: Vec<serde_json::Value>,
}
