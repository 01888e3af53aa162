//! Black-box: `drawings serve` counts and times its work on `GET /metrics`, reports each
//! job's cost on `GET /status`, `drawings report` sums exactly those costs, and every log line
//! of a request or a job names it.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Server, drawings_cli, fixture, upload, upload_for_client, wait_terminal};

fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
        .parse()
        .expect("a number")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
}

#[tokio::test]
async fn metrics_status_costs_and_the_report_agree_after_two_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let before = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(metric_value(&before, "drawings_jobs_completed_total"), 0.0);

    let (code, plain, _) = upload(&server, std::fs::read(fixture("security-plan.pdf")).unwrap(), None).await;
    assert_eq!(code, 202, "{plain}");
    let (code, acme) = upload_for_client(&server, std::fs::read(fixture("single-sheet.pdf")).unwrap(), "acme").await;
    assert_eq!(code, 202, "{acme}");
    let mut views = Vec::new();
    for accepted in [&plain, &acme] {
        let view = wait_terminal(&server, accepted["job_id"].as_str().unwrap(), Duration::from_secs(120)).await;
        assert_eq!(view["status"], "completed", "{view}");
        views.push(view);
    }

    // Every status shows a cost: Gemini (none with the text layer), compute and requests.
    for view in &views {
        let cost = &view["cost"];
        assert_eq!(cost["gemini_usd"], view["usage"]["usd"], "{view}");
        assert!(cost["compute_seconds"].as_f64().unwrap() > 0.0, "{cost}");
        assert!(cost["compute_usd"].as_f64().unwrap() > 0.0, "{cost}");
        assert!(cost["requests_usd"].as_f64().unwrap() > 0.0, "{cost}");
        let parts = ["gemini_usd", "compute_usd", "requests_usd"].map(|k| cost[k].as_f64().unwrap());
        assert!(close(cost["total_usd"].as_f64().unwrap(), parts.iter().sum()), "{cost}");
        assert_eq!(cost["basis"], "as_if_lambda");
        assert_eq!(cost["memory_mb"], 3008);
        assert_eq!(cost["requests"]["invocations"], 1);
        assert!(cost["requests"]["blob_put"].as_u64().unwrap() >= 5, "{cost}");
        assert!(cost["as_of"].is_string(), "{cost}");
        println!("{}: {cost}", view["job_id"]);
    }
    let pages: u64 = views
        .iter()
        .map(|v| v["progress"]["pages_total"].as_u64().unwrap())
        .sum();

    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    assert_eq!(metric_value(&text, "drawings_jobs_completed_total"), 2.0);
    assert_eq!(metric_value(&text, "drawings_pages_processed_total"), pages as f64);
    for stage in [
        "validation",
        "pdf_processing",
        "drawing_analysis",
        "schedule_generation",
        "evaluation",
    ] {
        let labels = format!("{{stage=\"{stage}\"}}");
        assert_eq!(
            metric_value(&text, &format!("drawings_stage_duration_seconds_count{labels}")),
            2.0
        );
        assert!(metric_value(&text, &format!("drawings_stage_duration_seconds_sum{labels}")) > 0.0);
    }
    assert_eq!(metric_value(&text, "drawings_queue_wait_seconds_count"), 2.0);
    assert_eq!(metric_value(&text, "drawings_delivery_duration_seconds_count"), 2.0);

    // The report, run beside the server on the same store, sums the same per-job figures.
    let out = drawings_cli(dir.path(), &["report", "--since", "1h", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let total = &report["total"];
    assert_eq!(total["jobs"], 2);
    assert_eq!(total["pages"], pages);
    assert_eq!(report["statuses"]["completed"], 2);
    for key in [
        "total_usd",
        "gemini_usd",
        "compute_usd",
        "requests_usd",
        "compute_seconds",
    ] {
        let per_job: f64 = views.iter().map(|v| v["cost"][key].as_f64().unwrap()).sum();
        assert!(
            close(total[key].as_f64().unwrap(), per_job),
            "{key}: {total} vs {per_job}"
        );
    }
    // Authentication is off: the form's `client_name` makes no owner, so both jobs are
    // under no client ("-").
    let clients = report["by_client"].as_array().unwrap();
    assert_eq!(clients.len(), 1, "{clients:?}");
    assert_eq!(clients[0][0], "-", "{clients:?}");
    let both: f64 = views.iter().map(|v| v["cost"]["total_usd"].as_f64().unwrap()).sum();
    assert!(close(clients[0][1]["total_usd"].as_f64().unwrap(), both), "{clients:?}");
    let text = drawings_cli(dir.path(), &["report", "--since", "1h"], "");
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("2 jobs") && !text.contains("acme"), "{text}");
    println!("{text}");
}

/// A server whose JSON logs go to a file.
struct LoggedServer {
    child: std::process::Child,
    base: String,
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[tokio::test]
async fn every_log_line_of_a_request_names_the_request_and_every_pipeline_line_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(["serve", "--addr", "127.0.0.1:0", "--workers", "1", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "debug,hyper=info,h2=info,tower=info")
        .env("DRAWINGS_LOG_FORMAT", "json")
        .env_remove("GEMINI_API_KEY")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("start drawings serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = LoggedServer {
        base: line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_owned(),
        child,
    };
    let accepted: Value = reqwest::Client::new()
        .post(format!("{}/process-drawing", server.base))
        .header("content-type", "application/pdf")
        .header("x-request-id", "req-logs-1")
        .body(std::fs::read(fixture("single-sheet.pdf")).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    loop {
        let view: Value = reqwest::get(format!("{}/status/{job_id}", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if view["status"] == "completed" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = logs.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let span_field = |line: &Value, field: &str| -> Option<String> {
        line["spans"]
            .as_array()?
            .iter()
            .find_map(|s| s[field].as_str().map(str::to_owned))
    };
    let accepted_line = lines
        .iter()
        .find(|l| l["fields"]["message"] == "Job accepted.")
        .unwrap_or_else(|| panic!("no 'Job accepted.' line in\n{logs}"));
    assert_eq!(span_field(accepted_line, "request_id").as_deref(), Some("req-logs-1"));
    assert_eq!(accepted_line["fields"]["job_id"], job_id.as_str());
    let pipeline: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["target"].as_str().is_some_and(|t| {
                ["drawings_core::pipeline", "drawings_textlayer", "drawings_pdf"]
                    .iter()
                    .any(|p| t.starts_with(p))
            })
        })
        .collect();
    assert!(pipeline.len() >= 5, "expected pipeline lines in\n{logs}");
    for line in pipeline {
        assert_eq!(span_field(line, "job_id").as_deref(), Some(job_id.as_str()), "{line}");
    }
}
