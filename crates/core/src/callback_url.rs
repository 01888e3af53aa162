//! The rules for a job's `callback_url`, checked at intake so a job never stores one the
//! notifier would refuse: an absolute `http` or `https` URL of at most
//! [`MAX_CALLBACK_URL_BYTES`], with a host, without credentials, whitespace or control
//! characters. Plain `http` is allowed when the deployment allows it (the embedded server)
//! or when the host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`); otherwise (the AWS
//! deployment) only `https`, so a signed notice never crosses a network in the clear.

use std::net::{IpAddr, Ipv6Addr};

/// The longest callback URL accepted.
pub const MAX_CALLBACK_URL_BYTES: usize = 2048;

/// Checks `url`; the error says what is wrong, for the client.
pub fn check_callback_url(url: &str, allow_http: bool) -> Result<(), String> {
    if url.is_empty() || url.len() > MAX_CALLBACK_URL_BYTES {
        return Err(format!("callback_url must be 1 to {MAX_CALLBACK_URL_BYTES} bytes long"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("callback_url must not contain whitespace or control characters".into());
    }
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("callback_url must be an absolute http:// or https:// URL".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("callback_url must not carry credentials".into());
    }
    let host = host_of(authority).ok_or_else(|| "callback_url has no valid host".to_owned())?;
    if !https && !allow_http && !is_loopback(host) {
        return Err("callback_url must use https (plain http only for a loopback host)".into());
    }
    Ok(())
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

/// The host of `host[:port]` or `[v6][:port]`, when both parts are well-formed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&authority[..inside.len() + 2], port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && !(port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0))
    {
        return None;
    }
    let plain = host.starts_with('[') || host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    (!host.is_empty() && plain).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
    fn https_urls_with_a_host_are_accepted_everywhere() {
        for url in [
            "https://example.com/hooks/drawings",
            "https://example.com:8443/h?x=1#frag",
            "HTTPS://Example.COM",
            "https://[2001:db8::1]:443/h",
        ] {
            assert_eq!(check_callback_url(url, false), Ok(()), "{url}");
        }
    }

    #[test]
    fn plain_http_needs_a_loopback_host_unless_the_deployment_allows_it() {
        for url in [
            "http://localhost:9000/h",
            "http://127.0.0.1:9000/h",
            "http://127.9.9.9/h",
            "http://[::1]:80/",
        ] {
            assert_eq!(check_callback_url(url, false), Ok(()), "{url}");
        }
        assert!(check_callback_url("http://example.com/h", false).is_err());
        assert!(check_callback_url("http://10.0.0.8/h", false).is_err());
        assert_eq!(check_callback_url("http://example.com/h", true), Ok(()));
    }

    #[test]
    fn malformed_or_unsafe_urls_are_refused() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_CALLBACK_URL_BYTES));
        for url in [
            "",
            "example.com/h",
            "/relative",
            "ftp://example.com/",
            "https://",
            "https:///path",
            "https://user:pw@example.com/",
            "https://exa mple.com/",
            "https://example.com/\n",
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
