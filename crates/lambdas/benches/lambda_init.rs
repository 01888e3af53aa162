//! Init time of the functions under cargo-lambda's runtime emulator, for `intake`,
//! `processor` and the hello-world example (`examples/hello.rs`), all built in this run with
//! the release profile. Two figures per cold start:
//!
//! - **init**: exec → the function's first call to the runtime API (`GET
//!   /runtime/invocation/next`), which is where Lambda ends the init phase and what it reports
//!   as `Init Duration`. A pass-through proxy in front of the runtime API notes that moment.
//! - **first answer**: exec → the first invocation answered, init plus the first invocation's
//!   own work (the cold request a client waits for).
//!
//! Method (toolchain notes, "Cold start"): `cargo lambda watch --only-lambda-apis` serves the
//! Runtime and Invoke APIs without starting any function. For each run the bench queues an
//! invocation (`POST /2015-03-31/functions/_/invocations`, answered when the function
//! responds), execs the release binary with the environment the watch prints plus the
//! functions' AWS environment (moto, a provisioned stack, `AWS_LAMBDA_RUNTIME_API` pointed at
//! the proxy), and measures exec → first runtime call and exec → answer. Init holds what the
//! sandbox pays before the function asks for work: the runtime, logging, reading the
//! configuration; the first answer adds the first invocation (the processor's waits for the
//! assembly its init started in the background, SDK clients and settings, then opens its
//! DynamoDB connection against moto, which hello does not need). A
//! second invocation to the same process gives the warm latency for comparison.
//!
//! Events: intake gets an API Gateway HTTP API (v2) `GET /health`
//! (`tests/events/apigw-health.json`), processor an SQS event for an unknown job (skipped
//! after one GetItem), hello the same health event (it echoes anything).
//!
//! `DRAWINGS_BENCH_RUNS` runs per function (default 5), interleaved, after one discarded
//! warm-up run each (page cache). The target is a median init within 2x of hello-world's.
//!
//! `cargo bench -p drawings-lambdas --bench lambda_init`

#[path = "../tests/emulator/mod.rs"]
mod emulator;
#[path = "support/runtime_proxy.rs"]
mod runtime_proxy;

use drawings_aws::{AwsClients, StackResources};
use drawings_core::JobId;
use drawings_testkit::moto::MotoServer;
use emulator::{Watch, event_fixture, fill, function_env, repo_root};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

/// The functions measured, hello-world first (the anchor).
const FUNCTIONS: [&str; 3] = ["hello", "intake", "processor"];

/// The ratio to hello-world's median that the functions should stay within.
const TARGET_RATIO: f64 = 2.0;

/// How long one invocation may take before the run counts as failed.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    let runs: usize = std::env::var("DRAWINGS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let binaries = build_release();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(runs, binaries));
}

