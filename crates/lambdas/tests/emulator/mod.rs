//! Test support: the three functions under cargo-lambda's runtime emulator (`cargo lambda
//! watch`), against a moto server of their own with the resources the SAM template creates.
//!
//! One [`Emulator`] per test: a moto server on a free port, a freshly provisioned stack on it
//! (`drawings_aws::provision`), and `cargo lambda watch` on another free port with the
//! environment the functions read in AWS. Which functions run:
//!
//! - by default, dev builds: `cargo run --bin <name>` children of the watch; the test binary
//!   pre-builds them once so that the first invocation only starts them;
//! - with `DRAWINGS_LAMBDA_ARTIFACTS=<dir>` (what `scripts/build-artifacts.sh` makes, e.g.
//!   `target/lambda/x86_64`; `.ci/run` sets it), the artifacts Lambda would run: the watch
//!   serves only the runtime API (`--only-lambda-apis`) and each `<dir>/<name>/bootstrap` is
//!   started as Lambda starts it, with `AWS_LAMBDA_RUNTIME_API` and the function's name and
//!   memory, and PDFium from `<dir>/pdfium-layer/lib` (the layer). Nothing is compiled.
//!
//! Everything is stopped when the [`Emulator`] is dropped, also when the test panics (its
//! logs are then kept and their paths printed).
//!
//! The test itself plays the part of Lambda's SQS event source mapping: it receives from the
//! queue on moto, hands the record to the function in the real event shape, and deletes the
//! message when the function did not report it failed.
//!
//! cargo-lambda and moto come from the repository's venv (`scripts/setup.sh`); without them
//! the tests fail with that instruction rather than skip, because CI runs the set-up first.

#![allow(dead_code)] // Each test uses a part.

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use drawings_aws::{AwsClients, StackResources};
use drawings_testkit::moto::MotoServer;
use drawings_testkit::unique;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

/// How long anything that may have to compile gets: the first invocation of a function runs
/// `cargo run`, which rebuilds when a source changed since the pre-build.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// The `.venv/bin` holding cargo-lambda; panics with the set-up instruction when it is missing.
pub fn venv_bin() -> PathBuf {
    let bin = repo_root().join(".venv/bin");
    assert!(
        bin.join("cargo-lambda").is_file(),
        "{} is missing: run scripts/setup.sh from the repository root (it installs cargo-lambda in .venv)",
        bin.join("cargo-lambda").display()
    );
    bin
}

/// `PATH` with the venv first, so that `cargo lambda` finds the `cargo-lambda` subcommand.
pub fn path_with_venv() -> String {
    let mut paths = vec![venv_bin()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths)
        .expect("PATH")
        .to_string_lossy()
        .into_owned()
}

/// The cargo that runs these tests.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The pre-build, once per test binary: `cargo build -p drawings-lambdas --bins`, so that the
/// watch's `cargo run` finds the binaries fresh.
static PREBUILT: Mutex<bool> = Mutex::new(false);

/// The environment variable naming a directory of built artifacts to run instead of dev builds.
pub const ARTIFACTS_ENV: &str = "DRAWINGS_LAMBDA_ARTIFACTS";

/// The three functions, with the memory the SAM template gives each (MB).
pub const FUNCTIONS: [(&str, u32); 3] = [("intake", 512), ("processor", 3008), ("dlq", 256)];

/// The built artifacts to run, when `DRAWINGS_LAMBDA_ARTIFACTS` names them; panics when it
/// names a directory without the three bootstraps and the layer.
pub fn artifacts_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(ARTIFACTS_ENV).filter(|v| !v.is_empty())?;
    let dir = repo_root().join(dir);
    for (name, _) in FUNCTIONS {
        let bootstrap = dir.join(name).join("bootstrap");
        assert!(
            bootstrap.is_file(),
            "{ARTIFACTS_ENV}={}: no {} (build it with scripts/build-artifacts.sh x86_64)",
            dir.display(),
            bootstrap.display()
        );
    }
    assert!(
        layer_library(&dir).is_file(),
        "{ARTIFACTS_ENV}={}: no {}",
        dir.display(),
        layer_library(&dir).display()
    );
    Some(dir)
}

