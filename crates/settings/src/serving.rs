//! The API hosts' settings: authentication, rate limits and `drawings serve`'s HTTP limits.
//! Unset values keep the API crate's defaults; with feature `api` they come out as the API
//! crate's own types.

use crate::keys;
use crate::source::{SettingError, Source};
use std::time::Duration;

/// `DRAWINGS_AUTH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSetting {
    /// API keys are required (the default).
    Keys,
    /// `off`: the intake function serves without keys (an explicit opt-out).
    Off,
}

/// A token-bucket limit as set: requests a minute (0: no limit) and the burst (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateSetting {
    /// Sustained requests a minute.
    pub per_minute: Option<u32>,
    /// Requests at once after a quiet spell.
    pub burst: Option<u32>,
}

impl RateSetting {
    pub(crate) fn read(
        source: &Source<'_>,
        per_minute: &'static str,
        burst: &'static str,
    ) -> Result<Self, SettingError> {
        Ok(RateSetting {
            per_minute: source.count(per_minute, 0)?,
            burst: source.count(burst, 1)?,
        })
    }
}

/// `drawings serve`'s connection limits (`DRAWINGS_HTTP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpSettings {
    /// Time to send a request's line and headers.
    pub header_timeout: Option<Duration>,
    /// Idle keep-alive connections, or stalled response readers.
    pub idle_timeout: Option<Duration>,
    /// Longest pause within a request body.
    pub body_timeout: Option<Duration>,
    /// Headers to answer, upload included.
    pub request_timeout: Option<Duration>,
    /// Connections served at once (at least 1).
    pub max_connections: Option<usize>,
    /// Largest request line and headers (at least 1024: below that ordinary headers do not
    /// fit).
    pub max_header_bytes: Option<usize>,
}

impl HttpSettings {
    pub(crate) fn read(source: &Source<'_>) -> Result<Self, SettingError> {
        Ok(HttpSettings {
            header_timeout: source.seconds(keys::HTTP_HEADER_TIMEOUT_SECS)?,
            idle_timeout: source.seconds(keys::HTTP_IDLE_TIMEOUT_SECS)?,
            body_timeout: source.seconds(keys::HTTP_BODY_TIMEOUT_SECS)?,
            request_timeout: source.seconds(keys::HTTP_REQUEST_TIMEOUT_SECS)?,
            max_connections: source.count(keys::HTTP_MAX_CONNECTIONS, 1)?,
            max_header_bytes: source.count(keys::HTTP_MAX_HEADER_BYTES, 1024)?,
        })
    }
}

#[cfg(feature = "api")]
mod api {
    use super::{HttpSettings, RateSetting};
    use crate::Settings;
    use drawings_api::RateLimit;
    use drawings_api::edge::EdgeLimits;

    impl RateSetting {
        fn over(self, defaults: RateLimit) -> RateLimit {
            RateLimit {
                per_minute: self.per_minute.unwrap_or(defaults.per_minute),
                burst: self.burst.unwrap_or(defaults.burst),
            }
        }
    }

    impl HttpSettings {
        fn over(self, defaults: EdgeLimits) -> EdgeLimits {
            EdgeLimits {
                header_timeout: self.header_timeout.unwrap_or(defaults.header_timeout),
                idle_timeout: self.idle_timeout.unwrap_or(defaults.idle_timeout),
                body_timeout: self.body_timeout.unwrap_or(defaults.body_timeout),
                request_timeout: self.request_timeout.unwrap_or(defaults.request_timeout),
                max_connections: self.max_connections.unwrap_or(defaults.max_connections),
                max_header_bytes: self.max_header_bytes.unwrap_or(defaults.max_header_bytes),
            }
        }
    }

    impl Settings {
        /// Requests per API key (120 a minute, bursts of 30).
        pub fn rate_limit(&self) -> RateLimit {
            self.rate_limit.over(RateLimit::default())
        }

        /// Failed authentications per source address (10 a minute, bursts of 20).
        pub fn auth_failure_limit(&self) -> RateLimit {
            self.auth_failure_limit.over(RateLimit::AUTH_FAILURES)
        }

        /// `drawings serve`'s HTTP limits.
        pub fn http_limits(&self) -> EdgeLimits {
            self.http.over(EdgeLimits::default())
        }
    }

    #[cfg(test)]
    mod tests {
        use crate::{Settings, keys};

        #[test]
        fn limits_default_to_the_api_crates_and_take_what_is_set() {
            let unset = Settings::read(&|_| None).unwrap();
            assert_eq!((unset.rate_limit().per_minute, unset.rate_limit().burst), (120, 30));
            let failures = unset.auth_failure_limit();
            assert_eq!((failures.per_minute, failures.burst), (10, 20));
            assert_eq!(unset.http_limits().max_header_bytes, 32 * 1024);
            let set = Settings::read(&|k| match k {
                keys::RATE_LIMIT_PER_MINUTE => Some("0".into()),
                keys::HTTP_MAX_CONNECTIONS => Some("8".into()),
                _ => None,
            })
            .unwrap();
            assert_eq!((set.rate_limit().per_minute, set.rate_limit().burst), (0, 30));
            assert_eq!(set.http_limits().max_connections, 8);
        }

        #[test]
        fn a_burst_of_zero_or_a_tiny_header_limit_is_refused() {
            for (key, value) in [
                (keys::RATE_LIMIT_BURST, "0"),
                (keys::AUTH_FAILURE_BURST, "0"),
                (keys::HTTP_MAX_HEADER_BYTES, "512"),
                (keys::HTTP_MAX_CONNECTIONS, "0"),
            ] {
                let err = Settings::read(&|k| (k == key).then(|| value.to_owned())).unwrap_err();
                assert_eq!(err.key, key);
            }
        }
    }
}
