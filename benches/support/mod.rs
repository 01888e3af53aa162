//! Shared by the benchmarks: run a child process to completion and read its wall time and
//! peak RSS. `wait4` reports the largest resident set of the child and of the descendants it
//! waited for (PDF workers), which std's `wait` cannot.
#![allow(unsafe_code)] // wait4 has no safe wrapper in std.
#![allow(dead_code)] // each bench uses what it needs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub wall: Duration,
    pub peak_rss_kib: i64,
    pub stdout: String,
}

/// Runs a command to completion, keeping its stdout, and reads its own peak RSS.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std cannot do.
pub fn measure(cmd: &mut Command) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("read child stdout");
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed with status {status}"
    );
    Run {
        wall,
        peak_rss_kib: usage.ru_maxrss,
        stdout,
    }
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
