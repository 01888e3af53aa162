//! Shared by the benchmarks: run a child process to completion and read its wall time and
//! peak RSS. `wait4` reports the largest resident set of the child and of the descendants it
//! waited for (PDF workers), which std's `wait` cannot: the largest single process, not
//! their sum. So the tree's RSS is also sampled from `/proc` every [`SAMPLE_EVERY`] while the
//! child runs (its processes' `VmRSS` summed), which is what the whole job holds at once.
//! Memory shared between processes is counted in each that maps it, and memory no process
//! maps (a shared memory file read by position) in none.
#![allow(unsafe_code)] // wait4 has no safe wrapper in std.
#![allow(dead_code)] // each bench uses what it needs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Run {
    pub wall: Duration,
    /// The largest resident set of one process of the tree (`wait4`).
    pub peak_rss_kib: i64,
    /// The largest sum of the tree's resident sets, sampled.
    pub peak_tree_rss_kib: u64,
    pub stdout: String,
}

/// How often the process tree's RSS is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Runs a command to completion, keeping its stdout, and reads its own peak RSS.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std cannot do.
pub fn measure(cmd: &mut Command) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(tree_rss_kib(pid as u32));
                std::thread::sleep(SAMPLE_EVERY);
            }
            peak
        })
    };
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("read child stdout");
    }
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let peak_tree_rss_kib = sampler.join().expect("RSS sampler");
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed with status {status}"
    );
    Run {
        wall,
        peak_rss_kib: usage.ru_maxrss,
        peak_tree_rss_kib,
        stdout,
    }
}

/// The summed `VmRSS` of `pid` and its descendants now, KiB (0 for a process already gone).
fn tree_rss_kib(pid: u32) -> u64 {
    let mut tree = vec![pid];
    let mut next = 0;
    while next < tree.len() {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", tree[next]));
        for task in tasks.into_iter().flatten().flatten() {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            tree.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
        next += 1;
    }
    tree.iter()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

/// `drawings process FILE` into a temporary directory, measured.
pub fn process_job(file: &std::path::Path) -> Run {
    let out = tempfile::tempdir().expect("tempdir");
    measure(
        Command::new(env!("CARGO_BIN_EXE_drawings"))
            .arg("process")
            .arg(file)
            .arg("--out")
            .arg(out.path())
            .env("RUST_LOG", "error"),
    )
}
