//! Runs the fake Gemini API server as its own process, for tests that drive a separate
//! service binary. Prints `listening on http://127.0.0.1:PORT` once ready, then serves until
//! killed; scripts and records go through the `/_fake/` control routes.
//!
//! `cargo run -p drawings-testkit --bin fake-gemini -- --port 0 --api-key K --latency-ms 0
//! --max-body-bytes N --file-states processing,active [--forget-media]`

use clap::Parser;
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, FileState};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// A fake Gemini Developer API on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "fake-gemini")]
struct Args {
    /// Port to listen on (0 lets the OS pick one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The only API key accepted.
    #[arg(long, default_value = "test-key")]
    api_key: String,
    /// Delay added to every generateContent reply, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Request bodies above this many bytes get 400 INVALID_ARGUMENT.
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// States reported by successive GETs of an uploaded file; the last repeats.
    #[arg(long, value_delimiter = ',', default_value = "active")]
    file_states: Vec<FileState>,
    /// Drop each image's bytes once checked (the records keep the calls): for long runs.
    #[arg(long)]
    forget_media: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = FakeOptions {
        api_key: args.api_key,
        latency: Duration::from_millis(args.latency_ms),
        max_body_bytes: args.max_body_bytes,
        file_states: args.file_states,
        port: args.port,
        keep_media: !args.forget_media,
        ..FakeOptions::default()
    };
    let fake = match FakeGemini::try_start(options).await {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("fake-gemini: cannot listen on port {}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    // The parent process waits for this exact line to learn the port.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {}", fake.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("fake-gemini: cannot wait for a signal: {e}");
        // Without a signal handler, serve until killed.
        std::future::pending::<()>().await;
    }
    fake.shutdown().await;
    ExitCode::SUCCESS
}
