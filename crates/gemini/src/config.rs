//! What the Gemini client and analyzer are configured with. The binaries fill it from their
//! environment; nothing here reads it.

use crate::pricing::PriceTable;
use crate::wire::ThinkingConfig;
use std::time::Duration;

/// The public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The model used when `DRAWINGS_GEMINI_MODEL` is not set: GA since 2026-09-02, priced in the
/// built-in table. (`gemini-2.5-flash`, the default before, was shut down on 2026-12-01.)
pub const DEFAULT_MODEL: &str = "gemini-3.8-flash";

/// Model ids Google has shut down (Gemini API deprecations page; `reference/gemini-api.md`
/// §8.1). A job on one of them could only fail, so it is refused before any call. Ids not
/// listed here that Google retires later fail at their first call with a 404, which becomes
/// the same error.
pub const RETIRED_MODELS: &[&str] = &[
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3-pro-preview",
    "gemini-3.1-flash-lite-preview",
];

/// Whole families shut down: every id starting with one of these is retired.
pub const RETIRED_FAMILIES: &[&str] = &["gemini-1.5-", "gemini-2.0-"];

/// Whether `model` is known to be retired.
pub fn is_retired(model: &str) -> bool {
    let model = model.trim_start_matches("models/");
    RETIRED_MODELS.contains(&model) || RETIRED_FAMILIES.iter().any(|f| model.starts_with(f))
}

/// What a user reads when the configured model is not served: which setting to change, and to
/// what. `why` says how we know (`was retired by Google`, `is not served: ...`).
pub fn model_unavailable_message(model: &str, why: &str) -> String {
    format!(
        "the model {model} {why}; set DRAWINGS_GEMINI_MODEL to a model Google serves today, \
         e.g. {DEFAULT_MODEL} (the default when the setting is absent)"
    )
}

/// How much the model may think before it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thinking {
    /// A small budget that suits extraction, in the form the model family takes: a token
    /// budget on 2.5 models (Pro cannot turn it off), a level on Gemini 3.
    Auto,
    /// A token budget (`thinkingBudget`; 0 = off, -1 = dynamic).
    Budget(i32),
    /// A level (`thinkingLevel`: `MINIMAL`, `LOW`, `MEDIUM`, `HIGH`; Gemini 3 only, and
    /// `gemini-3.8-flash` dropped `MINIMAL`).
    Level(String),
    /// Send no `thinkingConfig` at all (the model's default).
    ModelDefault,
}

impl Thinking {
    /// The `thinkingConfig` for `model`. Sending a level to a 2.5 model, or both fields, is a
    /// 400, so the family decides the form.
    pub fn for_model(&self, model: &str) -> Option<ThinkingConfig> {
        let budget = |b| ThinkingConfig {
            thinking_budget: Some(b),
            thinking_level: None,
        };
        let level = |l: &str| ThinkingConfig {
            thinking_budget: None,
            thinking_level: Some(l.to_owned()),
        };
        match self {
            Thinking::ModelDefault => None,
            Thinking::Budget(b) => Some(budget(*b)),
            Thinking::Level(l) => Some(level(l)),
            Thinking::Auto if model.starts_with("gemini-2.5-pro") => Some(budget(1024)),
            Thinking::Auto if model.starts_with("gemini-2.5") => Some(budget(512)),
            Thinking::Auto if model.starts_with("gemini-3") => Some(level("LOW")),
            Thinking::Auto => None,
        }
    }

    /// Why `model` would answer this setting with a 400, if it would: a level on a 2.5 model,
    /// a budget on Gemini 3 (which takes levels), or a level the model does not have.
    pub fn refusal(&self, model: &str) -> Option<String> {
        let gemini3 = model.starts_with("gemini-3");
        match self {
            Thinking::Level(_) if !gemini3 => Some(format!("{model} takes a thinking budget (budget:N), not a level")),
            Thinking::Budget(_) if gemini3 => Some(format!("{model} takes a thinking level (level:LOW), not a budget")),
            Thinking::Level(level) => {
                let levels = thinking_levels(model);
                (!levels.contains(&level.as_str()))
                    .then(|| format!("{model} takes the thinking levels {}, not {level}", levels.join(", ")))
            }
            _ => None,
        }
    }
}

