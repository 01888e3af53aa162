//! `drawings submit`, `drawings status` and `drawings cancel`: a thin client of a running
//! server. With an API key (`DRAWINGS_API_KEY`), every request carries it in `x-api-key`.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

fn url(server: &str, path: &str) -> String {
    format!("{}{}", server.trim_end_matches('/'), path)
}

/// A client that sends `api_key` in `x-api-key` with every request.
fn http_client(api_key: Option<&str>) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = api_key {
        let mut value =
            reqwest::header::HeaderValue::from_str(key).context("DRAWINGS_API_KEY is not a valid header value")?;
        value.set_sensitive(true);
        headers.insert(drawings_api::API_KEY_HEADER, value);
    }
    // rustls on ring (see the workspace's `rustls`); a provider installed earlier stays.
    rustls::crypto::ring::default_provider().install_default().ok();
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .context("building the HTTP client")
}

async fn json_of(response: reqwest::Response) -> Result<(reqwest::StatusCode, Value)> {
    let status = response.status();
    let body = response.bytes().await.context("reading the response")?;
    let value =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok((status, value))
}

/// Uploads a file; with `wait`, polls until the job finishes.
pub async fn submit(
    server: &str,
    file: &Path,
    wait: bool,
    idempotency_key: Option<&str>,
    api_key: Option<&str>,
) -> Result<ExitCode> {
    let body = tokio::fs::read(file)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    let client = http_client(api_key)?;
    let mut request = client
        .post(url(server, "/process-drawing"))
        .header("content-type", "application/pdf")
        .body(body);
    if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
        request = request.header("x-file-name", name);
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let (status, value) = json_of(
        request
            .send()
            .await
            .with_context(|| format!("connecting to {server}"))?,
    )
    .await?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    if !status.is_success() {
        return Ok(ExitCode::FAILURE);
    }
    if !wait {
        return Ok(ExitCode::SUCCESS);
    }
    let Some(job_id) = value.get("job_id").and_then(Value::as_str) else {
        bail!("the server answered without a job_id")
    };
    loop {
        let response = client.get(url(server, &format!("/status/{job_id}"))).send().await?;
        let pause = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (status, value) = json_of(response).await?;
        let state = value.get("status").and_then(Value::as_str).unwrap_or("");
        if !status.is_success() || matches!(state, "completed" | "failed" | "cancelled") {
            println!("{}", serde_json::to_string_pretty(&value)?);
            return Ok(if state == "completed" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        tokio::time::sleep(Duration::from_secs(pause.unwrap_or(2).clamp(1, 10))).await;
    }
}

/// Prints a job's status.
pub async fn status(server: &str, job_id: &str, api_key: Option<&str>) -> Result<ExitCode> {
    let request = http_client(api_key)?.get(url(server, &format!("/status/{job_id}")));
    print_answer(server, request).await
}

/// Cancels a queued or processing job (`DELETE /jobs/{id}`) and prints its status; exits 1
/// when the server refuses (unknown id, or a job that has already completed or failed).
pub async fn cancel(server: &str, job_id: &str, api_key: Option<&str>) -> Result<ExitCode> {
    let request = http_client(api_key)?.delete(url(server, &format!("/jobs/{job_id}")));
    print_answer(server, request).await
}

/// Sends `request`, prints the JSON answer, and exits 1 unless it was a success.
async fn print_answer(server: &str, request: reqwest::RequestBuilder) -> Result<ExitCode> {
    let response = request
        .send()
        .await
        .with_context(|| format!("connecting to {server}"))?;
    let (status, value) = json_of(response).await?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
