//! The binary's configuration, read once from the environment by [`Config::from_env`].
//! Nothing else in the binary reads environment variables.

use anyhow::{Context, Result, bail};
use drawings_api::RateLimit;
use drawings_api::edge::EdgeLimits;
use drawings_core::cost::CloudPrices;
use drawings_core::intake::IntakeConfig;
use drawings_core::pipeline::PipelineConfig;
use drawings_core::ports::{PdfLimits, RenderOptions, TileOptions};
use drawings_gemini::GeminiConfig;
use drawings_pdf::{IsolationLimits, OcrSettings};
use drawings_textlayer::ReadingLimits;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Which analyzer the `drawing_analysis` stage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerKind {
    /// Offline, deterministic tag finder on the text layer.
    TextLayer,
    /// Google Gemini.
    Gemini,
}

/// `DRAWINGS_RENDER_TILES`: whether pages are also cut into full-resolution tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderTiles {
    /// Tiles when the analyzer reads page images (the default): only a model that looks at
    /// the pixels gains from them, and they cost a second render and storage.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

/// Everything the binary is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DRAWINGS_DATA_DIR`: where the embedded store keeps its database and blobs.
    pub data_dir: PathBuf,
    /// `DRAWINGS_ANALYZER`: `text-layer` or `gemini` (the default when `GEMINI_API_KEY` is
    /// set).
    pub analyzer: AnalyzerKind,
    /// `DRAWINGS_TAG_SCHEMES`: a JSON file of tag schemes for the text-layer analyzer.
    pub tag_schemes: Option<PathBuf>,
    /// Intake limits (`DRAWINGS_MAX_UPLOAD_BYTES`, `DRAWINGS_JOB_TTL_DAYS`) and the callback
    /// policy (`DRAWINGS_CALLBACK_ALLOW_PRIVATE`, `true` or `false`, default `false`: local
    /// development, allowing plain-http and loopback or private callback receivers), which the
    /// completion-notice sender follows too.
    pub intake: IntakeConfig,
    /// Pipeline settings (`DRAWINGS_MAX_PAGES`, `DRAWINGS_MAX_PAGE_SIDE_PT`,
    /// `DRAWINGS_RENDER_DPI`, `DRAWINGS_MAX_PIXELS`, `DRAWINGS_LEASE_SECS`,
    /// `DRAWINGS_MAX_CONTINUATIONS`, `DRAWINGS_COMPUTE_MEMORY_MB`, `DRAWINGS_AWS_PRICES`,
    /// `DRAWINGS_RETRY_DELAY_SECS`).
    pub pipeline: PipelineConfig,
    /// `DRAWINGS_RENDER_TILES`: `auto` (default), `on` or `off`; applied by
    /// [`Config::pipeline_for`].
    pub render_tiles: RenderTiles,
    /// `DRAWINGS_INVOCATION_BUDGET`: seconds one worker invocation may run, as a Lambda's
    /// timeout does (default 900).
    pub invocation_budget: Duration,
    /// `DRAWINGS_LOG_FORMAT`: `json` or `text` (default: json for `serve`, text otherwise).
    pub log_format: Option<String>,
    /// `DRAWINGS_PDF_ISOLATION` (`on` default, `off`), `DRAWINGS_PAGE_TIMEOUT_SECS` (60) and
    /// `DRAWINGS_PAGE_MEMORY_MB` (2048): each PDFium call in a worker process with these limits.
    pub isolation: Option<IsolationLimits>,
    /// `PDFIUM_LIB`: the PDFium library file to use before the usual places.
    pub pdfium_lib: Option<PathBuf>,
    /// `DRAWINGS_OCR` (`on` default, `off`) and `DRAWINGS_TESSERACT` (default `tesseract` on
    /// `PATH`): OCR of pages without a text layer.
    pub ocr: OcrSettings,
    /// The text-layer analyzer's limits on reading one page: `DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS`
    /// (10), `DRAWINGS_PAGE_ANALYSIS_MAX_WORDS` (200000) and `DRAWINGS_PAGE_ANALYSIS_THREADS`
    /// (pages read at once; default the available cores).
    pub page_analysis: ReadingLimits,
    /// `RUST_LOG`: a tracing filter (default `info` for `serve`, `warn` otherwise).
    pub log_filter: Option<String>,
    /// Gemini, when `GEMINI_API_KEY` is set (see [`gemini_from_env`]).
    pub gemini: Option<GeminiConfig>,
    /// `DRAWINGS_API_KEYS_FILE`: the API key hashes `serve` accepts (default
    /// `<data dir>/api-keys.json`; absent or empty: no authentication, loopback only).
    pub api_keys_file: Option<PathBuf>,
    /// `DRAWINGS_RATE_LIMIT_PER_MINUTE` (120; 0: off) and `DRAWINGS_RATE_LIMIT_BURST` (30):
    /// requests per API key, per process.
    pub rate_limit: RateLimit,
    /// `DRAWINGS_AUTH_FAILURES_PER_MINUTE` (10; 0: off) and `DRAWINGS_AUTH_FAILURE_BURST` (20):
    /// failed authentications per source address before `serve` answers 429.
    pub auth_failure_limit: RateLimit,
    /// `serve`'s HTTP limits: `DRAWINGS_HTTP_HEADER_TIMEOUT_SECS` (10),
    /// `DRAWINGS_HTTP_IDLE_TIMEOUT_SECS` (60), `DRAWINGS_HTTP_BODY_TIMEOUT_SECS` (30),
    /// `DRAWINGS_HTTP_REQUEST_TIMEOUT_SECS` (300), `DRAWINGS_HTTP_MAX_CONNECTIONS` (512) and
    /// `DRAWINGS_HTTP_MAX_HEADER_BYTES` (32768).
    pub http: EdgeLimits,
    /// `DRAWINGS_API_KEY`: the key `submit` and `status` send in `x-api-key`.
    pub api_key: Option<Secret>,
    /// `DRAWINGS_CALLBACK_SECRET`: the HMAC key signing completion notices (none: no notices).
    pub callback_secret: Option<Secret>,
}

