//! Reading a `GenerateContentRequest` the way the service does (through the proto3 mapping
//! of [`super::proto`]), with a 400 in the service's wording for what it would refuse: unknown
//! fields, empty contents, a part without data, undecodable base64. Being as strict as the
//! service here is the point: a misspelt field must fail against the fake, not only in
//! production.

use super::envelope::ApiError;
use super::proto::{field, to_camel};
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Fields of `GenerateContentRequest` (camelCase; snake_case is accepted too).
pub(crate) const GENERATE_FIELDS: &[&str] = &[
    "model",
    "contents",
    "systemInstruction",
    "generationConfig",
    "safetySettings",
    "tools",
    "toolConfig",
    "cachedContent",
    "serviceTier",
];

const GENERATION_CONFIG_FIELDS: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "_responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "mediaResolution",
];

/// The fields of a `Part` that carry its data; a part needs one of them.
const PART_DATA_FIELDS: &[&str] = &[
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
];

/// A media part of a request.
#[derive(Debug, Clone)]
pub(crate) enum MediaPart {
    Inline { mime_type: String, bytes: Vec<u8> },
    File { mime_type: Option<String>, uri: String },
}

/// What the fake needs from a `GenerateContentRequest`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedRequest {
    pub(crate) system_instruction: Option<String>,
    pub(crate) texts: Vec<String>,
    pub(crate) media: Vec<MediaPart>,
    pub(crate) generation_config: Value,
}

/// Parses a `GenerateContentRequest` whose top-level fields must be among `allowed`.
pub(crate) fn parse_generate(obj: &Map<String, Value>, allowed: &[&str]) -> Result<ParsedRequest, ApiError> {
    reject_unknown(obj, allowed, None)?;
    let generation_config = field(obj, "generationConfig").cloned().unwrap_or(Value::Null);
    if let Value::Object(config) = &generation_config {
        reject_unknown(config, GENERATION_CONFIG_FIELDS, Some("generation_config"))?;
        check_thinking(config)?;
    }
    let system_instruction = match field(obj, "systemInstruction") {
        Some(Value::Object(content)) => {
            let mut texts = Vec::new();
            for part in parts(content, "system_instruction")? {
                if let Some(text) = part.get("text").and_then(Value::as_str) {
                    texts.push(text.to_string());
                }
            }
            Some(texts.join("\n"))
        }
        _ => None,
    };
    let mut parsed = ParsedRequest {
        system_instruction,
        generation_config,
        ..ParsedRequest::default()
    };
    let contents = match field(obj, "contents") {
        Some(Value::Array(contents)) if !contents.is_empty() => contents,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(ApiError::invalid_argument(
                "* GenerateContentRequest.contents: contents is not specified\n",
            ));
        }
        Some(_) => {
            return Err(ApiError::invalid_argument(
                "Invalid JSON payload received. Expected an array at 'contents'.",
            ));
        }
    };
    for (i, content) in contents.iter().enumerate() {
        let Value::Object(content) = content else {
            return Err(ApiError::invalid_argument(format!(
                "Invalid JSON payload received. Expected an object at 'contents[{i}]'."
            )));
        };
        for (j, part) in parts(content, &format!("contents[{i}]"))?.into_iter().enumerate() {
            read_part(part, &format!("contents[{i}].parts[{j}]"), &mut parsed)?;
        }
    }
    Ok(parsed)
}

fn parts<'a>(content: &'a Map<String, Value>, at: &str) -> Result<Vec<&'a Map<String, Value>>, ApiError> {
    let Some(Value::Array(parts)) = content.get("parts") else {
        return Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}.parts: contents.parts must not be empty.\n"
        )));
    };
    if parts.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}.parts: contents.parts must not be empty.\n"
        )));
    }
    parts
        .iter()
        .enumerate()
        .map(|(j, part)| {
            part.as_object().ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "Invalid JSON payload received. Expected an object at '{at}.parts[{j}]'."
                ))
            })
        })
        .collect()
}

fn read_part(part: &Map<String, Value>, at: &str, parsed: &mut ParsedRequest) -> Result<(), ApiError> {
    if !PART_DATA_FIELDS.iter().any(|f| field(part, f).is_some()) {
        return Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}.data: required oneof field 'data' must have one initialized field\n"
        )));
    }
    if let Some(text) = part.get("text").and_then(Value::as_str) {
        parsed.texts.push(text.to_string());
    }
    if let Some(inline) = field(part, "inlineData") {
        let inline = inline.as_object().cloned().unwrap_or_default();
        let mime_type = mime_of(&inline, &format!("{at}.inline_data"))?;
        let data = field(&inline, "data").and_then(Value::as_str).unwrap_or_default();
        let bytes = super::proto::decode_base64(data).ok_or_else(|| {
            let shown: String = data.chars().take(40).collect();
            let path = format!("{at}.inline_data.data");
            ApiError::invalid_field(
                &path,
                format!("Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\""),
            )
        })?;
        parsed.media.push(MediaPart::Inline { mime_type, bytes });
    }
    if let Some(file) = field(part, "fileData") {
        let file = file.as_object().cloned().unwrap_or_default();
        let uri = field(&file, "fileUri").and_then(Value::as_str).unwrap_or_default();
        if uri.is_empty() {
            return Err(ApiError::invalid_argument(format!(
                "* GenerateContentRequest.{at}.file_data.file_uri: file_uri is not specified\n"
            )));
        }
        let mime_type = field(&file, "mimeType").and_then(Value::as_str).map(str::to_string);
        parsed.media.push(MediaPart::File {
            mime_type,
            uri: uri.to_string(),
        });
    }
    Ok(())
}

