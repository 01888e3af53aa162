//! JSON logs for CloudWatch. The runtime wraps every invocation in a span carrying the
//! Lambda request id and the X-Ray trace id, and the pipeline opens a `job` span with the
//! job id: printing the span list puts all three on every line.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber (`RUST_LOG` filters, default `info`).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        // CloudWatch stamps every line itself.
        .without_time()
        .init();
}