/// A secret read from the environment; `Debug` does not show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn parsed<T: FromStr>(name: &str) -> Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    var(name)
        .map(|v| v.parse::<T>().with_context(|| format!("{name}={v:?} is not valid")))
        .transpose()
}

fn seconds(name: &str) -> Result<Option<Duration>> {
    let secs = parsed::<f64>(name)?;
    match secs {
        Some(s) if !(s.is_finite() && s > 0.0) => bail!("{name} must be a positive number of seconds"),
        Some(s) => Ok(Some(Duration::from_secs_f64(s))),
        None => Ok(None),
    }
}

/// `DRAWINGS_PAGE_ANALYSIS_*`: what reading one page's text may cost (see [`ReadingLimits`]).
fn page_analysis_limits() -> Result<ReadingLimits> {
    let defaults = ReadingLimits::default();
    let limits = ReadingLimits {
        page_timeout: seconds("DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS")?.unwrap_or(defaults.page_timeout),
        max_words: parsed("DRAWINGS_PAGE_ANALYSIS_MAX_WORDS")?.unwrap_or(defaults.max_words),
        concurrent_pages: parsed("DRAWINGS_PAGE_ANALYSIS_THREADS")?.unwrap_or(defaults.concurrent_pages),
    };
    if limits.max_words == 0 || limits.concurrent_pages == 0 {
        bail!("DRAWINGS_PAGE_ANALYSIS_MAX_WORDS and DRAWINGS_PAGE_ANALYSIS_THREADS must be at least 1");
    }
    Ok(limits)
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Config> {
        let gemini = gemini_from_env()?;
        let analyzer = match var("DRAWINGS_ANALYZER").as_deref() {
            None if gemini.is_some() => AnalyzerKind::Gemini,
            None | Some("text-layer") => AnalyzerKind::TextLayer,
            Some("gemini") if gemini.is_none() => bail!("DRAWINGS_ANALYZER=gemini needs GEMINI_API_KEY"),
            Some("gemini") => AnalyzerKind::Gemini,
            Some(other) => bail!("DRAWINGS_ANALYZER={other:?}: expected `text-layer` or `gemini`"),
        };
        let data_dir = var("DRAWINGS_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("drawings-data"));

        // Local development only: plain-http callbacks and receivers on loopback or private
        // hosts. Off, a notice goes to a public https address or nowhere (SSRF).
        let mut intake = IntakeConfig {
            allow_private_callbacks: parsed::<bool>("DRAWINGS_CALLBACK_ALLOW_PRIVATE")?.unwrap_or(false),
            ..IntakeConfig::default()
        };
        if let Some(n) = parsed::<u64>("DRAWINGS_MAX_UPLOAD_BYTES")? {
            intake.max_upload_bytes = n;
        }
        if let Some(days) = parsed::<i64>("DRAWINGS_JOB_TTL_DAYS")? {
            if days < 1 {
                bail!("DRAWINGS_JOB_TTL_DAYS must be at least 1");
            }
            intake.ttl = chrono::Duration::days(days);
        }

        let defaults = PdfLimits::default();
        let limits = PdfLimits {
            max_bytes: intake.max_upload_bytes,
            max_pages: parsed("DRAWINGS_MAX_PAGES")?.unwrap_or(defaults.max_pages),
            max_page_side_pt: parsed("DRAWINGS_MAX_PAGE_SIDE_PT")?.unwrap_or(defaults.max_page_side_pt),
        };
        let render_defaults = RenderOptions::default();
        let render = RenderOptions {
            dpi: parsed("DRAWINGS_RENDER_DPI")?.unwrap_or(render_defaults.dpi),
            max_pixels: parsed("DRAWINGS_MAX_PIXELS")?.unwrap_or(render_defaults.max_pixels),
            tiles: None,
        };
        let render_tiles = match var("DRAWINGS_RENDER_TILES").as_deref() {
            None | Some("auto") => RenderTiles::Auto,
            Some("on") => RenderTiles::On,
            Some("off") => RenderTiles::Off,
            Some(other) => bail!("DRAWINGS_RENDER_TILES={other:?}: expected `auto`, `on` or `off`"),
        };
        if !(render.dpi > 0.0 && render.dpi <= 1200.0) {
            bail!("DRAWINGS_RENDER_DPI must be in (0, 1200]");
        }
        let mut pipeline = PipelineConfig {
            limits,
            render,
            lease: Duration::from_secs(30),
            ..PipelineConfig::default()
        };
        if let Some(lease) = seconds("DRAWINGS_LEASE_SECS")? {
            pipeline.lease = lease.max(Duration::from_secs(3));
        }
        if let Some(delay) = seconds("DRAWINGS_RETRY_DELAY_SECS")? {
            pipeline.retry_delay = delay;
        }
        if let Some(n) = parsed("DRAWINGS_MAX_CONTINUATIONS")? {
            pipeline.max_continuations = n;
        }
        if let Some(per_page) = seconds("DRAWINGS_JOB_SECONDS_PER_PAGE")? {
            pipeline.job_budget.per_page = per_page;
        }
        if let Some(max) = seconds("DRAWINGS_JOB_MAX_SECONDS")? {
            pipeline.job_budget.max = max;
        }
        if let Some(n) = parsed::<usize>("DRAWINGS_ANALYSIS_CONCURRENCY")? {
            pipeline.analysis_concurrency = n.clamp(1, 64);
        }
        // The embedded server's compute is priced as if it ran on the processor Lambda.
        if let Some(mb) = parsed::<u32>("DRAWINGS_COMPUTE_MEMORY_MB")? {
            pipeline.cost.memory_mb = mb;
        }
        if let Some(path) = var("DRAWINGS_AWS_PRICES") {
            let body = std::fs::read(&path).with_context(|| format!("reading DRAWINGS_AWS_PRICES={path}"))?;
            pipeline.cost.prices =
                CloudPrices::from_json(&body).with_context(|| format!("DRAWINGS_AWS_PRICES={path}"))?;
        }
        let isolation = match var("DRAWINGS_PDF_ISOLATION").as_deref() {
            None | Some("on") => Some(IsolationLimits {
                wall: seconds("DRAWINGS_PAGE_TIMEOUT_SECS")?.unwrap_or(Duration::from_secs(60)),
                memory_bytes: parsed::<u64>("DRAWINGS_PAGE_MEMORY_MB")?.unwrap_or(2048).max(64) << 20,
            }),
            Some("off") => None,
            Some(other) => bail!("DRAWINGS_PDF_ISOLATION={other:?}: expected `on` or `off`"),
        };
        let ocr_defaults = OcrSettings::default();
        let ocr = OcrSettings {
            enabled: match var("DRAWINGS_OCR").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => bail!("DRAWINGS_OCR={other:?}: expected `on` or `off`"),
            },
            program: var("DRAWINGS_TESSERACT").map_or(ocr_defaults.program.clone(), PathBuf::from),
            ..ocr_defaults
        };
        let invocation_budget = seconds("DRAWINGS_INVOCATION_BUDGET")?.unwrap_or(Duration::from_secs(900));
        // Keep a tenth of the budget for the last checkpoint and the hand-over.
        pipeline.reserve = (invocation_budget / 10).min(Duration::from_secs(10));

        let limit_defaults = RateLimit::default();
        let rate_limit = RateLimit {
            per_minute: parsed("DRAWINGS_RATE_LIMIT_PER_MINUTE")?.unwrap_or(limit_defaults.per_minute),
            burst: parsed("DRAWINGS_RATE_LIMIT_BURST")?.unwrap_or(limit_defaults.burst),
        };
        if rate_limit.burst == 0 {
            bail!("DRAWINGS_RATE_LIMIT_BURST must be at least 1");
        }
        let auth_failure_limit = RateLimit {
            per_minute: parsed("DRAWINGS_AUTH_FAILURES_PER_MINUTE")?.unwrap_or(RateLimit::AUTH_FAILURES.per_minute),
            burst: parsed("DRAWINGS_AUTH_FAILURE_BURST")?.unwrap_or(RateLimit::AUTH_FAILURES.burst),
        };
        if auth_failure_limit.burst == 0 {
            bail!("DRAWINGS_AUTH_FAILURE_BURST must be at least 1");
        }
        let http = http_limits()?;

        Ok(Config {
            data_dir,
            analyzer,
            tag_schemes: var("DRAWINGS_TAG_SCHEMES").map(PathBuf::from),
            intake,
            pipeline,
            render_tiles,
            invocation_budget,
            log_format: var("DRAWINGS_LOG_FORMAT"),
            isolation,
            log_filter: var("RUST_LOG"),
            pdfium_lib: var("PDFIUM_LIB").map(PathBuf::from),
            ocr,
            page_analysis: page_analysis_limits()?,
            gemini,
            api_keys_file: var("DRAWINGS_API_KEYS_FILE").map(PathBuf::from),
            rate_limit,
            auth_failure_limit,
            http,
            api_key: var("DRAWINGS_API_KEY").map(Secret),
            callback_secret: var("DRAWINGS_CALLBACK_SECRET").map(Secret),
        })
    }
}

