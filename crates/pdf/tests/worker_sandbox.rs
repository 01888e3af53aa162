//! What a PDF worker can reach, seen from inside: a stand-in for Tesseract, which the worker
//! starts and which inherits its environment and its Landlock domain, reports what it finds
//! as the words of its OCR answer. Whatever code a hostile PDF got to run in the worker could
//! reach no more than this.
#![cfg(target_os = "linux")]

use drawings_core::ports::{PdfEngine, RenderOptions, TextSource};
use drawings_pdf::{INHERITED_VARIABLES, IsolatedPdfEngine, IsolationLimits, OcrSettings, WorkerCommand};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use drawings_testkit::fixtures::pdf::image_only_pdf;

/// The service's secrets, as a deployment's environment holds them.
const SECRETS: [(&str, &str); 4] = [
    ("GEMINI_API_KEY", "canary-gemini-key"),
    ("DRAWINGS_CALLBACK_SECRET", "canary-callback-secret"),
    ("AWS_SECRET_ACCESS_KEY", "canary-aws-secret"),
    ("AWS_SESSION_TOKEN", "canary-aws-session"),
];
/// Set in the copy of this test run with [`SECRETS`] in its environment.
const WITH_SECRETS: &str = "DRAWINGS_TEST_WITH_SECRETS";

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drawings-worker-sandbox-{}/{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A stand-in for Tesseract: a bash script (for `/dev/tcp`) that reads the image, then prints
/// one OCR word per line `report` writes on its stdout.
fn probe(name: &str, report: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch_dir("probes").join(name);
    let script = format!(
        r#"#!/bin/bash
cat >/dev/null
printf 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n'
n=1
{{
{report}
}} | while read -r word; do
  printf '5\t1\t1\t1\t1\t%s\t%s\t100\t40\t20\t95\t%s\n' "$n" "$((n * 60))" "$word"
  n=$((n + 1))
done
"#
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The words the worker's Tesseract (`program`) answered for a scanned page.
fn words_from(program: &Path) -> (IsolatedPdfEngine, Vec<String>) {
    let ocr = OcrSettings {
        program: program.to_path_buf(),
        ..OcrSettings::default()
    };
    let command = WorkerCommand {
        program: env!("CARGO_BIN_EXE_drawings-pdf-worker").into(),
        args: ocr.to_args(),
    };
    let engine = IsolatedPdfEngine::new(command, IsolationLimits::default());
    let options = RenderOptions {
        dpi: 50.0,
        ..RenderOptions::default()
    };
    let page = engine.extract_page(&image_only_pdf(), 0, &options).unwrap();
    assert_eq!(page.text.source, TextSource::Ocr, "the probe ran");
    let words = page.text.runs.iter().map(|run| run.text.clone()).collect();
    (engine, words)
}

#[test]
fn a_worker_sees_none_of_the_services_secrets() {
    // This process's environment cannot be changed safely while tests run on other threads:
    // the test runs again in a process started with the secrets, as a service would be.
    if std::env::var_os(WITH_SECRETS).is_none() {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "a_worker_sees_none_of_the_services_secrets", "--nocapture"])
            .envs(SECRETS)
            .env(WITH_SECRETS, "1")
            .status()
            .unwrap();
        assert!(status.success(), "the run with secrets failed: {status}");
        return;
    }
    for (name, value) in SECRETS {
        assert_eq!(std::env::var(name).as_deref(), Ok(value), "the service holds {name}");
    }
    let (_, names) = words_from(&probe("environment", "env | cut -d= -f1"));
    // Tesseract gets one variable of the worker's own; bash adds its usual ones.
    let expected: Vec<&str> = INHERITED_VARIABLES
        .iter()
        .copied()
        .chain(["OMP_THREAD_LIMIT", "PWD", "SHLVL", "OLDPWD", "_"])
        .collect();
    let unexpected: Vec<&String> = names.iter().filter(|name| !expected.contains(&name.as_str())).collect();
    assert!(unexpected.is_empty(), "the worker passed on {unexpected:?}");
    assert!(
        names.iter().any(|name| name == "PATH"),
        "the probe listed the environment: {names:?}"
    );
}

/// The Landlock ABI this kernel enforces at least (1, or 4 with TCP rules), or `None`; asked
/// by restricting a thread of its own that then ends (a restriction binds only the thread
/// that makes it and the threads and processes it starts).
fn kernel_landlock_abi() -> Option<u32> {
    use landlock::{ABI, Access, AccessFs, AccessNet, RulesetAttr, RulesetStatus};
    std::thread::spawn(|| {
        let status = landlock::Ruleset::default()
            .handle_access(AccessFs::from_all(ABI::V1))
            .and_then(|r| r.handle_access(AccessNet::from_all(ABI::V4)))
            .and_then(|r| r.create())
            .and_then(|r| r.restrict_self())
            .ok()?;
        match status.ruleset {
            RulesetStatus::FullyEnforced => Some(4),
            RulesetStatus::PartiallyEnforced => Some(1),
            RulesetStatus::NotEnforced => None,
        }
    })
    .join()
    .unwrap()
}

#[test]
fn a_worker_cannot_read_the_data_directory_or_the_services_environment_or_connect_out() {
    let Some(abi) = kernel_landlock_abi() else {
        eprintln!("SKIP: this kernel does not enforce Landlock; the worker runs unconfined here");
        return;
    };
    let data = scratch_dir("data");
    let secret = data.join("drawings.sqlite3");
    std::fs::write(&secret, "every tenant's jobs").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = std::process::id();
    let (engine, words) = words_from(&probe(
        "reach",
        &format!(
            r#"cat '{secret}' >/dev/null 2>&1 && echo read-data || echo no-read-data
echo x 2>/dev/null >'{data}/written' && echo write-data || echo no-write-data
echo x 2>/dev/null >/tmp/drawings-sandbox-written-{service} && echo write-tmp || echo no-write-tmp
cat /proc/{service}/environ >/dev/null 2>&1 && echo read-environ || echo no-read-environ
(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo connect || echo no-connect
cat /etc/ld.so.cache >/dev/null 2>&1 && echo read-system || echo no-read-system"#,
            secret = secret.display(),
            data = data.display(),
        ),
    ));
    let confinement = engine.confinement().expect("the worker reports what confines it");
    assert!(confinement.files_confined(), "{confinement:?}");
    let mut expected = vec!["no-read-data", "no-write-data", "no-write-tmp", "no-read-environ"];
    expected.push(if abi >= 4 { "no-connect" } else { "connect" });
    expected.push("read-system");
    assert_eq!(words, expected, "{confinement:?}");
    if abi >= 4 {
        assert!(confinement.tcp_denied(), "{confinement:?}");
        assert!(listener.accept().is_err(), "nothing connected");
    }
    std::fs::remove_dir_all(&data).unwrap();
}
