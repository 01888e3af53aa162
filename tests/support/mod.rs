//! Shared helpers for the black-box tests: start `drawings serve` on 127.0.0.1 with a port
//! picked by the OS, poll a job to a terminal status, read fixtures and the shared corpus.
#![allow(dead_code)]

use drawings_aws::StackResources;
use serde_json::Value;
use std::io::{BufRead, BufReader, PipeReader, PipeWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file in `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// A file of the shared corpus, or `None` (with one SKIP line) when it is absent.
pub fn corpus(path: &str) -> Option<PathBuf> {
    drawings_testkit::corpus::file(path, path)
}

/// Expected component ids of a fixture, from `<name>.expected.json`.
pub fn expected_ids(pdf_name: &str) -> Vec<String> {
    let stem = pdf_name.trim_end_matches(".pdf");
    let body = std::fs::read(fixture(&format!("{stem}.expected.json"))).expect("expected file");
    let value: Value = serde_json::from_slice(&body).expect("expected json");
    let mut ids: Vec<String> = value["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| normalize(c["id"].as_str().expect("id")))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The normalised, sorted component ids of a `components.json` body.
pub fn component_ids(components: &Value) -> Vec<String> {
    let mut ids: Vec<String> = components["components"]
        .as_array()
        .expect("components array")
        .iter()
        .map(|c| normalize(c["id"].as_str().expect("component id")))
        .collect();
    ids.sort();
    ids
}

/// Ids compared the way the schedule folds them.
pub fn normalize(id: &str) -> String {
    drawings_core::schedule::normalize_id(id)
}

/// A running `drawings serve`, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts a server on `data_dir` with extra environment variables.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawings"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--workers", "2", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            // A developer's own key must not make tests call the real Gemini.
            .env_remove("GEMINI_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start drawings serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child,
            base,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// `kill -9`.
    pub fn kill_hard(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Uploads a PDF as `application/pdf`; returns status and body.
pub async fn upload(
    server: &Server,
    body: Vec<u8>,
    idempotency_key: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .header("content-type", "application/pdf")
        .body(body);
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("POST /process-drawing");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let value = response.json::<Value>().await.expect("JSON body");
    (status, value, headers)
}

/// Polls `GET /status/{id}` until the job is terminal or `limit` passes.
pub async fn wait_terminal(server: &Server, job_id: &str, limit: Duration) -> Value {
    let started = Instant::now();
    loop {
        let value: Value = reqwest::get(server.url(&format!("/status/{job_id}")))
            .await
            .expect("GET status")
            .json()
            .await
            .expect("status JSON");
        if matches!(value["status"].as_str(), Some("completed" | "failed" | "cancelled")) {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "job {job_id} not finished after {limit:?}: {value}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Files under a directory, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Uploads a PDF as multipart with a `client_name`; returns status and body.
pub async fn upload_for_client(server: &Server, body: Vec<u8>, client_name: &str) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(body)
        .file_name("drawing.pdf")
        .mime_str("application/pdf")
        .expect("mime type");
    let form = reqwest::multipart::Form::new()
        .part("drawing_file", part)
        .text("client_name", client_name.to_owned());
    let response = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .multipart(form)
        .send()
        .await
        .expect("POST /process-drawing");
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.expect("JSON body"))
}

/// Runs `drawings <args>` on the embedded store in `data_dir` (as an operator does beside a
/// running server), feeding `stdin`; returns its output.
pub fn drawings_cli(data_dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(args)
        .env("DRAWINGS_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .env_remove("GEMINI_API_KEY")
        .env_remove("DRAWINGS_ANALYZER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drawings");
    let mut input = child.stdin.take().expect("stdin");
    // A command that never reads its input may exit first: nothing to feed then.
    if let Err(e) = input.write_all(stdin.as_bytes()) {
        eprintln!("stdin not written: {e}");
    }
    drop(input);
    child.wait_with_output().expect("drawings output")
}

/// A pipe already full: the next write to it blocks until the test reads. A redrive printing
/// to it stops right after its first job, at a known point, for a kill that is not a race.
pub fn full_pipe() -> (PipeReader, PipeWriter) {
    let (reader, writer) = std::io::pipe().unwrap();
    let mut filler = writer.try_clone().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    let progress = written.clone();
    // Writes of at most PIPE_BUF bytes are all or nothing, so the last one blocks on a
    // pipe with no room left; it ends with an error once the reader is gone.
    std::thread::spawn(move || {
        while filler.write_all(&[b'\n'; 512]).is_ok() {
            progress.fetch_add(512, Ordering::SeqCst);
        }
    });
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = written.load(Ordering::SeqCst);
        if now == last && now > 0 {
            return (reader, writer);
        }
        last = now;
    }
}

/// The environment an operator sets for `--backend aws`, pointed at moto.
pub fn aws_env(endpoint: &str, resources: &StackResources) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    env.extend(resources.resources().settings());
    env
}
