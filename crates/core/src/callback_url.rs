//! The rules for a job's `callback_url`, checked at intake so a job never stores one the
//! sender would refuse, and checked again by the sender before each notice: an absolute
//! `https` URL of at most [`MAX_CALLBACK_URL_BYTES`], with a host, without credentials,
//! whitespace or control characters, whose host is neither a loopback name nor an IP literal
//! outside public unicast (see [`address`]).
//!
//! The host is read by the WHATWG URL parser that the sender's HTTP client uses, so every
//! spelling of an address counts as the address: `https://2852039166/`, `https://0xA9FEA9FE/`,
//! `https://0251.0376.0251.0376/` and `https://[::ffff:a9fe:a9fe]/` all name 169.254.169.254.
//! A name is not resolved here: what it resolves to at send time is the sender's check.
//!
//! Local development (`allow_private`, from `DRAWINGS_CALLBACK_ALLOW_PRIVATE=true`) lifts the
//! https and address rules, so a receiver on `http://127.0.0.1:9001` or a LAN host works.

pub mod address;

pub use address::{NonPublic, check_public};
pub use url::Url;

/// The longest callback URL accepted.
pub const MAX_CALLBACK_URL_BYTES: usize = 2048;

/// Why a callback URL is refused; the message is for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    /// Empty or longer than [`MAX_CALLBACK_URL_BYTES`].
    #[error("callback_url must be 1 to {MAX_CALLBACK_URL_BYTES} bytes long")]
    Length,
    /// Whitespace, control characters or a backslash (which the URL parser reads as `/`).
    #[error("callback_url must not contain whitespace, control characters or backslashes")]
    Characters,
    /// Not `http://` or `https://`.
    #[error("callback_url must be an absolute https:// URL")]
    Scheme,
    /// `http://` outside local development.
    #[error("callback_url must use https")]
    PlainHttp,
    /// `user:password@` in the authority.
    #[error("callback_url must not carry credentials")]
    Credentials,
    /// No host, a malformed one, or a malformed or zero port.
    #[error("callback_url has no valid host and port")]
    Host,
    /// The host is `localhost` or an IP literal that is not public unicast.
    #[error("callback_url must not point at a {0} address")]
    Address(NonPublic),
}

/// Checks `url` and returns it parsed, as the sender will request it.
pub fn check_callback_url(url: &str, allow_private: bool) -> Result<Url, CallbackUrlError> {
    if url.is_empty() || url.len() > MAX_CALLBACK_URL_BYTES {
        return Err(CallbackUrlError::Length);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(CallbackUrlError::Characters);
    }
    // The parser forgives a missing or extra slash (`https:/h`, `https:///h`); a client that
    // wrote one most likely meant something else, so the prefix and authority are held to
    // their plain form before the parser sees them.
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or(CallbackUrlError::Scheme)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(CallbackUrlError::Credentials);
    }
    if authority.is_empty() {
        return Err(CallbackUrlError::Host);
    }
    let parsed = Url::parse(url).map_err(|_| CallbackUrlError::Host)?;
    if parsed.port() == Some(0) {
        return Err(CallbackUrlError::Host);
    }
    if allow_private {
        return Ok(parsed);
    }
    if parsed.scheme() != "https" {
        return Err(CallbackUrlError::PlainHttp);
    }
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => check_public(ip.into()).map_err(CallbackUrlError::Address)?,
        Some(url::Host::Ipv6(ip)) => check_public(ip.into()).map_err(CallbackUrlError::Address)?,
        Some(url::Host::Domain(name)) if is_localhost(name) => {
            return Err(CallbackUrlError::Address(NonPublic::Loopback));
        }
        Some(url::Host::Domain(_)) => {}
        None => return Err(CallbackUrlError::Host),
    }
    Ok(parsed)
}

/// `localhost` and its subdomains, which resolvers answer with loopback (RFC 6761).
fn is_localhost(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name == "localhost" || name.ends_with(".localhost")
}

