//! `drawings`: process PDF drawings into component schedules, in-process or as a service on
//! the embedded store (SQLite and a directory), with no cloud account; and operate dead
//! letters on either backend (`drawings dlq`).

mod cli;
mod config;
mod embedded;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "drawings", version, about = "Turn PDF drawings into component schedules.")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API with in-process workers on the embedded store.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Data directory (default: $DRAWINGS_DATA_DIR or ./drawings-data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Concurrent job workers.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Process one drawing end to end in-process and write its schedule.
    Process {
        /// The PDF.
        file: PathBuf,
        /// Where to write components.json, schedule.csv and schedule.xlsx.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Keep the job in this data directory (default: a temporary one).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Upload a drawing to a running server.
    Submit {
        /// The PDF.
        file: PathBuf,
        /// Server URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Poll until the job finishes and print its final status.
        #[arg(long)]
        wait: bool,
        /// Idempotency key: the same key and file give the same job.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Show a job's status.
    Status {
        /// The job id.
        job_id: String,
        /// Server URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
    },
    /// Cancel a queued or processing job on a running server.
    Cancel {
        /// The job id.
        job_id: String,
        /// Server URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
    },
    /// Manage the API keys `drawings serve` accepts.
    Keys(cli::keys::KeysArgs),
    /// List, inspect, redrive and purge dead letters (jobs whose retries ran out).
    Dlq(cli::dlq::DlqArgs),
    /// Jobs, pages, outcomes and cost (Gemini, compute, requests) over a window, by client.
    Report(cli::report::ReportArgs),
    /// Validate a PDF and summarize its pages; exit 1 with an error code if it cannot be processed.
    Inspect {
        /// The PDF.
        file: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Before any thread starts: freed documents and page images go back to the kernel (see
    // `drawings_pdf::return_large_buffers`), in the service and its PDF workers.
    drawings_pdf::return_large_buffers();
    // A PDF worker answers one request and exits: no runtime, no logging set-up, no config.
    let raw: Vec<String> = std::env::args().collect();
    if raw.get(1).map(String::as_str) == Some(embedded::PDF_WORKER_SUBCOMMAND) {
        return drawings_pdf::worker_main(&raw[2..]);
    }
    let args = Args::parse();
    let config = match config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("drawings: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let serving = matches!(args.command, Command::Serve { .. });
    cli::init_tracing(&config, serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("drawings: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match args.command {
            Command::Serve {
                addr,
                data_dir,
                workers,
            } => {
                cli::serve::run(
                    &config,
                    addr,
                    data_dir.unwrap_or_else(|| config.data_dir.clone()),
                    workers,
                )
                .await
            }
            Command::Process { file, out, data_dir } => cli::process::run(&config, &file, &out, data_dir).await,
            Command::Submit {
                file,
                server,
                wait,
                idempotency_key,
            } => {
                let api_key = config.api_key.as_ref().map(|k| k.expose());
                cli::client::submit(&server, &file, wait, idempotency_key.as_deref(), api_key).await
            }
            Command::Status { job_id, server } => {
                cli::client::status(&server, &job_id, config.api_key.as_ref().map(|k| k.expose())).await
            }
            Command::Cancel { job_id, server } => {
                cli::client::cancel(&server, &job_id, config.api_key.as_ref().map(|k| k.expose())).await
            }
            Command::Keys(args) => cli::keys::run(&config, args),
            Command::Inspect { file, json } => cli::inspect::run(&config, &file, json).await,
            Command::Dlq(args) => cli::dlq::run(&config, args).await,
            Command::Report(args) => cli::report::run(&config, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("drawings: {e:#}");
            ExitCode::FAILURE
        }
    }
}
