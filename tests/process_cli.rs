//! Black-box tests of `drawings process`, the README's main command.

mod support;

use serde_json::Value;
use std::process::Command;
use support::{component_ids, expected_ids, fixture, normalize};

fn drawings() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawings"));
    cmd.env_remove("DRAWINGS_DATA_DIR")
        .env_remove("GEMINI_API_KEY")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn process_prints_the_components_and_writes_the_three_files() {
    let out = tempfile::tempdir().unwrap();
    let output = drawings()
        .arg("process")
        .arg(fixture("security-plan.pdf"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = expected_ids("security-plan.pdf");
    for name in ["components.json", "schedule.csv", "schedule.xlsx"] {
        assert!(out.path().join(name).is_file(), "{name} missing");
    }
    let components: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("components.json")).unwrap()).unwrap();
    assert_eq!(component_ids(&components), expected);
    let printed: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.split("  ").next())
        .map(|s| normalize(s.trim()))
        .collect();
    for id in expected.iter().take(5) {
        assert!(printed.contains(id), "{id} not in the summary:\n{stdout}");
    }
}

#[test]
fn process_of_a_text_file_fails_with_its_code() {
    let out = tempfile::tempdir().unwrap();
    let output = drawings()
        .arg("process")
        .arg(fixture("not-a-pdf.txt"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("INVALID_PDF"));
    assert!(!out.path().join("components.json").exists());
}

#[test]
fn process_of_an_encrypted_pdf_fails_with_its_code() {
    let out = tempfile::tempdir().unwrap();
    let output = drawings()
        .arg("process")
        .arg(fixture("encrypted.pdf"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("ENCRYPTED_PDF"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn process_with_gemini_named_and_no_key_runs_the_text_layer_and_says_why() {
    let out = tempfile::tempdir().unwrap();
    let output = drawings()
        .env("DRAWINGS_ANALYZER", "gemini")
        .arg("process")
        .arg(fixture("security-plan.pdf"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("text layer instead of Gemini") && stderr.contains("GEMINI_API_KEY is not set"),
        "stderr: {stderr}"
    );
    let components: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("components.json")).unwrap()).unwrap();
    assert_eq!(component_ids(&components), expected_ids("security-plan.pdf"));
}