/// `url` as it may appear in a log line: `scheme://host[:port]/path`, without userinfo, query
/// or fragment. Receivers often authenticate notices with a token in the query string (or
/// credentials in the authority), and logs are read by more people than the job's owner.
/// Anything that is not an absolute URL logs as `<invalid url>`.
pub fn redact_callback_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<invalid url>".into();
    };
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return "<invalid url>".into();
    }
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let rest = &rest[..end];
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    // Userinfo ends at the last `@` of the authority (a password may hold one).
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_scheme_host_port_and_path_only() {
        for (url, logged) in [
            (
                "https://hooks.example.com/drawings/done?token=s3cr3t&x=1",
                "https://hooks.example.com/drawings/done",
            ),
            (
                "https://user:p@ss@example.com:8443/h#frag",
                "https://example.com:8443/h",
            ),
            ("http://[::1]:9001?token=s3cr3t", "http://[::1]:9001/"),
            ("https://example.com", "https://example.com/"),
            ("https://example.com/a/b/#x?token=s3cr3t", "https://example.com/a/b/"),
            ("not a url?token=s3cr3t", "<invalid url>"),
        ] {
            assert_eq!(redact_callback_url(url), logged, "{url}");
        }
    }

    #[test]
    fn https_urls_to_public_hosts_are_accepted_everywhere() {
        for url in [
            "https://example.com/hooks/drawings",
            "https://example.com:8443/h?x=1#frag",
            "HTTPS://Example.COM",
            "https://[2606:4700:4700::1111]:443/h",
            "https://93.184.216.34/h",
            "https://localhost.example.com/h",
        ] {
            assert!(check_callback_url(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn private_metadata_and_loopback_hosts_in_any_spelling_are_refused_at_submit() {
        use NonPublic::*;
        for (url, kind) in [
            ("https://169.254.169.254/latest/meta-data/", Metadata),
            ("https://10.0.0.8/h", Private),
            ("https://[::ffff:169.254.169.254]/", Metadata),
            ("https://[::ffff:a9fe:a9fe]/", Metadata),
            // Decimal, hex, octal and short forms, as the URL parser reads them.
            ("https://2852039166/", Metadata),
            ("https://0xA9FEA9FE/", Metadata),
            ("https://0251.0376.0251.0376/", Metadata),
            ("https://169.254.43518/", Metadata),
            ("https://127.1/", Loopback),
            ("https://localhost:9001/", Loopback),
            ("https://LOCALHOST./", Loopback),
            ("https://hooks.localhost/", Loopback),
            ("https://[::1]/", Loopback),
            ("https://[fd00:ec2::254]/", Metadata),
            ("https://100.64.0.1/", Shared),
            ("https://0.0.0.0/", Unspecified),
            ("https://[::]/", Unspecified),
            ("https://224.0.0.1/", Multicast),
            ("https://255.255.255.255/", Broadcast),
            ("https://[fe80::1]/", LinkLocal),
        ] {
            assert_eq!(
                check_callback_url(url, false),
                Err(CallbackUrlError::Address(kind)),
                "{url}"
            );
        }
    }

    #[test]
    fn plain_http_is_refused_even_to_loopback_without_the_local_development_setting() {
        for url in ["http://example.com/h", "http://127.0.0.1:9000/h", "http://localhost/h"] {
            assert_eq!(
                check_callback_url(url, false),
                Err(CallbackUrlError::PlainHttp),
                "{url}"
            );
        }
    }

    #[test]
    fn local_development_allows_plain_http_and_private_hosts() {
        for url in [
            "http://localhost:9000/h",
            "http://127.0.0.1:9000/h",
            "http://[::1]:80/",
            "http://10.0.0.8/h",
            "http://example.com/h",
        ] {
            assert!(check_callback_url(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_parsed_url_is_the_one_the_sender_requests() {
        let parsed = check_callback_url("https://Hooks.Example.com:8443/a?t=1", false).unwrap();
        assert_eq!(parsed.as_str(), "https://hooks.example.com:8443/a?t=1");
        let decimal = check_callback_url("http://2852039166/", true).unwrap();
        assert_eq!(decimal.host_str(), Some("169.254.169.254"));
    }

    #[test]
    fn malformed_or_unsafe_urls_are_refused() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_CALLBACK_URL_BYTES));
        for url in [
            "",
            "example.com/h",
            "/relative",
            "ftp://example.com/",
            "https:/example.com/",
            "https://",
            "https:///path",
            "https://user:pw@example.com/",
            "https://@example.com/",
            "https://exa mple.com/",
            "https://example.com/\n",
            "https://example.com\\@evil.example/",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://example.com:8a/",
            "https://[not-v6]/",
            "https://[::1]x/",
            long.as_str(),
        ] {
            assert!(check_callback_url(url, true).is_err(), "{url:?} must be refused");
        }
    }
}