/// The thinking levels a Gemini 3 model accepts.
fn thinking_levels(model: &str) -> &'static [&'static str] {
    if model.starts_with("gemini-3.8-flash") {
        // 3.8 Flash removed MINIMAL (reported by API resellers at its launch, 2026-09).
        &["LOW", "MEDIUM", "HIGH"]
    } else {
        &["MINIMAL", "LOW", "MEDIUM", "HIGH"]
    }
}

/// Everything the client and analyzer need.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// `https://generativelanguage.googleapis.com`, or a fake's address in tests.
    pub base_url: String,
    /// Sent as `x-goog-api-key`, never in the URL.
    pub api_key: String,
    /// A pinned model id (`gemini-3.8-flash`); aliases change silently.
    pub model: String,
    /// Per request: a large page can take minutes.
    pub request_timeout: Duration,
    /// Per connection attempt.
    pub connect_timeout: Duration,
    /// Largest encoded request sent inline; a bigger page goes through the Files API.
    pub inline_limit_bytes: usize,
    /// `maxOutputTokens` of the first call for a page (thought tokens count against it).
    pub max_output_tokens: u32,
    /// The largest budget a truncated answer is retried with.
    pub max_output_tokens_ceiling: u32,
    /// Thinking.
    pub thinking: Thinking,
    /// Sampling temperature; `None` keeps the model's default (right for Gemini 3).
    pub temperature: Option<f32>,
    /// Attempts per call, the first included, for retryable HTTP failures.
    pub max_attempts: u32,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// Process-wide request rate towards this model (`None`: unlimited).
    pub requests_per_minute: Option<u32>,
    /// How often and how long an uploaded file is polled until `ACTIVE`.
    pub file_poll_interval: Duration,
    /// Gives up on a file that stays `PROCESSING` longer than this.
    pub file_poll_timeout: Duration,
    /// Prices per model.
    pub prices: PriceTable,
}

impl GeminiConfig {
    /// Defaults for everything but the key.
    pub fn new(api_key: impl Into<String>) -> Self {
        GeminiConfig {
            base_url: DEFAULT_BASE_URL.into(),
            api_key: api_key.into(),
            model: DEFAULT_MODEL.into(),
            request_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            inline_limit_bytes: 20 << 20,
            max_output_tokens: 16_384,
            max_output_tokens_ceiling: 65_536,
            thinking: Thinking::Auto,
            temperature: None,
            max_attempts: 5,
            max_backoff: Duration::from_secs(60),
            requests_per_minute: None,
            file_poll_interval: Duration::from_secs(1),
            file_poll_timeout: Duration::from_secs(120),
            prices: PriceTable::default(),
        }
    }
}

