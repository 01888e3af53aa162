//! A `moto_server` (the AWS emulator from PyPI) on 127.0.0.1 for the life of one test.
//!
//! Each [`MotoServer`] is a process of its own on a free port, so tests run in parallel with
//! nothing shared. moto comes from the repository's venv (`scripts/setup.sh` installs
//! `moto[server]` in `.venv`); without it [`MotoServer::start`] panics with that instruction
//! rather than skipping, because CI runs the setup first. Readiness is checked with a plain
//! HTTP request over a TCP socket: this crate does not link the AWS SDK. Creating resources
//! on the server is `drawings_aws::provision`'s job.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// How long a fresh server gets to answer (it imports every service's models on start).
const STARTUP: Duration = Duration::from_secs(20);

/// A running `moto_server`, killed when dropped (also when the test panics, in which case its
/// log is kept and its path printed).
pub struct MotoServer {
    child: Child,
    log: PathBuf,
    /// `http://127.0.0.1:{port}`: the endpoint to give the AWS SDK.
    pub endpoint: String,
}

/// The repository's `moto_server`; panics with the set-up instruction when it is missing.
pub fn moto_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join(".venv/bin/moto_server");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/setup.sh from the repository root to install moto[server] in .venv",
        bin.display()
    );
    bin
}

/// A port that was free a moment ago. moto cannot be told to pick one itself (`-p 0` makes
/// it report port 0), so the caller binds, reads the port and lets go of it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl MotoServer {
    /// Starts a fresh server and waits until `GET /moto-api/` answers 200.
    pub async fn start() -> MotoServer {
        let bin = moto_binary();
        let mut output = String::new();
        // Another process may grab the port between our probe and moto's bind: try again.
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("drawings-moto-{}-{port}.log", std::process::id()));
            let file = std::fs::File::create(&log).expect("create the moto log file");
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(file.try_clone().expect("clone the log handle"))
                .stderr(file)
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
            let mut server = MotoServer {
                child,
                log,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if server.wait_ready(port).await {
                return server;
            }
            // Dropping `server` kills the child and deletes the log; its text is in `output`.
            output = std::fs::read_to_string(&server.log).unwrap_or_default();
        }
        panic!("moto_server did not start; its last output:\n{output}");
    }

    /// The file the server writes its output to.
    pub fn log(&self) -> &Path {
        &self.log
    }

    async fn wait_ready(&mut self, port: u16) -> bool {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if timeout(Duration::from_secs(2), answers_ok(port, "/moto-api/"))
                .await
                .unwrap_or(false)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// Whether `GET {path}` on 127.0.0.1:`port` answers with a 2xx status line.
async fn answers_ok(port: u16, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    // The status line is all we need: `HTTP/1.1 200 OK`.
    let mut head = [0u8; 12];
    if stream.read_exact(&mut head).await.is_err() {
        return false;
    }
    let line = String::from_utf8_lossy(&head);
    line.starts_with("HTTP/1.") && line[9..].starts_with('2')
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Only this child, by its handle; wait so no zombie outlives the test. Errors here
        // mean the server is already gone, which is what we want anyway.
        self.child.kill().ok();
        self.child.wait().ok();
        if std::thread::panicking() {
            eprintln!("moto_server's log is kept at {}", self.log.display());
        } else {
            std::fs::remove_file(&self.log).ok();
        }
    }
}