/// The PDFium library of the layer built beside the bootstraps.
pub fn layer_library(artifacts: &Path) -> PathBuf {
    artifacts.join("pdfium-layer/lib/libpdfium.so")
}

mod events;
mod watch;

pub use events::*;
pub use watch::*;

/// The environment the functions read in AWS (the SAM template's variables and the ones
/// Lambda sets), pointed at moto. `aws_endpoint` goes into `AWS_ENDPOINT_URL` unchanged.
pub fn function_env(aws_endpoint: &str, resources: &StackResources) -> Vec<(String, String)> {
    let pdfium = match artifacts_dir() {
        Some(dir) => layer_library(&dir),
        None => repo_root().join(".pdfium/libpdfium.so"),
    };
    [
        ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("DRAWINGS_TABLE", resources.table.clone()),
        ("DRAWINGS_QUEUE_URL", resources.queue_url.clone()),
        ("DRAWINGS_DLQ_URL", resources.dlq_url.clone()),
        ("DRAWINGS_BUCKET", resources.bucket.clone()),
        ("DRAWINGS_ALERT_TOPIC_ARN", resources.topic_arn.clone()),
        ("PDFIUM_LIB", pdfium.display().to_string()),
        // The intake refuses to start without an API-keys parameter unless told the API is
        // open; authentication has tests of its own.
        ("DRAWINGS_AUTH", "off".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The functions under the emulator, on a stack of their own.
pub struct Emulator {
    /// Stopped first (fields drop in order), so no function outlives its moto.
    pub watch: Watch,
    /// The emulator's moto.
    pub moto: MotoServer,
    /// Clients for moto, for the test's own calls.
    pub clients: AwsClients,
    /// What was provisioned.
    pub resources: StackResources,
    /// For the emulator's HTTP APIs.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
}

impl Emulator {
    /// Pre-builds the functions (unless built artifacts are to run), starts moto, provisions
    /// a stack, and starts the watch and the functions with the functions' environment plus
    /// `extra_env`.
    pub async fn start(extra_env: &[(&str, &str)]) -> Emulator {
        venv_bin();
        let artifacts = artifacts_dir();
        if artifacts.is_none() {
            tokio::task::spawn_blocking(prebuild).await.expect("the pre-build");
        }
        let moto = MotoServer::start().await;
        let clients = AwsClients::for_endpoint(&moto.endpoint).await;
        let suffix = unique("emu").replace('-', "");
        let resources = StackResources::create(&clients, "drawings", &suffix)
            .await
            .expect("provision the stack on moto");
        // `localhost`, not 127.0.0.1: S3's endpoint rules pick path-style addressing for an IP
        // host by themselves, so only a host name shows that the functions' S3 client is
        // path-style with an endpoint from `AWS_ENDPOINT_URL` (`{bucket}.localhost` does not
        // resolve, a virtual-host request would fail).
        let port = moto.endpoint.rsplit(':').next().expect("moto's port");
        let mut env = function_env(&format!("http://localhost:{port}"), &resources);
        env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let watch = match &artifacts {
            None => Watch::start(&["--ignore-changes", "-p", "drawings-lambdas"], &env).await,
            Some(dir) => {
                let watch = Watch::start(&["--only-lambda-apis"], &[]).await;
                for (name, memory_mb) in FUNCTIONS {
                    watch.start_bootstrap(&dir.join(name).join("bootstrap"), name, memory_mb, &env);
                }
                watch
            }
        };
        let base = format!("http://127.0.0.1:{}", watch.port);
        Emulator {
            watch,
            moto,
            clients,
            resources,
            http: reqwest::Client::builder()
                .timeout(COMPILE_TIMEOUT)
                .no_proxy()
                .build()
                .expect("HTTP client"),
            base,
        }
    }

    /// A function URL path: `/lambda-url/{function}{path}`.
    pub fn url(&self, function: &str, path: &str) -> String {
        format!("{}/lambda-url/{function}{path}", self.base)
    }

    /// `POST /process-drawing` on intake with `fixtures/{name}` as `application/pdf`;
    /// returns the answer's status and JSON.
    pub async fn submit(&self, name: &str) -> (reqwest::StatusCode, Value) {
        let pdf = std::fs::read(repo_root().join("fixtures").join(name)).expect("read the fixture PDF");
        let request = self
            .http
            .post(self.url("intake", "/process-drawing"))
            .header("content-type", "application/pdf")
            .header("x-file-name", name)
            .body(pdf)
            .send();
        let resp = self
            .watch
            .guard("POST /process-drawing", request)
            .await
            .expect("POST /process-drawing");
        let status = resp.status();
        let text = resp.text().await.expect("the answer's body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, body)
    }

    /// Submits `fixtures/{name}` and returns the job id, asserting the 202.
    pub async fn submit_ok(&self, name: &str) -> String {
        let (status, body) = self.submit(name).await;
        assert_eq!(
            status,
            reqwest::StatusCode::ACCEPTED,
            "POST /process-drawing answered {body}"
        );
        body["job_id"].as_str().expect("a job_id").to_owned()
    }

    /// `GET /status/{id}` on intake: the status and JSON.
    pub async fn status(&self, job_id: &str) -> (reqwest::StatusCode, Value) {
        self.get_json(&format!("/status/{job_id}"), None).await
    }

    /// `GET path` on intake, with `key` as the API key when given: the status and JSON.
    pub async fn get_json(&self, path: &str, key: Option<&str>) -> (reqwest::StatusCode, Value) {
        let mut request = self.http.get(self.url("intake", path));
        if let Some(key) = key {
            request = request.header(drawings_api::API_KEY_HEADER, key);
        }
        let resp = self.watch.guard("GET", request.send()).await.expect("GET on intake");
        let status = resp.status();
        let text = resp.text().await.expect("the answer's body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, body)
    }

    /// Receives one message from `queue_url` (with all system attributes), hiding it for
    /// `visibility`, waiting up to `wait` seconds (at most 20) for it.
    pub async fn receive(&self, queue_url: &str, visibility: i32, wait: i32) -> Option<Message> {
        let answer = self
            .clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(1)
            .visibility_timeout(visibility)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("ReceiveMessage");
        answer.messages.unwrap_or_default().into_iter().next()
    }

    /// Deletes a received message, as the event source mapping does after a success.
    pub async fn delete(&self, queue_url: &str, message: &Message) {
        self.clients
            .sqs
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(message.receipt_handle().expect("receipt handle"))
            .send()
            .await
            .expect("DeleteMessage");
    }

    /// Invokes `function` with `event` through `cargo lambda invoke --data-file`; returns
    /// the function's answer.
    pub async fn invoke_cli(&self, function: &str, event: &Value) -> Value {
        let mut file = tempfile::Builder::new()
            .prefix("event-")
            .suffix(".json")
            .tempfile()
            .expect("a temporary event file");
        file.write_all(event.to_string().as_bytes()).expect("write the event");
        let mut command = tokio::process::Command::new(cargo());
        command
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
            ])
            .arg(self.watch.port.to_string())
            .arg("--data-file")
            .arg(file.path())
            .current_dir(repo_root())
            .env("PATH", path_with_venv())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let what = format!("cargo lambda invoke {function}");
        let output = tokio::time::timeout(COMPILE_TIMEOUT, self.watch.guard(&what, command.output()))
            .await
            .unwrap_or_else(|_| panic!("cargo lambda invoke {function} did not answer in {COMPILE_TIMEOUT:?}"))
            .expect("run cargo lambda invoke");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "cargo lambda invoke {function} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("cargo lambda invoke {function} printed no JSON ({e}): {stdout}"))
    }

    /// Invokes `function` with `event` through the Invoke API
    /// (`POST /2015-03-31/functions/{function}/invocations`); returns the answer.
    pub async fn invoke_api(&self, function: &str, event: &Value) -> Value {
        let request = self
            .http
            .post(format!("{}/2015-03-31/functions/{function}/invocations", self.base))
            .json(event)
            .send();
        let resp = self
            .watch
            .guard(&format!("invoke {function}"), request)
            .await
            .unwrap_or_else(|e| panic!("invoke {function}: {e}"));
        let status = resp.status();
        let text = resp.text().await.expect("the invocation's answer");
        assert!(status.is_success(), "invoke {function} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invoke {function} answered no JSON ({e}): {text}"))
    }
}