/// `serve`'s HTTP limits, `DRAWINGS_HTTP_*` over [`EdgeLimits::default`].
fn http_limits() -> Result<EdgeLimits> {
    let defaults = EdgeLimits::default();
    let limits = EdgeLimits {
        header_timeout: seconds("DRAWINGS_HTTP_HEADER_TIMEOUT_SECS")?.unwrap_or(defaults.header_timeout),
        idle_timeout: seconds("DRAWINGS_HTTP_IDLE_TIMEOUT_SECS")?.unwrap_or(defaults.idle_timeout),
        body_timeout: seconds("DRAWINGS_HTTP_BODY_TIMEOUT_SECS")?.unwrap_or(defaults.body_timeout),
        request_timeout: seconds("DRAWINGS_HTTP_REQUEST_TIMEOUT_SECS")?.unwrap_or(defaults.request_timeout),
        max_connections: parsed("DRAWINGS_HTTP_MAX_CONNECTIONS")?.unwrap_or(defaults.max_connections),
        max_header_bytes: parsed("DRAWINGS_HTTP_MAX_HEADER_BYTES")?.unwrap_or(defaults.max_header_bytes),
    };
    if limits.max_connections == 0 {
        bail!("DRAWINGS_HTTP_MAX_CONNECTIONS must be at least 1");
    }
    // Below this a request line and its ordinary headers would not fit.
    if limits.max_header_bytes < 1024 {
        bail!("DRAWINGS_HTTP_MAX_HEADER_BYTES must be at least 1024");
    }
    Ok(limits)
}

