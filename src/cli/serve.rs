//! `drawings serve`: the HTTP API and in-process workers on the embedded store. A restart
//! (even after `kill -9`) picks up every unfinished job: their messages reappear when their
//! visibility lapses and the pipeline resumes from the last checkpoint.

use crate::config::Config;
use crate::embedded::Embedded;
use anyhow::{Context, Result};
use drawings_api::{AppState, router};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::watch;
use tracing::info;

/// Serves until SIGINT or SIGTERM.
pub async fn run(config: &Config, addr: SocketAddr, data_dir: PathBuf, workers: usize) -> Result<ExitCode> {
    let embedded = Embedded::open(config, &data_dir)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let state = AppState {
        intake: embedded.intake.clone(),
        backends: embedded.backends.clone(),
        link_ttl: Duration::from_secs(3600),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker_task = tokio::spawn(embedded.workers(config, workers).run(stop_rx));
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{local}");
    info!(addr = %local, data_dir = %data_dir.display(), workers, "Serving.");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    info!("Stopping workers after the deliveries in hand.");
    super::stop_workers(stop_tx, worker_task).await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