/// A setting that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?}: {reason}")]
pub struct SettingError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl GeminiConfig {
    /// The configuration for `api_key` with the `DRAWINGS_GEMINI_*` settings that `lookup`
    /// finds (each binary passes its environment reader, so the variables mean the same
    /// everywhere): `DRAWINGS_GEMINI_MODEL`, `_BASE_URL`, `_TIMEOUT_SECS`,
    /// `_INLINE_LIMIT_BYTES`, `_MAX_OUTPUT_TOKENS`, `_THINKING` (`auto`, `default`,
    /// `budget:N`, `level:NAME`), `_RPM`, `_MAX_ATTEMPTS` and `_PRICES` (a JSON price file).
    /// A model without a price is refused: a job must never show $0. So are a retired model
    /// (`MODEL_UNAVAILABLE`) and a thinking setting the model would answer with a 400.
    pub fn from_settings(api_key: String, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        fn number<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, SettingError> {
            value.parse().map_err(|_| SettingError {
                name,
                value,
                reason: "not a valid number".into(),
            })
        }
        let mut gemini = GeminiConfig::new(api_key);
        if let Some(model) = lookup("DRAWINGS_GEMINI_MODEL") {
            gemini.model = model.trim_start_matches("models/").to_owned();
        }
        if let Some(url) = lookup("DRAWINGS_GEMINI_BASE_URL") {
            gemini.base_url = url;
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_TIMEOUT_SECS") {
            let secs: f64 = number("DRAWINGS_GEMINI_TIMEOUT_SECS", v)?;
            gemini.request_timeout = Duration::from_secs_f64(secs.clamp(1.0, 3600.0));
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_INLINE_LIMIT_BYTES") {
            gemini.inline_limit_bytes = number("DRAWINGS_GEMINI_INLINE_LIMIT_BYTES", v)?;
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_MAX_OUTPUT_TOKENS") {
            gemini.max_output_tokens = number::<u32>("DRAWINGS_GEMINI_MAX_OUTPUT_TOKENS", v)?.max(256);
            gemini.max_output_tokens_ceiling = gemini.max_output_tokens_ceiling.max(gemini.max_output_tokens);
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_THINKING") {
            gemini.thinking = match v.split_once(':') {
                None if v == "auto" => Thinking::Auto,
                None if v == "default" => Thinking::ModelDefault,
                Some(("budget", n)) => Thinking::Budget(number("DRAWINGS_GEMINI_THINKING", n.to_owned())?),
                Some(("level", level)) => Thinking::Level(level.to_ascii_uppercase()),
                _ => {
                    return Err(SettingError {
                        name: "DRAWINGS_GEMINI_THINKING",
                        value: v,
                        reason: "expected auto, default, budget:N or level:NAME".into(),
                    });
                }
            };
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_RPM") {
            gemini.requests_per_minute = Some(number("DRAWINGS_GEMINI_RPM", v)?);
        }
        if let Some(v) = lookup("DRAWINGS_GEMINI_MAX_ATTEMPTS") {
            gemini.max_attempts = number::<u32>("DRAWINGS_GEMINI_MAX_ATTEMPTS", v)?.max(1);
        }
        if let Some(path) = lookup("DRAWINGS_GEMINI_PRICES") {
            let unreadable = |reason: String| SettingError {
                name: "DRAWINGS_GEMINI_PRICES",
                value: path.clone(),
                reason,
            };
            let body = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
            gemini.prices = PriceTable::from_json(&body).map_err(|e| unreadable(e.to_string()))?;
        }
        if is_retired(&gemini.model) {
            let reason = model_unavailable_message(&gemini.model, "was retired by Google");
            return Err(SettingError {
                name: "DRAWINGS_GEMINI_MODEL",
                value: gemini.model,
                reason: format!("MODEL_UNAVAILABLE: {reason}"),
            });
        }
        if let Some(reason) = gemini.thinking.refusal(&gemini.model) {
            return Err(SettingError {
                name: "DRAWINGS_GEMINI_THINKING",
                value: lookup("DRAWINGS_GEMINI_THINKING").unwrap_or_default(),
                reason,
            });
        }
        if gemini.prices.price(&gemini.model).is_none() {
            return Err(SettingError {
                name: "DRAWINGS_GEMINI_MODEL",
                value: gemini.model,
                reason: format!(
                    "no price in the price table (as of {}); add one with DRAWINGS_GEMINI_PRICES",
                    gemini.prices.as_of
                ),
            });
        }
        Ok(gemini)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn auto_thinking_takes_the_form_each_family_accepts() {
        let t = Thinking::Auto;
        assert_eq!(t.for_model("gemini-2.5-pro").unwrap().thinking_budget, Some(1024));
        assert_eq!(t.for_model("gemini-2.5-flash-lite").unwrap().thinking_level, None);
        for model in [DEFAULT_MODEL, "gemini-3.5-flash"] {
            let g3 = t.for_model(model).unwrap();
            assert_eq!((g3.thinking_budget, g3.thinking_level.as_deref()), (None, Some("LOW")));
        }
        assert_eq!(t.for_model("some-other-model"), None);
    }

    #[test]
    fn the_default_is_a_served_priced_gemini_3_model_thinking_low() {
        let config = GeminiConfig::from_settings("k".into(), settings(&[])).unwrap();
        assert_eq!(config.model, "gemini-3.8-flash");
        assert!(!is_retired(&config.model));
        assert!(config.prices.price(&config.model).is_some());
        let thinking = config.thinking.for_model(&config.model).unwrap();
        assert_eq!(thinking.thinking_level.as_deref(), Some("LOW"));
        assert_eq!(thinking.thinking_budget, None, "Gemini 3 never gets a budget");
    }

    #[test]
    fn retired_models_are_known_by_id_and_by_family() {
        for model in [
            "gemini-2.5-flash",
            "models/gemini-2.5-pro",
            "gemini-3-pro-preview",
            "gemini-3.1-flash-lite-preview",
            "gemini-1.5-flash-002",
            "gemini-2.0-flash",
        ] {
            assert!(is_retired(model), "{model}");
        }
        for model in ["gemini-2.5-flash-lite", "gemini-3.1-flash-lite", "gemini-3.8-flash"] {
            assert!(!is_retired(model), "{model}");
        }
    }

    #[test]
    fn a_retired_model_setting_is_refused_naming_the_setting_and_the_default() {
        let err = GeminiConfig::from_settings("k".into(), settings(&[("DRAWINGS_GEMINI_MODEL", "gemini-2.5-flash")]))
            .unwrap_err();
        assert_eq!(err.name, "DRAWINGS_GEMINI_MODEL");
        let text = err.to_string();
        assert!(
            text.contains("MODEL_UNAVAILABLE") && text.contains("gemini-3.8-flash"),
            "{text}"
        );
    }

    #[test]
    fn thinking_settings_the_model_would_refuse_are_refused() {
        let refused = |pairs| GeminiConfig::from_settings("k".into(), settings(pairs)).is_err();
        assert!(
            refused(&[("DRAWINGS_GEMINI_THINKING", "budget:512")]),
            "Gemini 3 takes levels"
        );
        assert!(
            refused(&[("DRAWINGS_GEMINI_THINKING", "level:minimal")]),
            "3.8 Flash dropped MINIMAL"
        );
        assert!(!refused(&[("DRAWINGS_GEMINI_THINKING", "level:medium")]));
        assert!(refused(&[
            ("DRAWINGS_GEMINI_MODEL", "gemini-2.5-flash-lite"),
            ("DRAWINGS_GEMINI_THINKING", "level:low")
        ]));
        assert!(!refused(&[
            ("DRAWINGS_GEMINI_MODEL", "gemini-3-flash-preview"),
            ("DRAWINGS_GEMINI_THINKING", "level:minimal")
        ]));
    }

    #[test]
    fn settings_are_read_and_a_model_without_a_price_is_refused() {
        let config = GeminiConfig::from_settings(
            "k".into(),
            settings(&[
                ("DRAWINGS_GEMINI_THINKING", "level:high"),
                ("DRAWINGS_GEMINI_RPM", "60"),
            ]),
        )
        .unwrap();
        assert_eq!(config.thinking, Thinking::Level("HIGH".into()));
        assert_eq!(config.requests_per_minute, Some(60));
        let err = GeminiConfig::from_settings("k".into(), settings(&[("DRAWINGS_GEMINI_MODEL", "gemini-9-ultra")]))
            .unwrap_err();
        assert_eq!(err.name, "DRAWINGS_GEMINI_MODEL");
        assert!(GeminiConfig::from_settings("k".into(), settings(&[("DRAWINGS_GEMINI_RPM", "lots")])).is_err());
    }
}
