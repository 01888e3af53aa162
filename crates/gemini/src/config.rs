//! What the Gemini client and analyzer are configured with. The binaries fill it from their
//! environment; nothing here reads it.

use crate::pricing::PriceTable;
use crate::wire::ThinkingConfig;
use std::time::Duration;

/// The public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// A model with a listed price in the built-in table.
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";

/// How much the model may think before it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thinking {
    /// A small budget that suits extraction, in the form the model family takes: a token
    /// budget on 2.5 models (Pro cannot turn it off), a level on Gemini 3.
    Auto,
    /// A token budget (`thinkingBudget`; 0 = off, -1 = dynamic).
    Budget(i32),
    /// A level (`thinkingLevel`: `MINIMAL`, `LOW`, `MEDIUM`, `HIGH`).
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
}

/// Everything the client and analyzer need.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// `https://generativelanguage.googleapis.com`, or a fake's address in tests.
    pub base_url: String,
    /// Sent as `x-goog-api-key`, never in the URL.
    pub api_key: String,
    /// A pinned model id (`gemini-2.5-flash`); aliases change silently.
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
    /// A model without a price is refused: a job must never show $0.
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

    #[test]
    fn auto_thinking_takes_the_form_each_family_accepts() {
        let t = Thinking::Auto;
        assert_eq!(t.for_model("gemini-2.5-pro").unwrap().thinking_budget, Some(1024));
        assert_eq!(t.for_model("gemini-2.5-flash").unwrap().thinking_level, None);
        let g3 = t.for_model("gemini-3.5-flash").unwrap();
        assert_eq!((g3.thinking_budget, g3.thinking_level.as_deref()), (None, Some("LOW")));
        assert_eq!(t.for_model("some-other-model"), None);
    }

    #[test]
    fn settings_are_read_and_a_model_without_a_price_is_refused() {
        let settings = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        let config = GeminiConfig::from_settings(
            "k".into(),
            settings(&[("DRAWINGS_GEMINI_THINKING", "budget:0"), ("DRAWINGS_GEMINI_RPM", "60")]),
        )
        .unwrap();
        assert_eq!(config.thinking, Thinking::Budget(0));
        assert_eq!(config.requests_per_minute, Some(60));
        let err = GeminiConfig::from_settings("k".into(), settings(&[("DRAWINGS_GEMINI_MODEL", "gemini-9-ultra")]))
            .unwrap_err();
        assert_eq!(err.name, "DRAWINGS_GEMINI_MODEL");
        assert!(GeminiConfig::from_settings("k".into(), settings(&[("DRAWINGS_GEMINI_RPM", "lots")])).is_err());
    }
}
