//! Black-box conformance of `drawings inspect --json`: on our fixtures, and on every file of
//! the shared corpus (`../shared/corpus/MANIFEST.tsv`: malformed files, fuzzer crash
//! reproducers, decompression and CPU bombs, encrypted files, real drawings). Every run must
//! end on its own within a wall-clock limit, not by a signal or a panic, with exit 0 and a
//! report or exit 1 and an error code. The corpus test prints counts per code and per
//! manifest category and the slowest files (run with `--nocapture` to see them).

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::fixture;

/// Longest a single `inspect` may take before it is killed and counted as a failure. Generous:
/// the CPU bombs take PDFium tens of seconds per page, and the per-page limit of the PDF
/// worker (DRAWINGS_PAGE_TIMEOUT_SECS) is what is meant to stop them first.
const WALL_LIMIT: Duration = Duration::from_secs(120);
/// Runs at a time: the test machines have two cores.
const PARALLEL: usize = 2;
/// Slowest files listed in the report.
const SLOWEST_SHOWN: usize = 12;

fn inspect(file: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drawings"));
    command.arg("inspect").arg(file).arg("--json").env("RUST_LOG", "warn");
    command
}

/// The `{"error":{"code","message"}}` of a refused file, or a description of what is wrong
/// with the output.
fn error_code(stdout: &str) -> Result<String, String> {
    let value: Value =
        serde_json::from_str(stdout.trim()).map_err(|e| format!("stdout is not JSON ({e}): {stdout:?}"))?;
    let code = value["error"]["code"]
        .as_str()
        .ok_or_else(|| format!("no error.code in {stdout:?}"))?;
    if value["error"]["message"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no error.message in {stdout:?}"));
    }
    let upper_snake = !code.is_empty()
        && code.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && !code.starts_with('_')
        && !code.ends_with('_');
    if upper_snake {
        Ok(code.to_owned())
    } else {
        Err(format!("code {code:?} is not UPPER_SNAKE"))
    }
}

/// A report of a file that can be processed: every page summarized.
fn check_report(stdout: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(stdout.trim()).map_err(|e| format!("stdout is not JSON ({e}): {stdout:?}"))?;
    let pages = value["pages"].as_array().ok_or("no pages array")?;
    let count = value["page_count"].as_u64().ok_or("no page_count")?;
    if pages.len() as u64 != count || count == 0 {
        return Err(format!("{} page summaries for page_count {count}", pages.len()));
    }
    for key in ["file", "bytes", "warnings"] {
        if value.get(key).is_none() {
            return Err(format!("no {key}"));
        }
    }
    Ok(value)
}

#[test]
fn inspect_reports_the_security_plan_page_by_page() {
    let output = inspect(&fixture("security-plan.pdf")).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = check_report(&stdout).unwrap_or_else(|problem| panic!("{problem}"));
    assert_eq!(report["page_count"], 4);
    assert_eq!(report["pdf_version"], "1.7");
    let pages = report["pages"].as_array().unwrap();
    assert_eq!(pages[2]["rotation"], 90);
    assert_eq!(pages[3]["looks_scanned"], true);
    assert_eq!(pages[3]["images"], 1);
    assert_eq!(pages[0]["looks_scanned"], false);
    assert!(pages[0]["text_chars"].as_u64().unwrap() > 400, "{}", pages[0]);
    assert_eq!(pages[0]["unreadable_chars"], 0);
}

#[test]
fn inspect_of_a_text_file_exits_1_with_invalid_pdf() {
    for json in [true, false] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_drawings"));
        command.arg("inspect").arg(fixture("not-a-pdf.txt"));
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "--json {json}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(error_code(&stdout).as_deref(), Ok("INVALID_PDF"), "--json {json}");
    }
}

/// One corpus file and what the manifest says about it.
struct Entry {
    path: String,
    category: String,
    notes: String,
}

/// How one run ended.
struct Run {
    entry: Entry,
    /// `OK`, an error code, or `TIMEOUT` / `SIGNAL` / `PANIC` / `BAD_OUTPUT` for a failure.
    outcome: String,
    elapsed: Duration,
    problem: Option<String>,
}

