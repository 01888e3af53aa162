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