/// `cargo build --release -p drawings-lambdas --bins --examples`; the executables by name.
fn build_release() -> HashMap<String, PathBuf> {
    let started = std::time::Instant::now();
    let output = Command::new(emulator::cargo())
        .args([
            "build",
            "--release",
            "-p",
            "drawings-lambdas",
            "--bins",
            "--examples",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build --release");
    assert!(output.status.success(), "the release build failed: {}", output.status);
    let mut binaries = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if let (Some(name), Some(exe)) = (message["target"]["name"].as_str(), message["executable"].as_str())
            && FUNCTIONS.contains(&name)
        {
            binaries.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    for name in FUNCTIONS {
        assert!(
            binaries.contains_key(name),
            "the release build made no `{name}` executable"
        );
    }
    eprintln!("[bench] release build: {:.1?}", started.elapsed());
    binaries
}

/// `KEY=VALUE` pairs the watch prints for `--only-lambda-apis` (`AWS_LAMBDA_RUNTIME_API`, ...).
fn runtime_env(watch_output: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for line in watch_output.lines() {
        let Some(at) = line.find("AWS_LAMBDA_") else { continue };
        let pair = line[at..].split('\u{1b}').next().unwrap_or_default().trim();
        if let Some((key, value)) = pair.split_once('=')
            && !value.is_empty()
        {
            env.push((key.to_owned(), value.to_owned()));
        }
    }
    env
}

/// One function's measurements.
#[derive(Default)]
struct Samples {
    init: Vec<Duration>,
    first_answer: Vec<Duration>,
    warm: Vec<Duration>,
}

/// One cold start.
struct ColdStart {
    /// Exec → first call to the runtime API.
    init: Duration,
    /// Exec → first invocation answered.
    first_answer: Duration,
    /// A second invocation's latency, same process.
    warm: Duration,
}

fn median(samples: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    match ms.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    }
}

fn min_max(samples: &[Duration]) -> (f64, f64) {
    let ms = samples.iter().map(|d| d.as_secs_f64() * 1000.0);
    (ms.clone().fold(f64::INFINITY, f64::min), ms.fold(0.0, f64::max))
}

/// The event each function gets, and a check of its answer.
fn event_for(function: &str, queue_arn: &str) -> Value {
    match function {
        "processor" => {
            let now_ms = chrono::Utc::now().timestamp_millis().to_string();
            let body = json!({ "job_id": JobId::generate(), "kind": "start" }).to_string();
            let values = HashMap::from([
                ("message_id", uuid_like()),
                ("receipt_handle", format!("bench-receipt-{}", uuid_like())),
                ("body", body),
                ("receive_count", "1".to_owned()),
                ("sent_timestamp", now_ms.clone()),
                ("first_receive_timestamp", now_ms),
                ("md5_of_body", String::new()),
                ("queue_arn", queue_arn.to_owned()),
            ]);
            let mut event = event_fixture("sqs-event.json");
            fill(&mut event, &values);
            event
        }
        _ => event_fixture("apigw-health.json"),
    }
}

fn uuid_like() -> String {
    JobId::generate().to_string()
}

fn check_answer(function: &str, answer: &Value) {
    let ok = match function {
        "hello" => answer["hello"] == "world",
        "intake" => {
            answer["statusCode"] == 200
                && answer["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .is_some_and(|b| b["status"] == "ok")
        }
        "processor" => *answer == json!({ "batchItemFailures": [] }),
        _ => false,
    };
    assert!(ok, "{function} answered {answer}");
}

/// Queues an invocation of the emulator's default function; resolves to the moment the
/// answer arrived, and the answer.
fn invoke(http: &reqwest::Client, base: &str, event: &Value) -> tokio::task::JoinHandle<(Instant, Value)> {
    let request = http
        .post(format!("{base}/2015-03-31/functions/_/invocations"))
        .json(event)
        .timeout(ANSWER_TIMEOUT);
    tokio::spawn(async move {
        let resp = request.send().await.expect("the invocation");
        let status = resp.status();
        let text = resp.text().await.expect("the invocation's answer");
        let done = Instant::now();
        assert!(status.is_success(), "the invocation answered {status}: {text}");
        (done, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    })
}

struct Bench {
    http: reqwest::Client,
    base: String,
    env: Vec<(String, String)>,
    queue_arn: String,
    log_dir: PathBuf,
}

impl Bench {
    /// One cold start of `function`.
    async fn run_once(&self, function: &str, binary: &PathBuf) -> ColdStart {
        let event = event_for(function, &self.queue_arn);
        let first = invoke(&self.http, &self.base, &event);
        // Let the invocation reach the emulator's queue before the function asks for it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_dir.join(format!("lambda-init-{function}.log")))
            .expect("the function's log");
        let runtime_api = self
            .env
            .iter()
            .find_map(|(k, v)| (k == "AWS_LAMBDA_RUNTIME_API").then(|| v.clone()))
            .expect("the runtime API's address");
        let (proxy, first_request) = runtime_proxy::start(&runtime_api).await;
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", proxy)
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("exec {}: {e}", binary.display()));
        let log_path = self.log_dir.join(format!("lambda-init-{function}.log"));
        let (answered, answer) = tokio::select! {
            answer = tokio::time::timeout(ANSWER_TIMEOUT, first) => answer
                .unwrap_or_else(|_| panic!("{function} did not answer its first invocation in {ANSWER_TIMEOUT:?}"))
                .expect("the invocation task"),
            status = child.wait() => panic!(
                "{function} exited ({status:?}) before answering:\n{}\nIts log ends:\n{}",
                emulator::error_lines(&log_path, 10),
                emulator::tail(&log_path, 20)
            ),
        };
        check_answer(function, &answer);
        let first_answer = answered - started;
        let init = first_request.await.expect("the proxy saw the first request") - started;

        let event = event_for(function, &self.queue_arn);
        let sent = Instant::now();
        let (answered, answer) = tokio::time::timeout(ANSWER_TIMEOUT, invoke(&self.http, &self.base, &event))
            .await
            .unwrap_or_else(|_| panic!("{function} did not answer its second invocation"))
            .expect("the invocation task");
        check_answer(function, &answer);
        let warm = answered - sent;

        child.kill().await.ok();
        ColdStart {
            init,
            first_answer,
            warm,
        }
    }
}

async fn bench(runs: usize, binaries: HashMap<String, PathBuf>) {
    let moto = MotoServer::start().await;
    let clients = AwsClients::for_endpoint(&moto.endpoint).await;
    let suffix = drawings_testkit::unique("bench").replace('-', "");
    let resources = StackResources::create(&clients, "drawings", &suffix)
        .await
        .expect("provision the stack on moto");
    let watch = Watch::start(&["--only-lambda-apis"], &[]).await;
    let mut env = runtime_env(&watch.output());
    assert!(
        env.iter().any(|(k, _)| k == "AWS_LAMBDA_RUNTIME_API"),
        "cargo lambda watch printed no AWS_LAMBDA_RUNTIME_API:\n{}",
        watch.output()
    );
    env.retain(|(k, _)| k != "AWS_LAMBDA_FUNCTION_NAME");
    env.extend(function_env(&moto.endpoint, &resources));
    let bench = Bench {
        http: reqwest::Client::builder().no_proxy().build().expect("HTTP client"),
        base: format!("http://127.0.0.1:{}", watch.port),
        env,
        queue_arn: resources.queue_arn.clone(),
        log_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
    };
    for function in FUNCTIONS {
        File::create(bench.log_dir.join(format!("lambda-init-{function}.log"))).ok();
    }

    // One discarded run each, so every binary starts from a warm page cache.
    for function in FUNCTIONS {
        bench.run_once(function, &binaries[function]).await;
    }
    let mut samples: HashMap<&str, Samples> = HashMap::new();
    for run in 0..runs {
        for function in FUNCTIONS {
            let start = bench.run_once(function, &binaries[function]).await;
            let s = samples.entry(function).or_default();
            s.init.push(start.init);
            s.first_answer.push(start.first_answer);
            s.warm.push(start.warm);
            eprintln!(
                "[bench] run {}/{runs} {function:<9} init {:>8.2} ms  first answer {:>8.2} ms  warm {:>6.2} ms",
                run + 1,
                start.init.as_secs_f64() * 1000.0,
                start.first_answer.as_secs_f64() * 1000.0,
                start.warm.as_secs_f64() * 1000.0
            );
        }
    }
    drop(watch);
    drop(moto);

    let hello = median(&samples["hello"].init);
    let hello_answer = median(&samples["hello"].first_answer);
    println!();
    println!(
        "Lambda cold starts under `cargo lambda watch --only-lambda-apis`, release build, moto on \
         127.0.0.1, {runs} runs each; init = exec -> first runtime API call (Lambda's Init Duration), \
         first answer = exec -> first invocation answered"
    );
    println!(
        "{:<10} {:>9} {:>8} {:>8} {:>8} {:>13} {:>8} {:>12}",
        "function", "init med", "min", "max", "x hello", "1st answer med", "x hello", "warm med ms"
    );
    let mut over = Vec::new();
    for function in FUNCTIONS {
        let s = &samples[function];
        let med = median(&s.init);
        let (min, max) = min_max(&s.init);
        let ratio = med / hello;
        let answer = median(&s.first_answer);
        println!(
            "{function:<10} {med:>9.2} {min:>8.2} {max:>8.2} {ratio:>7.2}x {answer:>13.2} {:>7.2}x {:>12.2}",
            answer / hello_answer,
            median(&s.warm)
        );
        if ratio > TARGET_RATIO {
            over.push(format!("{function} ({ratio:.2}x)"));
        }
    }
    if over.is_empty() {
        println!("Target met: every function's median init is within {TARGET_RATIO}x of hello-world's.");
    } else {
        println!(
            "Target missed: {} above {TARGET_RATIO}x of hello-world's median init.",
            over.join(", ")
        );
    }
    println!("Function logs: {}/lambda-init-*.log", bench.log_dir.display());
}
