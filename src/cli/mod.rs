//! The subcommands, and logging set-up shared by them.

pub mod client;
pub mod dlq;
pub mod inspect;
pub mod keys;
mod keys_file;
pub mod process;
pub mod report;
pub mod serve;

use crate::config::Config;
use drawings_settings::LogFormat;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

/// Text that came from a user, a drawing or a model, safe to print on an operator's terminal:
/// control characters (escape sequences among them, which could recolour, retitle or rewrite
/// the screen) become spaces.
pub(crate) fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Tells the embedded workers to stop and waits for the deliveries they hold.
pub async fn stop_workers(stop: watch::Sender<bool>, workers: JoinHandle<()>) {
    stop.send_replace(true);
    if let Err(e) = workers.await {
        tracing::error!(error = %e, "A worker task panicked.");
    }
}

/// JSON logs for the server (one object a line, with the span fields: request id, job id);
/// short text logs on stderr for one-shot commands, so a progress bar stays readable.
pub fn init_tracing(config: &Config, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter =
        EnvFilter::try_new(config.log_filter.as_deref().unwrap_or(default)).unwrap_or_else(|_| EnvFilter::new(default));
    let json = match config.log_format {
        Some(LogFormat::Json) => true,
        Some(LogFormat::Text) => false,
        None => serving,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .fmt_fields(drawings_api::JsonSpanFields)
            .init();
    } else {
        builder.compact().init();
    }
}

/// The AWS port set and dead-letter queue the operators' `--backend aws` commands work on:
/// the resources named by the same settings as the functions' (`DRAWINGS_TABLE`, ...), with
/// the SDK's usual credentials and region.
#[cfg(feature = "aws")]
async fn aws_ports() -> anyhow::Result<(drawings_core::Ports, std::sync::Arc<dyn drawings_core::ports::JobQueue>)> {
    let resources = drawings_aws::AwsResources::from_lookup(drawings_settings::env)?;
    Ok(resources.ports(&drawings_aws::AwsClients::from_env().await))
}

/// What `--backend aws` answers in a build without the `aws` feature.
#[cfg(not(feature = "aws"))]
fn without_aws() -> anyhow::Error {
    anyhow::anyhow!(
        "this drawings binary was built without AWS support; rebuild it with \
         `cargo build --release --features aws` to use --backend aws"
    )
}
