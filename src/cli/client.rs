//! `drawings submit` and `drawings status`: a thin client of a running server.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

fn url(server: &str, path: &str) -> String {
    format!("{}{}", server.trim_end_matches('/'), path)
}

async fn json_of(response: reqwest::Response) -> Result<(reqwest::StatusCode, Value)> {
    let status = response.status();
    let body = response.bytes().await.context("reading the response")?;
    let value =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok((status, value))
}

/// Uploads a file; with `wait`, polls until the job finishes.
pub async fn submit(server: &str, file: &Path, wait: bool, idempotency_key: Option<&str>) -> Result<ExitCode> {
    let body = tokio::fs::read(file)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    let client = reqwest::Client::new();
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
pub async fn status(server: &str, job_id: &str) -> Result<ExitCode> {
    let response = reqwest::get(url(server, &format!("/status/{job_id}")))
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
