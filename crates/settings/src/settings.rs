//! [`Settings`]: every key of the catalogue read once, typed, from one lookup. The CLI, its
//! `serve` and the three Lambda functions all start here, so a key means the same wherever
//! it is set; what a host adds of its own (the Lambda's deadline and memory size) goes in
//! through [`crate::Host`].

use crate::keys;
use crate::serving::{AuthSetting, HttpSettings, RateSetting};
use crate::source::{SettingError, Source};
use drawings_core::intake::IntakeConfig;
use drawings_core::pipeline::PipelineConfig;
use std::path::PathBuf;
use std::time::Duration;

/// What `DRAWINGS_ANALYZER` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerSetting {
    /// Unset: Gemini when a key is configured, the text layer otherwise.
    Auto,
    /// `text-layer`: offline, never needs a key.
    TextLayer,
    /// `gemini`: Gemini, or the text layer with a warning when there is no key.
    Gemini,
}

impl AnalyzerSetting {
    /// Whether a host should look for a Gemini key at all (`text-layer` never needs one, so
    /// a host does not even read the SSM parameter).
    pub fn may_use_gemini(self) -> bool {
        self != AnalyzerSetting::TextLayer
    }
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

/// `DRAWINGS_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line.
    Json,
    /// Short text lines.
    Text,
}

/// A secret setting; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value (from the environment, or fetched from SSM).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

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

/// The PDF engine's settings: `DRAWINGS_PDF_ISOLATION`, `DRAWINGS_PAGE_TIMEOUT_SECS`,
/// `DRAWINGS_PAGE_MEMORY_MB`, `DRAWINGS_OCR`, `DRAWINGS_TESSERACT` and `PDFIUM_LIB`.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfSettings {
    /// Each PDFium call in a worker process (`on`, the default) or in-process (`off`).
    pub isolation: bool,
    /// Wall-clock limit of one isolated call.
    pub page_timeout: Duration,
    /// Address-space limit of a worker process, MiB (at least 64).
    pub page_memory_mb: u64,
    /// OCR of pages without a text layer.
    pub ocr: bool,
    /// The Tesseract executable (default `tesseract` on `PATH`).
    pub tesseract: Option<PathBuf>,
    /// The PDFium library to use before the usual places.
    pub pdfium_lib: Option<PathBuf>,
}

/// The text-layer analyzer's limits on one page (`DRAWINGS_PAGE_ANALYSIS_*`); unset values
/// keep the analyzer's own defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageAnalysisSettings {
    /// Wall-clock limit of reading one page.
    pub timeout: Option<Duration>,
    /// Most words a page may hold.
    pub max_words: Option<usize>,
    /// Pages read at once in the process.
    pub threads: Option<usize>,
}

/// The names of one deployment's AWS resources (`DRAWINGS_TABLE`, ...), as set; the AWS
/// hosts require them (`drawings_aws::AwsResources`), the embedded ones ignore them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwsNames {
    /// `DRAWINGS_TABLE`.
    pub table: Option<String>,
    /// `DRAWINGS_QUEUE_URL`.
    pub queue_url: Option<String>,
    /// `DRAWINGS_DLQ_URL`.
    pub dlq_url: Option<String>,
    /// `DRAWINGS_BUCKET`.
    pub bucket: Option<String>,
    /// `DRAWINGS_ALERT_TOPIC_ARN`.
    pub alert_topic_arn: Option<String>,
}

/// The `DRAWINGS_GEMINI_*` tuning keys, as set. `drawings_gemini::GeminiConfig::from_settings`
/// types and checks them when Gemini is the analyzer (a bad model id is only an error where
/// it would be used).
pub const GEMINI_KEYS: [&str; 9] = [
    keys::GEMINI_MODEL,
    keys::GEMINI_BASE_URL,
    keys::GEMINI_TIMEOUT_SECS,
    keys::GEMINI_INLINE_LIMIT_BYTES,
    keys::GEMINI_MAX_OUTPUT_TOKENS,
    keys::GEMINI_THINKING,
    keys::GEMINI_RPM,
    keys::GEMINI_MAX_ATTEMPTS,
    keys::GEMINI_PRICES,
];

