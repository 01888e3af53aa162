//! Reading keys from a lookup: the environment ([`env`]), values fetched from SSM, or a map
//! in a test. A value is trimmed, and an empty one counts as unset (a template's `""`
//! parameter default). Each typed read fails with a [`SettingError`] that names the key.

use drawings_core::ErrorClass;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// One value from the process environment, the lookup every host passes by default.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A value that cannot be used. Its class is always [`ErrorClass::Invalid`]: the same value
/// fails the same way until someone changes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}={value:?}: {reason}")]
pub struct SettingError {
    /// The key, e.g. `DRAWINGS_RENDER_DPI`.
    pub key: &'static str,
    /// The value as found (empty when the problem is a missing value).
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl SettingError {
    /// `key` with `value` is wrong because of `reason`.
    pub fn new(key: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        SettingError {
            key,
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// What a caller may do about it: nothing but change the value.
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Invalid
    }
}

/// Typed reads over a lookup.
pub struct Source<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Source<'a> {
    /// Reads through `lookup`.
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Source { lookup }
    }

    /// The trimmed value; unset or blank is `None`.
    pub fn text(&self, key: &'static str) -> Option<String> {
        (self.lookup)(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A path.
    pub fn path(&self, key: &'static str) -> Option<PathBuf> {
        self.text(key).map(PathBuf::from)
    }

    /// A value parsed with [`FromStr`]; `what` says what was expected.
    pub fn parse<T: FromStr>(&self, key: &'static str, what: &str) -> Result<Option<T>, SettingError> {
        self.text(key)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| SettingError::new(key, v, format!("expected {what}")))
            })
            .transpose()
    }

    /// A whole number of at least `min`.
    pub fn count<T>(&self, key: &'static str, min: T) -> Result<Option<T>, SettingError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        match self.parse::<T>(key, "a whole number")? {
            Some(n) if n < min => Err(SettingError::new(key, n.to_string(), format!("must be at least {min}"))),
            n => Ok(n),
        }
    }

    /// A positive number of seconds (fractions allowed).
    pub fn seconds(&self, key: &'static str) -> Result<Option<Duration>, SettingError> {
        match self.parse::<f64>(key, "a number of seconds")? {
            Some(s) if !(s.is_finite() && s > 0.0) => Err(SettingError::new(
                key,
                s.to_string(),
                "must be a positive number of seconds",
            )),
            Some(s) => Ok(Some(Duration::from_secs_f64(s))),
            None => Ok(None),
        }
    }

    /// One of `choices` (`(value, meaning)`), or `None` when unset.
    pub fn choice<T: Copy>(&self, key: &'static str, choices: &[(&str, T)]) -> Result<Option<T>, SettingError> {
        let Some(value) = self.text(key) else { return Ok(None) };
        match choices.iter().find(|(name, _)| *name == value) {
            Some((_, choice)) => Ok(Some(*choice)),
            None => {
                let names: Vec<String> = choices.iter().map(|(name, _)| format!("`{name}`")).collect();
                Err(SettingError::new(
                    key,
                    value,
                    format!("expected {}", names.join(" or ")),
                ))
            }
        }
    }

    /// `on` or `off`.
    pub fn switch(&self, key: &'static str, default: bool) -> Result<bool, SettingError> {
        Ok(self.choice(key, &[("on", true), ("off", false)])?.unwrap_or(default))
    }

    /// `true` or `false`.
    pub fn flag(&self, key: &'static str, default: bool) -> Result<bool, SettingError> {
        Ok(self
            .choice(key, &[("true", true), ("false", false)])?
            .unwrap_or(default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> impl Fn(&str) -> Option<String> {
        move |_| Some(value.to_owned())
    }

    #[test]
    fn blank_values_count_as_unset_and_values_are_trimmed() {
        let blank = with("  ");
        assert_eq!(Source::new(&blank).text("K"), None);
        let padded = with(" 42 ");
        assert_eq!(Source::new(&padded).count::<u32>("K", 1), Ok(Some(42)));
    }

    #[test]
    fn a_bad_value_names_its_key_and_is_invalid() {
        let lots = with("lots");
        let err = Source::new(&lots).count::<u32>("DRAWINGS_MAX_PAGES", 1).unwrap_err();
        assert_eq!(err.key, "DRAWINGS_MAX_PAGES");
        assert_eq!(err.class(), ErrorClass::Invalid);
        assert!(err.to_string().starts_with("DRAWINGS_MAX_PAGES=\"lots\""), "{err}");
        let zero = with("0");
        assert!(Source::new(&zero).count::<u32>("K", 1).is_err());
        assert!(Source::new(&zero).seconds("K").is_err());
        let maybe = with("maybe");
        let err = Source::new(&maybe).switch("DRAWINGS_OCR", true).unwrap_err();
        assert_eq!(err.reason, "expected `on` or `off`");
    }

    #[test]
    fn seconds_take_fractions() {
        let half = with("0.5");
        assert_eq!(Source::new(&half).seconds("K"), Ok(Some(Duration::from_millis(500))));
    }
}
