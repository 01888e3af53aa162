//! Helpers shared by the fake Gemini server's test files.
#![allow(dead_code)] // each test file uses its own subset

use base64::Engine as _;
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions};
use serde_json::{Value, json};

pub const KEY: &str = "test-key";
pub const MODEL: &str = "gemini-3.8-flash";

pub async fn fake() -> FakeGemini {
    FakeGemini::start(FakeOptions::default()).await
}

pub fn page_request(page: u32, png: &[u8]) -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You find access-control devices."}]},
        "contents": [{"role": "user", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": base64::engine::general_purpose::STANDARD.encode(png)}},
            {"text": format!("This is page {page} of 9 of the drawing set.")}
        ]}],
        "generationConfig": {"responseMimeType": "application/json", "maxOutputTokens": 4096}
    })
}

/// POSTs to a model method and returns the status, the headers and the body text.
pub async fn call(
    fake: &FakeGemini,
    method: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, String) {
    let url = format!("{}/v1beta/models/{MODEL}:{method}", fake.base_url());
    let mut req = reqwest::Client::new().post(url).json(body);
    if let Some(key) = key {
        req = req.header("x-goog-api-key", key);
    }
    let resp = req.send().await.expect("fake reachable");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

pub fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn answer_text(body: &Value) -> String {
    body["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["thought"] != json!(true))
        .filter_map(|p| p["text"].as_str())
        .collect()
}
