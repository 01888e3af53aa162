//! JSON logs for CloudWatch. The runtime wraps every invocation in a span carrying the
//! Lambda request id and the X-Ray trace id, and the pipeline opens a `job` span with the
//! job id: printing the span list puts all three on every line.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber, filtered by `filter` (the `RUST_LOG` setting; default `info`,
/// also when it does not parse).
pub fn init(filter: Option<&str>) {
    let filter = filter
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .fmt_fields(drawings_api::JsonSpanFields)
        .with_target(false)
        // CloudWatch stamps every line itself.
        .without_time()
        .init();
}

/// Reads the function's configuration and installs the logs with its `RUST_LOG`; a
/// configuration error is logged (as JSON, like everything else) and returned.
pub fn init_with_config() -> Result<crate::LambdaConfig, crate::config::ConfigError> {
    let config = crate::LambdaConfig::from_env();
    init(config.as_ref().ok().and_then(|c| c.settings.log_filter.as_deref()));
    if let Err(e) = &config {
        tracing::error!(error = %e, "Configuration error; the function cannot start.");
    }
    config
}