fn mime_of(blob: &Map<String, Value>, at: &str) -> Result<String, ApiError> {
    match field(blob, "mimeType").and_then(Value::as_str) {
        Some(mime) if !mime.trim().is_empty() => Ok(mime.to_string()),
        _ => Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}.mime_type: mime_type is not specified\n"
        ))),
    }
}

/// Sending both thinking knobs is refused by the service; a client must pick the one its
/// model family understands.
fn check_thinking(config: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(Value::Object(thinking)) = field(config, "thinkingConfig")
        && field(thinking, "thinkingBudget").is_some()
        && field(thinking, "thinkingLevel").is_some()
    {
        return Err(ApiError::invalid_argument(
            "You can only set only one of thinking budget and thinking level.",
        ));
    }
    Ok(())
}

/// What the service refuses in `thinkingConfig` for `model`: a level on a model before Gemini 3
/// (they take a budget), or a level the model does not have (`gemini-3.8-flash` dropped
/// `MINIMAL`).
pub(crate) fn check_thinking_for(model: &str, generation_config: &Value) -> Result<(), ApiError> {
    let Value::Object(config) = generation_config else {
        return Ok(());
    };
    let Some(Value::Object(thinking)) = field(config, "thinkingConfig") else {
        return Ok(());
    };
    let Some(level) = field(thinking, "thinkingLevel").and_then(Value::as_str) else {
        return Ok(());
    };
    if !model.starts_with("gemini-3") {
        return Err(ApiError::invalid_argument(
            "Thinking level is not supported for this model.",
        ));
    }
    if model.starts_with("gemini-3.8-flash") && level.eq_ignore_ascii_case("MINIMAL") {
        let path = "generation_config.thinking_config.thinking_level";
        return Err(ApiError::invalid_field(
            path,
            format!("Invalid value at '{path}' (MINIMAL): models/{model} supports LOW, MEDIUM and HIGH"),
        ));
    }
    Ok(())
}

fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str], at: Option<&str>) -> Result<(), ApiError> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) && !allowed.contains(&to_camel(key).as_str()) {
            return Err(ApiError::unknown_field(key, at));
        }
    }
    Ok(())
}

/// Page N and count M from "page N of M" in the prompt (the analyzer's wording).
pub(crate) fn page_of(texts: &[String]) -> Option<(u32, u32)> {
    static PAGE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i)\bpage\s+(\d+)\s+of\s+(\d+)").ok());
    let re = PAGE.as_ref()?;
    texts.iter().find_map(|text| {
        let caps = re.captures(text)?;
        Some((caps.get(1)?.as_str().parse().ok()?, caps.get(2)?.as_str().parse().ok()?))
    })
}

/// Tile K and count N from "tile K of N" in the prompt (the analyzer's wording for a page read
/// in tiles).
pub(crate) fn tile_of(texts: &[String]) -> Option<(u32, u32)> {
    static TILE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i)\btile\s+(\d+)\s+of\s+(\d+)").ok());
    let re = TILE.as_ref()?;
    texts.iter().find_map(|text| {
        let caps = re.captures(text)?;
        Some((caps.get(1)?.as_str().parse().ok()?, caps.get(2)?.as_str().parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ParsedRequest, ApiError> {
        parse_generate(v.as_object().unwrap(), GENERATE_FIELDS)
    }

    #[test]
    fn snake_and_camel_case_both_read() {
        let snake = parse(json!({
            "system_instruction": {"parts": [{"text": "be terse"}]},
            "contents": [{"parts": [
                {"inline_data": {"mime_type": "image/png", "data": "AAE="}},
                {"file_data": {"file_uri": "http://x/v1beta/files/a"}},
                {"text": "This is page 3 of 7."}]}],
            "generation_config": {"max_output_tokens": 10, "thinking_config": {"thinking_budget": 0}}
        }))
        .unwrap();
        assert_eq!(snake.system_instruction.as_deref(), Some("be terse"));
        assert_eq!(snake.media.len(), 2);
        assert_eq!(page_of(&snake.texts), Some((3, 7)));
    }

    #[test]
    fn refuses_what_the_service_refuses() {
        let misplaced = parse(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"systemInstruction": "x"}}));
        assert!(
            misplaced
                .unwrap_err()
                .message
                .contains("Unknown name \"systemInstruction\"")
        );
        assert!(parse(json!({"contents": []})).is_err());
        assert!(parse(json!({"contents": [{"parts": [{"inlinedata": {}}]}]})).is_err());
        let bad = parse(json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "%%"}}]}]}));
        assert!(bad.unwrap_err().message.contains("Base64 decoding failed"));
        let both = parse(json!({"contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": 1, "thinkingLevel": "LOW"}}}));
        assert!(both.is_err());
    }

    #[test]
    fn thinking_levels_are_checked_per_model() {
        let level = |l: &str| json!({"thinkingConfig": {"thinkingLevel": l}});
        assert!(check_thinking_for("gemini-2.5-flash-lite", &level("LOW")).is_err());
        assert!(check_thinking_for("gemini-3.8-flash", &level("MINIMAL")).is_err());
        assert!(check_thinking_for("gemini-3.8-flash", &level("LOW")).is_ok());
        assert!(check_thinking_for("gemini-3-flash-preview", &level("MINIMAL")).is_ok());
        assert!(
            check_thinking_for(
                "gemini-2.5-flash-lite",
                &json!({"thinkingConfig": {"thinkingBudget": 0}})
            )
            .is_ok()
        );
        assert_eq!(tile_of(&["This image is tile 2 of 6 of the page".into()]), Some((2, 6)));
    }
}
