//! Black-box fuzzing of `drawings serve` from its own `GET /openapi.json` with schemathesis
//! (pinned in `scripts/setup.sh`, installed in `.venv`). The server runs with an API key (made
//! by `drawings keys create`) and without a rate limit; schemathesis sends the examples, then
//! coverage, fuzzing and stateful cases for every operation, and checks that no answer is a
//! server error and that every answer matches the schema documented for its status.
//!
//! Two files beside this one configure the run: `schemathesis.toml` (the one 5xx the API
//! documents on purpose: `501 UPLOADS_NOT_SUPPORTED` from `POST /uploads` on the embedded
//! store) and `schemathesis_hooks.py` (random `application/pdf` bodies, half of them behind a
//! `%PDF-` header so real jobs are made and their status followed through the 202's links).

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, root};

/// The pinned version (`scripts/setup.sh`); the flags below are those of schemathesis 4.
const VERSION: &str = "4.32.5";

/// A run takes a few seconds; past this something hangs.
const TIME_LIMIT: Duration = Duration::from_secs(240);

fn schemathesis() -> PathBuf {
    let path = root().join(".venv/bin/schemathesis");
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup.sh (it installs schemathesis {VERSION} into .venv)",
        path.display()
    );
    let out = Command::new(&path)
        .arg("--version")
        .output()
        .expect("schemathesis --version");
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        version.contains(VERSION),
        "schemathesis in .venv is {version:?}, not {VERSION}: run scripts/setup.sh"
    );
    path
}

/// `drawings keys create --client schemathesis`: the key it prints.
fn create_key(data_dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_drawings"))
        // An operator key, so `GET /metrics` is tested too rather than only refused.
        .args(["keys", "create", "--client", "schemathesis", "--operator", "--data-dir"])
        .arg(data_dir)
        .env_remove("DRAWINGS_API_KEYS_FILE")
        .output()
        .expect("run drawings keys create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("drw_"), "{key:?}");
    key
}

#[test]
fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let tool = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let key = create_key(&data_dir);
    let keys_file = data_dir.join("api-keys.json");
    let server = Server::start(
        &data_dir,
        &[
            ("DRAWINGS_API_KEYS_FILE", keys_file.to_str().unwrap()),
            // Hundreds of requests in seconds: the limit would answer most of them 429.
            ("DRAWINGS_RATE_LIMIT_PER_MINUTE", "0"),
            // The fuzzed `%PDF-` bodies become jobs that fail validation, as they should: keep
            // those expected failures out of the test's output, and everything else in.
            ("RUST_LOG", "warn,drawings_core::pipeline=off"),
        ],
    );

    let log_path = dir.path().join("schemathesis.log");
    let log = File::create(&log_path).unwrap();
    let mut child = Command::new(tool)
        .arg("--config-file")
        .arg(root().join("tests/schemathesis.toml"))
        .arg("run")
        .arg(server.url("/openapi.json"))
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", "30", "--seed", "1", "--request-timeout", "10"])
        .args(["--generation-database", "none", "--no-color"])
        .arg("-H")
        .arg(format!("x-api-key: {key}"))
        .env("SCHEMATHESIS_HOOKS", root().join("tests/schemathesis_hooks.py"))
        // Reports and caches, if any, go to the temporary directory, not the repository.
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start schemathesis");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > TIME_LIMIT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(status) if status.success() => {
            // Every operation was tested: the twelve documented but `GET /openapi.json`, which
            // schemathesis leaves out as the document it loaded.
            assert!(output.contains("Operations:       11 selected / 11 total"), "{output}");
            assert!(output.contains("Tested: 11"), "{output}");
            eprintln!("schemathesis passed in {:.1} s", started.elapsed().as_secs_f64());
        }
        Some(status) => panic!("schemathesis failed ({status}):\n{output}"),
        None => panic!("schemathesis ran longer than {TIME_LIMIT:?}:\n{output}"),
    }
}