/// Gemini's settings: none without `GEMINI_API_KEY`; the `DRAWINGS_GEMINI_*` variables are
/// read by [`GeminiConfig::from_settings`].
pub fn gemini_from_env() -> Result<Option<GeminiConfig>> {
    var("GEMINI_API_KEY")
        .map(|key| GeminiConfig::from_settings(key, var))
        .transpose()
        .context("Gemini configuration")
}

impl Config {
    /// The pipeline settings for a processor whose analyzer does (`true`) or does not read
    /// page images: [`RenderTiles::Auto`] turns tiles on only for the former.
    pub fn pipeline_for(&self, analyzer_needs_image: bool) -> PipelineConfig {
        let tiles = match self.render_tiles {
            RenderTiles::Auto => analyzer_needs_image,
            RenderTiles::On => true,
            RenderTiles::Off => false,
        };
        let mut pipeline = self.pipeline.clone();
        pipeline.render.tiles = tiles.then(TileOptions::default);
        pipeline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_follow_the_analyzers_need_for_images_unless_set_on_or_off() {
        let mut config = Config::from_env().expect("the test environment configures nothing odd");
        for (setting, needs_image, tiles) in [
            (RenderTiles::Auto, true, true),
            (RenderTiles::Auto, false, false),
            (RenderTiles::On, false, true),
            (RenderTiles::Off, true, false),
        ] {
            config.render_tiles = setting;
            let render = config.pipeline_for(needs_image).render;
            assert_eq!(
                render.tiles.is_some(),
                tiles,
                "{setting:?} with needs_image {needs_image}"
            );
            assert_eq!(render.dpi, config.pipeline.render.dpi);
        }
    }
}