/// Everything any host is configured with, read by [`Settings::read`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DRAWINGS_DATA_DIR`: where the embedded store keeps its database and blobs.
    pub data_dir: PathBuf,
    /// `DRAWINGS_ANALYZER`.
    pub analyzer: AnalyzerSetting,
    /// `GEMINI_API_KEY`.
    pub gemini_api_key: Option<Secret>,
    /// `DRAWINGS_GEMINI_KEY_PARAMETER`: the SSM SecureString holding the key (AWS hosts).
    pub gemini_key_parameter: Option<String>,
    /// The `DRAWINGS_GEMINI_*` values that are set ([`GEMINI_KEYS`]).
    pub gemini: Vec<(&'static str, String)>,
    /// `DRAWINGS_TAG_SCHEMES`: a JSON file of tag schemes for the text-layer analyzer.
    pub tag_schemes: Option<PathBuf>,
    /// `DRAWINGS_MAX_UPLOAD_BYTES`, `DRAWINGS_JOB_TTL_DAYS`, `DRAWINGS_CALLBACK_ALLOW_PRIVATE`.
    pub intake: IntakeConfig,
    /// The pipeline as the keys set it; a host takes it through [`Settings::pipeline_for`].
    pub pipeline: PipelineConfig,
    /// `DRAWINGS_RENDER_TILES`.
    pub render_tiles: RenderTiles,
    /// `DRAWINGS_RENDER_CONCURRENCY`: pages of a job rendered at once; `None` is `auto`,
    /// which depends on the host ([`Settings::render_concurrency_for`]).
    pub render_concurrency: Option<usize>,
    /// `DRAWINGS_INVOCATION_BUDGET`: one embedded worker invocation (Lambda: its timeout).
    pub invocation_budget: Duration,
    /// The PDF engine.
    pub pdf: PdfSettings,
    /// The text-layer analyzer's page limits.
    pub page_analysis: PageAnalysisSettings,
    /// `DRAWINGS_LOG_FORMAT` (unset: the host's default).
    pub log_format: Option<LogFormat>,
    /// `RUST_LOG`: a tracing filter (unset: the host's default).
    pub log_filter: Option<String>,
    /// `DRAWINGS_CALLBACK_SECRET`: the key signing completion notices (none: no notices).
    pub callback_secret: Option<Secret>,
    /// `DRAWINGS_API_KEY`: what `drawings submit` and `status` send in `x-api-key`.
    pub api_key: Option<Secret>,
    /// `DRAWINGS_API_KEYS_FILE`: the key hashes `drawings serve` accepts.
    pub api_keys_file: Option<PathBuf>,
    /// `DRAWINGS_AUTH`: the intake function's explicit opt-out of API keys.
    pub auth: AuthSetting,
    /// `DRAWINGS_API_KEYS_PARAMETER`: the SSM SecureString with the intake's key hashes.
    pub api_keys_parameter: Option<String>,
    /// `DRAWINGS_RATE_LIMIT_*`: requests per API key.
    pub rate_limit: RateSetting,
    /// `DRAWINGS_AUTH_FAILURE*`: failed authentications per source address.
    pub auth_failure_limit: RateSetting,
    /// `DRAWINGS_HTTP_*`: `drawings serve`'s connection limits.
    pub http: HttpSettings,
    /// The AWS resources, for the AWS hosts.
    pub aws: AwsNames,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingError> {
        Settings::read(&crate::env)
    }

    /// Reads every key of the catalogue through `lookup`, once.
    pub fn read(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let source = Source::new(lookup);
        let intake = read_intake(&source)?;
        let pipeline = crate::pipeline_keys::read(&source, &intake)?;
        Ok(Settings {
            data_dir: source
                .path(keys::DATA_DIR)
                .unwrap_or_else(|| PathBuf::from("drawings-data")),
            analyzer: source
                .choice(
                    keys::ANALYZER,
                    &[
                        ("text-layer", AnalyzerSetting::TextLayer),
                        ("gemini", AnalyzerSetting::Gemini),
                    ],
                )?
                .unwrap_or(AnalyzerSetting::Auto),
            gemini_api_key: source.text(keys::GEMINI_API_KEY).map(Secret),
            gemini_key_parameter: source.text(keys::GEMINI_KEY_PARAMETER),
            gemini: GEMINI_KEYS
                .iter()
                .filter_map(|&key| source.text(key).map(|value| (key, value)))
                .collect(),
            tag_schemes: source.path(keys::TAG_SCHEMES),
            intake,
            pipeline,
            render_tiles: source
                .choice(
                    keys::RENDER_TILES,
                    &[
                        ("auto", RenderTiles::Auto),
                        ("on", RenderTiles::On),
                        ("off", RenderTiles::Off),
                    ],
                )?
                .unwrap_or(RenderTiles::Auto),
            render_concurrency: crate::pipeline_keys::read_render_concurrency(&source)?,
            invocation_budget: source
                .seconds(keys::INVOCATION_BUDGET)?
                .unwrap_or(Duration::from_secs(900)),
            pdf: read_pdf(&source)?,
            page_analysis: PageAnalysisSettings {
                timeout: source.seconds(keys::PAGE_ANALYSIS_TIMEOUT_SECS)?,
                max_words: source.count(keys::PAGE_ANALYSIS_MAX_WORDS, 1)?,
                threads: source.count(keys::PAGE_ANALYSIS_THREADS, 1)?,
            },
            log_format: source.choice(
                keys::LOG_FORMAT,
                &[("json", LogFormat::Json), ("text", LogFormat::Text)],
            )?,
            log_filter: source.text(keys::RUST_LOG),
            callback_secret: source.text(keys::CALLBACK_SECRET).map(Secret),
            api_key: source.text(keys::API_KEY).map(Secret),
            api_keys_file: source.path(keys::API_KEYS_FILE),
            auth: source
                .choice(keys::AUTH, &[("keys", AuthSetting::Keys), ("off", AuthSetting::Off)])?
                .unwrap_or(AuthSetting::Keys),
            api_keys_parameter: source.text(keys::API_KEYS_PARAMETER),
            rate_limit: RateSetting::read(&source, keys::RATE_LIMIT_PER_MINUTE, keys::RATE_LIMIT_BURST)?,
            auth_failure_limit: RateSetting::read(&source, keys::AUTH_FAILURES_PER_MINUTE, keys::AUTH_FAILURE_BURST)?,
            http: HttpSettings::read(&source)?,
            aws: AwsNames {
                table: source.text(keys::TABLE),
                queue_url: source.text(keys::QUEUE_URL),
                dlq_url: source.text(keys::DLQ_URL),
                bucket: source.text(keys::BUCKET),
                alert_topic_arn: source.text(keys::ALERT_TOPIC_ARN),
            },
        })
    }

    /// The value of a `DRAWINGS_GEMINI_*` key, as set: the lookup Gemini's own
    /// configuration reads.
    pub fn gemini_value(&self, key: &str) -> Option<String> {
        self.gemini.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    }
}

