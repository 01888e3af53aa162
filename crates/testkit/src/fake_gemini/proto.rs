//! The proto3 JSON mapping as the service's parsers apply it: a field may be spelt in
//! lowerCamelCase or as the snake_case proto name, and `bytes` are base64 in the standard or
//! the URL-safe alphabet, padded or not. A fake stricter than this would fail clients that
//! the service accepts; one looser would pass clients it refuses.

use super::envelope::ApiError;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

/// Parses the body as a JSON object.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Expected an object at the top level.",
        )),
        Err(e) => Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. {e}"
        ))),
    }
}

/// Looks a field up by its camelCase name or the snake_case proto name.
pub(crate) fn field<'a>(obj: &'a Map<String, Value>, camel: &str) -> Option<&'a Value> {
    obj.get(camel).or_else(|| obj.get(&to_snake(camel)))
}

pub(crate) fn to_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn to_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for (i, c) in snake.chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// proto3 `bytes`: the standard or the URL-safe alphabet, padded or not.
pub(crate) fn decode_base64(data: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let standard: String = data
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    LENIENT.decode(standard).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_in_every_proto3_spelling() {
        for s in ["+/8=", "+/8", "-_8=", "-_8"] {
            assert_eq!(decode_base64(s), Some(vec![0xfb, 0xff]), "{s}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn names_convert_both_ways() {
        assert_eq!(to_snake("systemInstruction"), "system_instruction");
        assert_eq!(to_camel("max_output_tokens"), "maxOutputTokens");
        assert_eq!(to_camel("_responseJsonSchema"), "_responseJsonSchema");
    }
}
