//! The fake Gemini server's Files API (resumable upload, scripted states, use from
//! `generateContent`) and the `/_fake/` control routes that the `fake-gemini` binary serves.

use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, FileState, MediaVia};
use reqwest::{Client, Response};
use serde_json::{Value, json};

const KEY: &str = "test-key";

async fn start_upload(fake: &FakeGemini, len: usize) -> String {
    let resp = Client::new()
        .post(format!("{}/upload/v1beta/files", fake.base_url()))
        .header("x-goog-api-key", KEY)
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header("X-Goog-Upload-Header-Content-Length", len.to_string())
        .header("X-Goog-Upload-Header-Content-Type", "application/pdf")
        .json(&json!({"file": {"display_name": "plan.pdf"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let url = resp.headers()["x-goog-upload-url"].to_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/upload/v1beta/files?upload_id=", fake.base_url())),
        "{url}"
    );
    assert!(url.ends_with("&upload_protocol=resumable"));
    url
}

async fn chunk(url: &str, command: &str, offset: usize, bytes: &[u8]) -> Response {
    Client::new()
        .post(url)
        .header("X-Goog-Upload-Command", command)
        .header("X-Goog-Upload-Offset", offset.to_string())
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

fn status_header(resp: &Response) -> &str {
    resp.headers()
        .get("x-goog-upload-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn get_file(fake: &FakeGemini, name: &str) -> (u16, Value) {
    let resp = Client::new()
        .get(format!("{}/v1beta/{name}", fake.base_url()))
        .header("x-goog-api-key", KEY)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn generate_with_file(fake: &FakeGemini, uri: &str) -> (u16, Value) {
    let body = json!({"contents": [{"parts": [
        {"file_data": {"mime_type": "application/pdf", "file_uri": uri}}, {"text": "page 1 of 1"}]}]});
    let resp = Client::new()
        .post(format!(
            "{}/v1beta/models/gemini-3.8-flash:generateContent",
            fake.base_url()
        ))
        .header("x-goog-api-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn resumable_upload_then_processing_then_active_then_generate() {
    let options = FakeOptions {
        file_states: vec![FileState::Processing, FileState::Active],
        ..Default::default()
    };
    let fake = FakeGemini::start(options).await;
    let pdf = b"%PDF-1.7 two chunks of a drawing".to_vec();
    let url = start_upload(&fake, pdf.len()).await;

    let first = chunk(&url, "upload", 0, &pdf[..10]).await;
    assert_eq!((first.status().as_u16(), status_header(&first)), (200, "active"));
    let wrong = chunk(&url, "upload, finalize", 3, &pdf[10..]).await;
    assert_eq!(wrong.status(), 400, "offset must equal the bytes received so far");
    let last = chunk(&url, "upload, finalize", 10, &pdf[10..]).await;
    assert_eq!((last.status().as_u16(), status_header(&last)), (200, "final"));
    let file = last.json::<Value>().await.unwrap()["file"].clone();
    let name = file["name"].as_str().unwrap().to_string();
    let uri = file["uri"].as_str().unwrap().to_string();
    assert_eq!(
        file["sizeBytes"],
        json!(pdf.len().to_string()),
        "int64 as a JSON string"
    );
    assert_eq!(file["displayName"], "plan.pdf");
    assert_eq!(file["mimeType"], "application/pdf");
    assert_eq!(uri, format!("{}/v1beta/{name}", fake.base_url()));
    assert_eq!(file["state"], "PROCESSING");

    let (status, body) = generate_with_file(&fake, &uri).await;
    assert_eq!(
        (status, body["error"]["status"].as_str()),
        (400, Some("FAILED_PRECONDITION"))
    );

    assert_eq!(get_file(&fake, &name).await.1["state"], "PROCESSING");
    let (status, active) = get_file(&fake, &name).await;
    assert_eq!((status, active["state"].as_str()), (200, Some("ACTIVE")));
    assert!(active.get("file").is_none(), "GET returns the File itself");
    assert_eq!(
        get_file(&fake, &name).await.1["state"],
        "ACTIVE",
        "the last state repeats"
    );

    let (status, _) = generate_with_file(&fake, &uri).await;
    assert_eq!(status, 200);
    let recorded = fake.requests();
    let media = &recorded.last().unwrap().media[0];
    assert_eq!(media.bytes, pdf);
    assert_eq!(media.via, MediaVia::File { uri: uri.clone() });

    let uploads = fake.uploads();
    assert_eq!((uploads.len(), uploads[0].bytes.clone()), (1, pdf));
    assert_eq!(uploads[0].display_name.as_deref(), Some("plan.pdf"));

    let deleted = Client::new()
        .delete(format!("{}/v1beta/{name}", fake.base_url()))
        .header("x-goog-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (deleted.status().as_u16(), deleted.text().await.unwrap()),
        (200, "{}".to_string())
    );
    assert!(fake.uploads()[0].deleted);
    let (status, gone) = get_file(&fake, &name).await;
    assert_eq!(
        (status, gone["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    let (status, _) = generate_with_file(&fake, &uri).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn failed_processing_carries_an_error_status() {
    let options = FakeOptions {
        file_states: vec![FileState::Processing, FileState::Failed],
        ..Default::default()
    };
    let fake = FakeGemini::start(options).await;
    let url = start_upload(&fake, 3).await;
    let resp = chunk(&url, "upload, finalize", 0, b"abc").await;
    let name = resp.json::<Value>().await.unwrap()["file"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(get_file(&fake, &name).await.1["state"], "PROCESSING");
    let (_, failed) = get_file(&fake, &name).await;
    assert_eq!(failed["state"], "FAILED");
    assert!(failed["error"]["message"].is_string());
}

#[tokio::test]
async fn unknown_files_and_short_uploads_are_refused() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let (status, body) = get_file(&fake, "files/nosuchfile").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["message"],
        "You do not have permission to access the File nosuchfile or it may not exist."
    );
    let url = start_upload(&fake, 10).await;
    let short = chunk(&url, "upload, finalize", 0, b"abc").await;
    assert_eq!(
        short.status(),
        400,
        "fewer bytes than X-Goog-Upload-Header-Content-Length"
    );
    assert!(fake.uploads().is_empty());
}

#[tokio::test]
async fn control_routes_script_and_report() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let base = fake.base_url();
    let client = Client::new();
    let scripts = json!([
        {"kind": "server_error", "code": 503},
        {"kind": "reply", "text": "{\"components\":[]}"}
    ]);
    let queued: Value = client
        .post(format!("{base}/_fake/script"))
        .json(&scripts)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued["queued"], 2);
    let bad = client
        .post(format!("{base}/_fake/script"))
        .body("[{\"kind\":\"nope\"}]")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let body = json!({"contents": [{"parts": [
        {"inlineData": {"mimeType": "image/png", "data": "AAECAw=="}}, {"text": "page 4 of 4"}]}]});
    let url = format!("{base}/v1beta/models/gemini-3.8-flash:generateContent");
    for want in [503, 200, 200] {
        let resp = client
            .post(&url)
            .header("x-goog-api-key", KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), want);
    }

    let stats: Value = client
        .get(format!("{base}/_fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["generate_calls"], 3);
    assert_eq!(stats["count_token_calls"], 0);
    assert_eq!(stats["uploads"], 0);
    assert_eq!(stats["answered_pages"], json!([4, 4]));
    assert_eq!(stats["pending_scripts"], 0);

    let requests: Value = client
        .get(format!("{base}/_fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &requests[0];
    assert_eq!(first["page"], 4);
    assert_eq!(first["status"], 503);
    assert_eq!(
        first["media"][0],
        json!({"mime_type": "image/png", "len": 4, "via": {"kind": "inline"}})
    );
    assert_eq!(requests[1]["answered_ok"], true);
}
