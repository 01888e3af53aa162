//! Which analyzer a host runs, decided in one place from `DRAWINGS_ANALYZER` and whether a
//! Gemini key was found. No key never stops a host: it runs the text layer and says why.

use crate::keys;
use crate::settings::Secret;
use crate::settings::{AnalyzerSetting, Settings};

/// The analyzer a host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerKind {
    /// The offline text-layer analyzer.
    TextLayer,
    /// Google Gemini.
    Gemini,
}

impl AnalyzerKind {
    /// The name the analyzer gives its results (`text-layer`, `gemini`).
    pub fn as_str(self) -> &'static str {
        match self {
            AnalyzerKind::TextLayer => "text-layer",
            AnalyzerKind::Gemini => "gemini",
        }
    }
}

/// A Gemini key, or why there is none.
#[derive(Debug, Clone)]
pub enum GeminiKey {
    /// The key.
    Found(Secret),
    /// Why there is no key (unset, a missing SSM parameter, ...).
    Missing(String),
}

/// The decision and its reason, which the host logs at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzerChoice {
    /// What runs.
    pub kind: AnalyzerKind,
    /// Why, in words an operator can act on.
    pub reason: String,
    /// `gemini` was asked for and the text layer runs instead (the host warns).
    pub fallback: bool,
}

impl Settings {
    /// The key from `GEMINI_API_KEY`, as the CLI and `serve` find it (the AWS functions also
    /// read `DRAWINGS_GEMINI_KEY_PARAMETER` from SSM).
    pub fn gemini_key_from_env(&self) -> GeminiKey {
        match (&self.gemini_api_key, &self.gemini_key_parameter) {
            (Some(key), _) => GeminiKey::Found(key.clone()),
            (None, None) => GeminiKey::Missing(format!("{} is not set", keys::GEMINI_API_KEY)),
            (None, Some(_)) => GeminiKey::Missing(format!(
                "{} is not set, and {} is read by the AWS functions only",
                keys::GEMINI_API_KEY,
                keys::GEMINI_KEY_PARAMETER
            )),
        }
    }

    /// The analyzer for `DRAWINGS_ANALYZER` with `key`: `text-layer` always; `gemini` or unset
    /// with a key, Gemini; without a key, the text layer (a fallback when `gemini` was named).
    pub fn choose_analyzer(&self, key: &GeminiKey) -> AnalyzerChoice {
        let choice = |kind, reason: String, fallback| AnalyzerChoice { kind, reason, fallback };
        match (self.analyzer, key) {
            (AnalyzerSetting::TextLayer, _) => {
                choice(AnalyzerKind::TextLayer, format!("{}=text-layer", keys::ANALYZER), false)
            }
            (AnalyzerSetting::Gemini, GeminiKey::Found(_)) => {
                choice(AnalyzerKind::Gemini, format!("{}=gemini", keys::ANALYZER), false)
            }
            (AnalyzerSetting::Auto, GeminiKey::Found(_)) => choice(
                AnalyzerKind::Gemini,
                format!("a Gemini key is configured and {} is not set", keys::ANALYZER),
                false,
            ),
            (AnalyzerSetting::Auto, GeminiKey::Missing(why)) => {
                choice(AnalyzerKind::TextLayer, format!("no Gemini key: {why}"), false)
            }
            (AnalyzerSetting::Gemini, GeminiKey::Missing(why)) => choice(
                AnalyzerKind::TextLayer,
                format!("{}=gemini, but there is no Gemini key: {why}", keys::ANALYZER),
                true,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_analyzer(value: Option<&'static str>) -> Settings {
        Settings::read(&|k| {
            if k == keys::ANALYZER {
                value.map(str::to_owned)
            } else {
                None
            }
        })
        .unwrap()
    }

    #[test]
    fn without_a_key_every_setting_runs_the_text_layer_and_says_why() {
        let missing = GeminiKey::Missing("the parameter does not exist".into());
        for (setting, fallback) in [(None, false), (Some("text-layer"), false), (Some("gemini"), true)] {
            let choice = with_analyzer(setting).choose_analyzer(&missing);
            assert_eq!(choice.kind, AnalyzerKind::TextLayer, "{setting:?}");
            assert_eq!(choice.fallback, fallback, "{setting:?}");
        }
        let named = with_analyzer(Some("gemini")).choose_analyzer(&missing);
        assert!(
            named.reason.contains("the parameter does not exist"),
            "{}",
            named.reason
        );
    }

    #[test]
    fn text_layer_is_kept_even_with_a_key_and_a_key_alone_picks_gemini() {
        let key = GeminiKey::Found(Secret::new("k"));
        assert_eq!(
            with_analyzer(Some("text-layer")).choose_analyzer(&key).kind,
            AnalyzerKind::TextLayer
        );
        assert_eq!(with_analyzer(None).choose_analyzer(&key).kind, AnalyzerKind::Gemini);
        assert_eq!(
            with_analyzer(Some("gemini")).choose_analyzer(&key).kind,
            AnalyzerKind::Gemini
        );
    }

    #[test]
    fn the_cli_finds_its_key_in_gemini_api_key_and_explains_the_ssm_parameter() {
        let settings = Settings::read(&|k| (k == keys::GEMINI_KEY_PARAMETER).then(|| "/drawings/dev/gemini".into()));
        let GeminiKey::Missing(why) = settings.unwrap().gemini_key_from_env() else {
            panic!("no key is set");
        };
        assert!(why.contains(keys::GEMINI_KEY_PARAMETER), "{why}");
    }
}