fn manifest(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            Some(Entry {
                path: (*columns.first()?).to_owned(),
                category: (*columns.get(1)?).to_owned(),
                notes: columns.get(7).copied().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// Runs `inspect` on one file with stdout and stderr in files (a pipe could fill and stall
/// the child), polling until it exits or the limit passes.
fn run_one(dir: &Path, scratch: &Path, slot: usize, entry: Entry) -> Run {
    let out_path = scratch.join(format!("{slot}.out"));
    let err_path = scratch.join(format!("{slot}.err"));
    let started = Instant::now();
    let child = File::create(&out_path).and_then(|out| {
        let err = File::create(&err_path)?;
        inspect(&dir.join(&entry.path))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
    });
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            let problem = Some(format!("cannot start drawings: {e}"));
            return Run {
                entry,
                outcome: "BAD_OUTPUT".into(),
                elapsed: started.elapsed(),
                problem,
            };
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > WALL_LIMIT => {
                let _killed = child.kill();
                let _reaped = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let elapsed = started.elapsed();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let tail = |text: &str| {
        text.chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    let (outcome, problem) = match status {
        None => (
            "TIMEOUT".to_owned(),
            Some(format!("still running after {WALL_LIMIT:?}; killed")),
        ),
        Some(status) if status.signal().is_some() => (
            "SIGNAL".to_owned(),
            Some(format!(
                "killed by signal {:?}; stderr: {}",
                status.signal(),
                tail(&stderr)
            )),
        ),
        Some(_) if stderr.contains("panicked") => ("PANIC".to_owned(), Some(format!("stderr: {}", tail(&stderr)))),
        Some(status) => match status.code() {
            Some(0) => match check_report(&stdout) {
                Ok(_) => ("OK".to_owned(), None),
                Err(problem) => ("BAD_OUTPUT".to_owned(), Some(problem)),
            },
            Some(1) => match error_code(&stdout) {
                Ok(code) => (code, None),
                Err(problem) => (
                    "BAD_OUTPUT".to_owned(),
                    Some(format!("{problem}; stderr: {}", tail(&stderr))),
                ),
            },
            other => (
                "BAD_OUTPUT".to_owned(),
                Some(format!("exit status {other:?}; stderr: {}", tail(&stderr))),
            ),
        },
    };
    Run {
        entry,
        outcome,
        elapsed,
        problem,
    }
}

/// What the manifest says this file must give, if anything: files that need a password
/// (PDFium's own verdict in the notes is "Incorrect password") are `ENCRYPTED_PDF`; the
/// others in `encrypted` open with the empty password and may be processed. Real drawings
/// and the well-formed samples must be processable.
fn expected_outcome(entry: &Entry) -> Option<&'static str> {
    match entry.category.as_str() {
        "encrypted" if entry.notes.contains("Incorrect password") => Some("ENCRYPTED_PDF"),
        "drawing" | "valid" => Some("OK"),
        _ => None,
    }
}

#[test]
fn inspect_ends_every_corpus_file_with_a_report_or_an_error_code() {
    let Some(dir) = drawings_testkit::corpus::dir("inspect_ends_every_corpus_file_with_a_report_or_an_error_code")
    else {
        return;
    };
    let entries = manifest(&dir);
    assert!(entries.len() > 100, "MANIFEST.tsv lists {} files", entries.len());
    let total = entries.len();
    let scratch = tempfile::tempdir().unwrap();
    let queue = Mutex::new(entries.into_iter().collect::<VecDeque<Entry>>());
    let runs = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for slot in 0..PARALLEL {
            let (queue, runs, dir, scratch) = (&queue, &runs, &dir, scratch.path());
            scope.spawn(move || {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .pop_front();
                    let Some(entry) = next else { break };
                    let run = run_one(dir, scratch, slot, entry);
                    runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(run);
                }
            });
        }
    });
    let mut runs = runs.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    assert_eq!(runs.len(), total);

    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_category: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for run in &runs {
        *per_code.entry(&run.outcome).or_default() += 1;
        *per_category
            .entry(&run.entry.category)
            .or_default()
            .entry(&run.outcome)
            .or_default() += 1;
    }
    println!(
        "\ndrawings inspect over {total} corpus files in {:.0?} ({PARALLEL} at a time)",
        started.elapsed()
    );
    println!("\nper outcome:");
    for (code, count) in &per_code {
        println!("  {code:<20} {count:>4}");
    }
    println!("\nper category:");
    for (category, codes) in &per_category {
        let line: Vec<String> = codes.iter().map(|(code, count)| format!("{code} {count}")).collect();
        println!("  {category:<10} {}", line.join(", "));
    }
    runs.sort_by_key(|run| std::cmp::Reverse(run.elapsed));
    println!("\nslowest:");
    for run in runs.iter().take(SLOWEST_SHOWN) {
        println!(
            "  {:>7.2}s  {:<16} {}",
            run.elapsed.as_secs_f64(),
            run.outcome,
            run.entry.path
        );
    }

    let mut failures: Vec<String> = runs
        .iter()
        .filter_map(|run| {
            run.problem
                .as_ref()
                .map(|problem| format!("{}: {}: {problem}", run.entry.path, run.outcome))
        })
        .collect();
    failures.extend(runs.iter().filter_map(|run| {
        let expected = expected_outcome(&run.entry)?;
        (run.outcome != expected).then(|| format!("{}: expected {expected}, got {}", run.entry.path, run.outcome))
    }));
    if !failures.is_empty() {
        println!("\nfailures:");
        for failure in &failures {
            println!("  {failure}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} corpus files failed (listed above)",
        failures.len()
    );
}
