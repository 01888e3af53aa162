//! The pipeline's keys read into a [`PipelineConfig`]: limits, render, lease, retries, budget
//! and prices, the part of the settings every host shares before it adds its own (`pipeline.rs`).

use crate::keys;
use crate::source::{SettingError, Source};
use drawings_core::cost::CloudPrices;
use drawings_core::intake::IntakeConfig;
use drawings_core::pipeline::PipelineConfig;
use drawings_core::ports::{PdfLimits, RenderOptions};
use std::time::Duration;

/// The shortest lease: a heartbeat must fit in it.
pub(crate) const MIN_LEASE: Duration = Duration::from_secs(3);

/// Keys `DRAWINGS_MAX_PAGES`, `_MAX_PAGE_SIDE_PT`, `_RENDER_DPI`, `_MAX_PIXELS`,
/// `_LEASE_SECS`, `_RETRY_DELAY_SECS`, `_MAX_CONTINUATIONS`, `_JOB_SECONDS_PER_PAGE`,
/// `_JOB_MAX_SECONDS`, `_ANALYSIS_CONCURRENCY`, `_COMPUTE_MEMORY_MB` and `_AWS_PRICES`.
pub(crate) fn read(source: &Source<'_>, intake: &IntakeConfig) -> Result<PipelineConfig, SettingError> {
    let mut pipeline = PipelineConfig {
        lease: Duration::from_secs(30),
        ..PipelineConfig::default()
    };
    let limits = PdfLimits::default();
    pipeline.limits = PdfLimits {
        max_bytes: intake.max_upload_bytes,
        max_pages: source.count(keys::MAX_PAGES, 1)?.unwrap_or(limits.max_pages),
        max_page_side_pt: source
            .parse(keys::MAX_PAGE_SIDE_PT, "a number of points")?
            .unwrap_or(limits.max_page_side_pt),
    };
    let render = RenderOptions::default();
    pipeline.render = RenderOptions {
        dpi: source.parse(keys::RENDER_DPI, "a number")?.unwrap_or(render.dpi),
        max_pixels: source.count(keys::MAX_PIXELS, 1)?.unwrap_or(render.max_pixels),
        tiles: None,
    };
    if !(pipeline.render.dpi > 0.0 && pipeline.render.dpi <= 1200.0) {
        let dpi = pipeline.render.dpi.to_string();
        return Err(SettingError::new(keys::RENDER_DPI, dpi, "must be in (0, 1200]"));
    }
    if let Some(lease) = source.seconds(keys::LEASE_SECS)? {
        pipeline.lease = lease.max(MIN_LEASE);
    }
    if let Some(delay) = source.seconds(keys::RETRY_DELAY_SECS)? {
        pipeline.retry_delay = delay;
    }
    if let Some(n) = source.count(keys::MAX_CONTINUATIONS, 0)? {
        pipeline.max_continuations = n;
    }
    if let Some(per_page) = source.seconds(keys::JOB_SECONDS_PER_PAGE)? {
        pipeline.job_budget.per_page = per_page;
    }
    if let Some(max) = source.seconds(keys::JOB_MAX_SECONDS)? {
        pipeline.job_budget.max = max;
    }
    if let Some(n) = source.count::<usize>(keys::ANALYSIS_CONCURRENCY, 1)? {
        pipeline.analysis_concurrency = n.min(64);
    }
    if let Some(mb) = source.count(keys::COMPUTE_MEMORY_MB, 0)? {
        pipeline.cost.memory_mb = mb;
    }
    if let Some(path) = source.text(keys::AWS_PRICES) {
        let unusable = |reason: String| SettingError::new(keys::AWS_PRICES, path.clone(), reason);
        let body = std::fs::read(&path).map_err(|e| unusable(e.to_string()))?;
        pipeline.cost.prices = CloudPrices::from_json(&body).map_err(|e| unusable(e.to_string()))?;
    }
    Ok(pipeline)
}

/// The most pages a job renders at once, whatever is asked: each is a process.
pub(crate) const MAX_RENDER_CONCURRENCY: usize = 64;

/// `DRAWINGS_RENDER_CONCURRENCY`: a number of pages, or `None` for `auto` (or unset).
pub(crate) fn read_render_concurrency(source: &Source<'_>) -> Result<Option<usize>, SettingError> {
    if source.text(keys::RENDER_CONCURRENCY).as_deref() == Some("auto") {
        return Ok(None);
    }
    let n = source.count::<usize>(keys::RENDER_CONCURRENCY, 1)?;
    Ok(n.map(|n| n.min(MAX_RENDER_CONCURRENCY)))
}
