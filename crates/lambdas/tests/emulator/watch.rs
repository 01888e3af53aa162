//! The emulator process and its function children: pre-building the functions, starting
//! `cargo lambda watch`, noticing a function that exits without answering, and stopping
//! every process it started.

use super::*;
use drawings_testkit::moto::free_port;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

pub(super) fn prebuild() {
    let mut done = PREBUILT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if *done {
        return;
    }
    let started = std::time::Instant::now();
    let status = Command::new(cargo())
        .args(["build", "-p", "drawings-lambdas", "--bins"])
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p drawings-lambdas --bins failed: {status}"
    );
    eprintln!("[emulator] pre-built the functions in {:.1?}", started.elapsed());
    *done = true;
}

/// One process of a tree, identified by its pid and its start time (so that a reused pid is
/// never signalled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: u32,
    started: u64,
}

/// `(ppid, start time)` of a live process from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: the fields follow the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // fields[0] is the state (field 3); ppid is field 4, starttime field 22.
    if fields.first() == Some(&"Z") {
        return None;
    }
    Some((fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// Every live descendant of `root`.
fn descendants(root: u32) -> Vec<Proc> {
    let mut children: HashMap<u32, Vec<Proc>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Some((ppid, started)) = proc_stat(pid) {
            children.entry(ppid).or_default().push(Proc { pid, started });
        }
    }
    let mut found = Vec::new();
    let mut todo = vec![root];
    while let Some(parent) = todo.pop() {
        for child in children.get(&parent).into_iter().flatten() {
            found.push(*child);
            todo.push(child.pid);
        }
    }
    found
}

/// Sends `signal` to `target` (a pid, or `-pgid` for a process group) with kill(1): the
/// workspace forbids `unsafe`, so no `libc::kill`.
fn send_signal(target: &str, signal: &str) {
    Command::new("kill")
        .args([format!("-{signal}").as_str(), "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok();
}

/// The last `lines` lines of a log file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The lines of a log that say why something failed (`Error: ...` from a function's
/// `main`, rustc's `error...`, panics), at most the last `max`.
pub fn error_lines(path: &Path, max: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let found: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Error: ") || l.starts_with("error") || l.contains("panicked at"))
        .collect();
    found[found.len().saturating_sub(max)..].join("\n")
}

/// `cargo lambda watch` (or any process that spawns children), stopped with its whole tree.
pub struct Watch {
    child: Child,
    /// Its output (and, for `watch`, the functions' logs).
    pub log: PathBuf,
    /// The port its runtime and invoke APIs listen on (127.0.0.1).
    pub port: u16,
    /// Built functions started by the test against the watch's runtime API
    /// ([`Watch::start_bootstrap`]), by name; stopped before the watch.
    functions: std::sync::Mutex<Vec<(String, Child)>>,
}

impl Watch {
    /// Starts `cargo lambda watch --invoke-address 127.0.0.1 --invoke-port <free port> <extra>`
    /// in the workspace root with `env` added, and waits until the port accepts connections.
    pub async fn start(extra: &[&str], env: &[(String, String)]) -> Watch {
        let mut last = String::new();
        // Another process may take the port between the probe and the watch's bind: retry.
        for _ in 0..3 {
            let port = free_port();
            let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("cargo-lambda-watch-{}-{port}.log", std::process::id()));
            File::create(&log).expect("create the watch log");
            // Appended to by the watch and by any function started beside it.
            let file = OpenOptions::new().append(true).open(&log).expect("open the watch log");
            let mut command = Command::new(cargo());
            command
                .args(["lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port"])
                .arg(port.to_string())
                .args(extra)
                .current_dir(repo_root())
                .env("PATH", path_with_venv())
                // Ambient AWS settings must not leak into the functions.
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_SESSION_TOKEN")
                .env_remove("AWS_DEFAULT_REGION")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(file.try_clone().expect("clone the log handle"))
                .stderr(file)
                // A group of its own, so that stopping it reaches everything it spawned there.
                .process_group(0);
            let child = command.spawn().expect("start cargo lambda watch");
            let mut watch = Watch {
                child,
                log,
                port,
                functions: std::sync::Mutex::new(Vec::new()),
            };
            if watch.wait_listening(Duration::from_secs(60)).await {
                return watch;
            }
            last = tail(&watch.log, 40);
            // Dropping `watch` stops it.
        }
        panic!("cargo lambda watch did not start listening; its last output:\n{last}");
    }

    async fn wait_listening(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Starts a built function as Lambda would: `bootstrap` with the runtime API of this
    /// watch (started with `--only-lambda-apis`) under the function's name, Lambda's
    /// variables, and `env`; its output goes to the watch's log.
    pub fn start_bootstrap(&self, bootstrap: &Path, name: &str, memory_mb: u32, env: &[(String, String)]) {
        let log = OpenOptions::new()
            .append(true)
            .open(&self.log)
            .expect("open the watch log");
        let child = Command::new(bootstrap)
            .current_dir(std::env::temp_dir())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt/{name}", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string())
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("emulator/{name}"))
            .env("LAMBDA_TASK_ROOT", bootstrap.parent().unwrap_or(bootstrap))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bootstrap.display()));
        eprintln!("[emulator] started the built {name} ({})", bootstrap.display());
        self.functions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((name.to_owned(), child));
    }

    /// The watch's output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many function processes (or their `cargo run`) have exited so far: the watch logs
    /// `ERROR command exited code=N` for each it started, and a built function started by
    /// [`Watch::start_bootstrap`] is a child of the test. An invocation whose function exits
    /// before it answers is never answered, so the callers watch this count instead of
    /// waiting out their timeout.
    pub fn exits(&self) -> usize {
        let by_watch = self
            .output()
            .lines()
            .filter(|l| l.contains("ERROR") && l.contains("command exited"))
            .count();
        let mut functions = self.functions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let built = functions
            .iter_mut()
            .filter_map(|(_, child)| child.try_wait().ok().flatten())
            .count();
        by_watch + built
    }

    /// Runs `call`, failing as soon as a function process exits while it is pending.
    pub async fn guard<T>(&self, what: &str, call: impl std::future::Future<Output = T>) -> T {
        let before = self.exits();
        let exited = async {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if self.exits() > before {
                    return;
                }
            }
        };
        tokio::select! {
            out = call => out,
            () = exited => panic!(
                "{what}: the function process exited without answering (a build error, or a failed \
                 init):\n{}\nThe watch's log ends:\n{}",
                error_lines(&self.log, 10),
                tail(&self.log, 20)
            ),
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The built functions first, each with its group (its PDF workers).
        let functions = std::mem::take(
            self.functions
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for (_, mut child) in functions {
            if matches!(child.try_wait(), Ok(None)) {
                send_signal(&format!("-{}", child.id()), "KILL");
                child.kill().ok();
            }
            child.wait().ok();
        }
        let pid = self.child.id();
        // cargo-lambda starts each function in a session of its own (setsid), so the group
        // signal does not reach them; the watch stops them itself on SIGTERM. Note them now,
        // by pid and start time, in case it does not.
        let tree = descendants(pid);
        send_signal(&format!("-{pid}"), "TERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            send_signal(&format!("-{pid}"), "KILL");
            self.child.kill().ok();
            self.child.wait().ok();
        }
        for proc in tree {
            if proc_stat(proc.pid).is_some_and(|(_, started)| started == proc.started) {
                send_signal(&proc.pid.to_string(), "KILL");
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "cargo lambda watch's log is kept at {}; its end:\n{}",
                self.log.display(),
                tail(&self.log, 60)
            );
        } else {
            std::fs::remove_file(&self.log).ok();
        }
    }
}