/// Upload size, retention and the callback policy (local development only: plain-http
/// callbacks and receivers on loopback or private hosts).
fn read_intake(source: &Source<'_>) -> Result<IntakeConfig, SettingError> {
    let defaults = IntakeConfig::default();
    Ok(IntakeConfig {
        max_upload_bytes: source
            .count(keys::MAX_UPLOAD_BYTES, 1)?
            .unwrap_or(defaults.max_upload_bytes),
        ttl: source
            .count::<i64>(keys::JOB_TTL_DAYS, 1)?
            .map_or(defaults.ttl, chrono::Duration::days),
        allow_private_callbacks: source.flag(keys::CALLBACK_ALLOW_PRIVATE, false)?,
    })
}

fn read_pdf(source: &Source<'_>) -> Result<PdfSettings, SettingError> {
    Ok(PdfSettings {
        isolation: source.switch(keys::PDF_ISOLATION, true)?,
        page_timeout: source
            .seconds(keys::PAGE_TIMEOUT_SECS)?
            .unwrap_or(Duration::from_secs(60)),
        page_memory_mb: source.count::<u64>(keys::PAGE_MEMORY_MB, 64)?.unwrap_or(2048),
        ocr: source.switch(keys::OCR, true)?,
        tesseract: source.path(keys::TESSERACT),
        pdfium_lib: source.path(keys::PDFIUM_LIB),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    #[test]
    fn reading_asks_for_every_key_of_the_catalogue_and_for_nothing_else() {
        let asked = RefCell::new(BTreeSet::new());
        let record = |key: &str| {
            asked.borrow_mut().insert(key.to_owned());
            None
        };
        Settings::read(&record).expect("the defaults are valid");
        let catalogue: BTreeSet<String> = keys::ALL.iter().map(|k| k.name.to_owned()).collect();
        assert_eq!(asked.into_inner(), catalogue);
    }

    #[test]
    fn the_analyzer_is_auto_unless_named_and_an_unknown_name_is_refused() {
        let unset = Settings::read(&|_| None).unwrap();
        assert_eq!(unset.analyzer, AnalyzerSetting::Auto);
        let text = Settings::read(&|k| (k == keys::ANALYZER).then(|| "text-layer".into())).unwrap();
        assert_eq!(text.analyzer, AnalyzerSetting::TextLayer);
        assert!(!text.analyzer.may_use_gemini());
        let err = Settings::read(&|k| (k == keys::ANALYZER).then(|| "claude".into())).unwrap_err();
        assert_eq!(err.key, keys::ANALYZER);
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let settings = Settings::read(&|k| (k == keys::GEMINI_API_KEY).then(|| "sk-123".into())).unwrap();
        assert_eq!(settings.gemini_api_key.as_ref().map(Secret::expose), Some("sk-123"));
        assert!(!format!("{settings:?}").contains("sk-123"));
    }

    #[test]
    fn gemini_tuning_is_kept_as_set_for_geminis_own_checks() {
        let settings = Settings::read(&|k| (k == keys::GEMINI_MODEL).then(|| "gemini-x".into())).unwrap();
        assert_eq!(settings.gemini_value(keys::GEMINI_MODEL).as_deref(), Some("gemini-x"));
        assert_eq!(settings.gemini_value(keys::GEMINI_RPM), None);
    }
}
