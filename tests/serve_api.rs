//! Black-box tests of `drawings serve`: the API contract, bad uploads, idempotency.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{Server, component_ids, expected_ids, files_under, fixture, upload, wait_terminal};

#[tokio::test]
async fn an_upload_is_accepted_processed_and_its_results_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, body, headers) = upload(&server, std::fs::read(fixture("security-plan.pdf")).unwrap(), None).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    assert_eq!(body["status"], "queued");
    assert_eq!(body["status_url"], format!("/status/{job_id}"));
    assert!(body["created_at"].is_string());
    assert_eq!(headers["location"], format!("/status/{job_id}").as_str());
    assert!(headers.contains_key("retry-after"));

    let done = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["stages_completed"].as_array().unwrap().len(), 5);
    assert_eq!(done["progress"]["percent"], 100.0);
    assert_eq!(done["progress"]["pages_total"], 4);
    assert!(done["usage"]["input_tokens"].is_number());

    let components: Value = reqwest::get(server.url(done["result"]["components"].as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(component_ids(&components), expected_ids("security-plan.pdf"));

    let csv = reqwest::get(server.url(done["result"]["schedule_csv"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.text().await.unwrap().starts_with("id,type,system,page"));
    let xlsx = reqwest::get(server.url(done["result"]["schedule_xlsx"].as_str().unwrap()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&xlsx[..2], b"PK");
}

#[tokio::test]
async fn status_of_a_running_job_says_when_to_poll_again_and_unknown_ids_are_404() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    for id in ["0123456789abcdef0123456789abcdef", "not-an-id", "..%2F..%2Fetc"] {
        let response = reqwest::get(server.url(&format!("/status/{id}"))).await.unwrap();
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        assert!(
            body["request_id"].is_string() && body["timestamp"].is_string(),
            "{body}"
        );
    }
    let (_, body, _) = upload(&server, std::fs::read(fixture("single-sheet.pdf")).unwrap(), None).await;
    let response = reqwest::get(server.url(body["status_url"].as_str().unwrap()))
        .await
        .unwrap();
    let status: Value = response.json().await.unwrap();
    // Either still running (then Retry-After says when to come back) or already finished.
    assert!(
        matches!(status["status"].as_str(), Some("queued" | "processing" | "completed")),
        "{status}"
    );
    let results = reqwest::get(server.url(&format!("/results/{}/nope.txt", body["job_id"].as_str().unwrap())))
        .await
        .unwrap();
    assert_eq!(results.status(), 404);
}

#[tokio::test]
async fn bad_uploads_get_stable_codes_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let client = reqwest::Client::new();
    let post = |content_type: &'static str, body: Vec<u8>| {
        client
            .post(server.url("/process-drawing"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("application/pdf", Vec::new(), 400, "EMPTY_BODY"),
        (
            "application/pdf",
            std::fs::read(fixture("not-a-pdf.txt")).unwrap(),
            400,
            "INVALID_PDF",
        ),
        ("text/plain", b"hello".to_vec(), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (
            "application/pdf",
            vec![b'%'; 200 * 1024 * 1024],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (content_type, body, want_status, want_code) in cases {
        let len = body.len();
        let response = post(content_type, body).await.unwrap();
        assert_eq!(response.status().as_u16(), want_status, "{len} bytes of {content_type}");
        let value: Value = response.json().await.unwrap();
        assert_eq!(value["error"]["code"], want_code, "{value}");
    }
    assert!(
        files_under(&dir.path().join("blobs")).is_empty(),
        "a rejected upload left files behind"
    );
}

#[tokio::test]
async fn multipart_uploads_carry_the_file_name_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let pdf = std::fs::read(fixture("single-sheet.pdf")).unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "drawing_file",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("sheet.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .text("client_name", "Acme")
        .text("project_name", "Wharf");
    let response = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let done = wait_terminal(&server, body["job_id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["file_name"], "sheet.pdf");

    let empty = reqwest::multipart::Form::new().text("client_name", "Acme");
    let response = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .multipart(empty)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_job_and_refuses_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let pdf = std::fs::read(fixture("single-sheet.pdf")).unwrap();
    let (s1, first, _) = upload(&server, pdf.clone(), Some("order-42")).await;
    let (s2, second, headers) = upload(&server, pdf, Some("order-42")).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["job_id"], second["job_id"]);
    assert_eq!(headers["idempotent-replayed"], "true");
    let (s3, third, _) = upload(
        &server,
        std::fs::read(fixture("security-plan.pdf")).unwrap(),
        Some("order-42"),
    )
    .await;
    assert_eq!(s3, 409);
    assert_eq!(third["error"]["code"], "IDEMPOTENCY_CONFLICT");
    assert_eq!(third["error"]["details"]["job_id"], first["job_id"]);
    let input_files = files_under(&dir.path().join("blobs"))
        .into_iter()
        .filter(|p| p.ends_with("input.pdf"))
        .count();
    assert_eq!(input_files, 1, "replays must not store the file again");
}

#[tokio::test]
async fn an_encrypted_pdf_fails_validation_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, body, _) = upload(&server, std::fs::read(fixture("encrypted.pdf")).unwrap(), None).await;
    assert_eq!(status, 202);
    let done = wait_terminal(&server, body["job_id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "ENCRYPTED_PDF");
    assert_eq!(done["error"]["stage"], "validation");
    assert_eq!(done["error"]["retryable"], false);
    assert_eq!(done["attempts"], 1, "a bad file is not retried");
}
