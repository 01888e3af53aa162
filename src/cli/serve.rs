//! `drawings serve`: the HTTP API and in-process workers on the embedded store. A restart
//! (even after `kill -9`) picks up every unfinished job: their messages reappear when their
//! visibility lapses and the pipeline resumes from the last checkpoint.
//!
//! API keys come from the key file (see `drawings keys`), read once at start. Without any,
//! the API runs open, which it does only on a loopback address, with a warning in the log
//! and `"auth": "off"` in `GET /health`.
//!
//! Beside the workers runs the expiry sweeper (at start, then every 10 minutes): jobs past
//! their `expires_at` are deleted with their files, as DynamoDB's TTL and the bucket's
//! lifecycle rule do on AWS. Completion notices go to each job's `callback_url` when
//! `DRAWINGS_CALLBACK_SECRET` is set; without it none is sent, which is logged at start.
//!
//! HTTP goes through the API crate's edge server (`drawings_api::edge`): a cap on connections,
//! header, body, request and idle timeouts and a header size limit (`DRAWINGS_HTTP_*`), so
//! silent or stalled clients cannot hold the server's sockets and memory.

use crate::config::Config;
use crate::embedded::EmbeddedStack;
use anyhow::{Context, Result, bail};
use drawings_api::{AppState, Auth, edge, router_with_auth};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Serves until SIGINT or SIGTERM.
pub async fn run(config: &Config, addr: SocketAddr, data_dir: PathBuf, workers: usize) -> Result<ExitCode> {
    let auth = auth_for(config, &data_dir, addr)?;
    if workers > 0 {
        // Refused at start: otherwise every job would fail its pages and be retried before
        // anyone was told.
        drawings_pdf::check_pdfium_present().context("the PDF workers need PDFium")?;
    }
    let embedded = EmbeddedStack::open(config, &data_dir)?;
    if config.callback_secret.is_none() {
        warn!("DRAWINGS_CALLBACK_SECRET is not set: no completion notices are sent to callback URLs.");
    }
    if config.intake.allow_private_callbacks {
        warn!(
            "DRAWINGS_CALLBACK_ALLOW_PRIVATE is on: callback URLs may be plain http and reach loopback \
             and private hosts. For local development only."
        );
    }
    let sweeper = crate::embedded::sweeper(&data_dir)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let state = AppState {
        intake: embedded.intake.clone(),
        ports: embedded.ports.clone(),
        link_ttl: Duration::from_secs(3600),
        metrics: Some(embedded.metrics.clone()),
        status_cache: Default::default(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(sweeper.run(stop_rx.clone()));
    let worker_task = tokio::spawn(
        embedded
            .workers(config, workers, Duration::from_millis(500))
            .run(stop_rx),
    );
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{local}");
    info!(addr = %local, data_dir = %data_dir.display(), workers, "Serving.");
    edge::serve(
        listener,
        router_with_auth(state, auth),
        config.http_limits(),
        shutdown_signal(),
    )
    .await
    .context("serving HTTP")?;
    info!("Stopping workers after the deliveries in hand.");
    super::stop_workers(stop_tx, worker_task).await;
    Ok(ExitCode::SUCCESS)
}

/// The keys from the key file; none is allowed on a loopback address only.
fn auth_for(config: &Config, data_dir: &std::path::Path, addr: SocketAddr) -> Result<Auth> {
    let path = super::keys::keys_file(config, data_dir);
    let keys = super::keys::load(&path)?;
    if !keys.is_empty() {
        info!(keys = keys.len(), file = %path.display(), "API keys loaded.");
        return Ok(Auth::with_limits(
            keys,
            config.rate_limit(),
            config.auth_failure_limit(),
        ));
    }
    if !addr.ip().is_loopback() {
        bail!(
            "no API keys in {}: refusing to serve on {addr}, which is not a loopback address, \
             without authentication. Create a key with `drawings keys create --client NAME`, \
             or listen on 127.0.0.1.",
            path.display()
        );
    }
    warn!(
        file = %path.display(),
        "AUTHENTICATION IS OFF: no API keys, so every caller sees every job. Fine on loopback for \
         development; create keys with `drawings keys create --client NAME` before exposing the API."
    );
    Ok(Auth::off())
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
