//! The README's two commands, read from the README itself, so it cannot drift from what works:
//! the first (`cargo run --release -- process FILE --out DIR`) is run with this build's
//! `drawings` and the arguments as written, and must print a schedule; the second must be the
//! command `.ci/run` runs after the same set-up. (The release build itself is what a newcomer
//! waits for; its time from a fresh clone is in the closing note of issue 11, not a test.)

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The first line of each `sh` block in the README's "The two commands" section.
fn the_two_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    let section = readme
        .split("\n## The two commands\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a \"The two commands\" section");
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.lines().next().map(str::to_owned))
        .collect()
}

#[test]
fn the_readme_main_command_processes_its_drawing_and_prints_the_schedule() {
    let commands = the_two_commands();
    let first = commands.first().expect("the main command");
    let args: Vec<&str> = first
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("the main command is a `cargo run --release -- ...`: {first}"))
        .split_whitespace()
        .collect();
    assert_eq!(args.first(), Some(&"process"), "{first}");
    // `cargo run` picks this binary among the workspace's only when the package says so.
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\ndefault-run = \"drawings\"\n"),
        "Cargo.toml needs default-run"
    );
    let out = tempfile::tempdir().unwrap();
    // Run from the repository root as a newcomer would, with the output redirected to a
    // temporary directory in place of the README's `out`.
    let at = args.iter().position(|a| *a == "--out").expect("--out");
    let mut run: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    run[at + 1] = out.path().display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(&run)
        .current_dir(ROOT)
        .env_remove("GEMINI_API_KEY")
        .env_remove("DRAWINGS_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{first}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("completed"), "{stdout}");
    assert!(stdout.contains("TYPE") && stdout.contains("TOTAL"), "{stdout}");
    for name in ["components.json", "schedule.csv", "schedule.xlsx"] {
        assert!(out.path().join(name).is_file(), "{name} missing");
    }
}

#[test]
fn the_readme_test_command_is_what_ci_runs_after_the_set_up() {
    let commands = the_two_commands();
    let second = commands.get(1).expect("the test command");
    let ci = std::fs::read_to_string(Path::new(ROOT).join(".ci/run")).expect(".ci/run");
    let steps: Vec<&str> = ci
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(steps.contains(&"bash scripts/setup.sh"), "{ci}");
    assert_eq!(steps.last(), Some(&second.as_str()), "{ci}");
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    assert!(
        readme.contains("```sh\nscripts/setup.sh\n```"),
        "the README's set-up is scripts/setup.sh"
    );
}
