//! The deployment artifacts' glibc guard: `scripts/check-glibc.sh`, which
//! `scripts/build-artifacts.sh` and `sam build` (sam/Makefile) run on every bootstrap and on
//! the PDFium layer, and, when `DRAWINGS_LAMBDA_ARTIFACTS` names built artifacts (`.ci/run`
//! builds them with `scripts/build-artifacts.sh x86_64` and sets it), the artifacts themselves:
//! nothing in them may need a glibc newer than provided.al2023's 2.34, or Lambda could not
//! start it. (The emulator tests, `runtime_emulator.rs`, then run those same artifacts.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The glibc of Amazon Linux 2023, Lambda's `provided.al2023`.
const AL2023_GLIBC: &str = "2.34";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

fn check_glibc(floor: &str, files: &[&Path]) -> Output {
    Command::new("bash")
        .arg(repo_root().join("scripts/check-glibc.sh"))
        .arg(floor)
        .args(files)
        .output()
        .expect("run scripts/check-glibc.sh")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn glibc_check_fails_naming_the_symbols_of_a_binary_that_needs_a_newer_glibc() {
    // Any glibc-linked binary needs a version above 2.2 (x86_64's oldest is GLIBC_2.2.5), so
    // this holds on every build machine, whatever its own glibc.
    let binary = Path::new(env!("CARGO_BIN_EXE_dlq"));
    let out = check_glibc("2.2", &[binary]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("@GLIBC_2."),
        "the offending symbols are named: {stderr}"
    );
    assert!(stderr.contains("built for a newer glibc than 2.2"), "{stderr}");

    let out = check_glibc("99.0", &[binary]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("<= 99.0"), "{}", text(&out.stdout));
}

#[test]
fn glibc_check_refuses_what_is_not_a_dynamically_linked_elf() {
    let readme = repo_root().join("README.md");
    let out = check_glibc(AL2023_GLIBC, &[&readme]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let missing = repo_root().join("target/no-such-bootstrap");
    assert_eq!(check_glibc(AL2023_GLIBC, &[&missing]).status.code(), Some(2));
}

#[test]
fn built_bootstraps_and_pdfium_layer_need_no_glibc_above_al2023s() {
    let Some(dir) = std::env::var_os("DRAWINGS_LAMBDA_ARTIFACTS").filter(|v| !v.is_empty()) else {
        eprintln!(
            "not checked: DRAWINGS_LAMBDA_ARTIFACTS is unset (.ci/run sets it after \
             scripts/build-artifacts.sh x86_64)"
        );
        return;
    };
    let dir = repo_root().join(dir);
    let files: Vec<PathBuf> = ["intake", "processor", "dlq"]
        .iter()
        .map(|f| dir.join(f).join("bootstrap"))
        .chain([dir.join("pdfium-layer/lib/libpdfium.so")])
        .collect();
    for f in &files {
        assert!(f.is_file(), "{} is missing", f.display());
    }
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = check_glibc(AL2023_GLIBC, &refs);
    assert!(
        out.status.success(),
        "an artifact would not start on provided.al2023:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // What the build recorded: the architecture, and each file with its newest glibc.
    let summary = std::fs::read_to_string(dir.join("artifacts.txt")).expect("artifacts.txt");
    assert!(summary.contains(&format!("glibc floor: {AL2023_GLIBC}")), "{summary}");
    eprintln!("{summary}");
}
