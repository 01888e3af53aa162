//! The sender's SSRF guard: a notice goes to a public address over https, or nowhere.
//!
//! Two checks, because the HTTP client takes two paths to an address. A URL whose host is an
//! IP literal (in any spelling the URL parser accepts) is connected to without resolving, so
//! [`check_target`] judges the literal before the request is made. A name goes through
//! [`PublicOnlyResolver`], the client's only resolver: it resolves the name and hands the
//! client the public addresses alone, so the client connects only to an address that was
//! checked. There is no second lookup for DNS rebinding to slip between check and connect.
//! No proxy is used either: a proxy would resolve the name itself, past the guard.
//!
//! Local development (`allow_private`) skips both, and the client resolves as usual.

use async_trait::async_trait;
use drawings_core::callback_url::{CallbackUrlError, NonPublic, Url, check_callback_url, check_public};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Why a notice is not sent at all. Never retried: the same URL is refused every time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The stored URL breaks the callback URL rules (plain http, an internal IP literal, ...).
    #[error("refused: {0}")]
    Url(#[from] CallbackUrlError),
    /// The name resolved only to addresses a notice may not go to.
    #[error("refused: the callback host resolves only to {0} addresses")]
    Resolved(NonPublic),
}

/// The URL to request for `url`: the callback URL rules, IP literals included, applied as at
/// intake (a job stored before the rules tightened is held to them too).
pub fn check_target(url: &str, allow_private: bool) -> Result<Url, Refused> {
    Ok(check_callback_url(url, allow_private)?)
}

/// Where a host name's addresses come from: the system resolver ([`SystemLookup`]) in
/// service; tests answer with the addresses a hostile DNS would.
#[async_trait]
pub trait Lookup: Send + Sync {
    /// The addresses of `host`.
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// `getaddrinfo`, as the HTTP client would resolve by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

#[async_trait]
impl Lookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0)).await?.map(|a| a.ip()).collect())
    }
}

/// The HTTP client's resolver: the [`Lookup`]'s answer without its non-public addresses.
#[derive(Clone)]
pub struct PublicOnlyResolver {
    lookup: Arc<dyn Lookup>,
}

impl PublicOnlyResolver {
    /// A resolver filtering what `lookup` answers.
    pub fn new(lookup: Arc<dyn Lookup>) -> Self {
        PublicOnlyResolver { lookup }
    }
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup.clone();
        Box::pin(async move {
            let resolved = lookup.lookup(name.as_str()).await?;
            // Port 0: the client puts the URL's port in.
            let addrs = public_only(resolved.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// `resolved` without its non-public addresses; [`Refused::Resolved`] when none is left.
fn public_only(resolved: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
    let mut first_refused = None;
    let public: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(|addr| match check_public(addr.ip()) {
            Ok(()) => true,
            Err(kind) => {
                first_refused.get_or_insert(kind);
                false
            }
        })
        .collect();
    match first_refused {
        Some(kind) if public.is_empty() => Err(Refused::Resolved(kind)),
        _ => Ok(public),
    }
}

/// The [`Refused`] somewhere in `error`'s source chain: the client wraps the resolver's
/// error in its own connect and request errors.
pub fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| SocketAddr::new(a.parse().unwrap(), 0)).collect()
    }

    #[test]
    fn only_public_addresses_of_a_name_are_kept() {
        let kept = public_only(addrs(&["10.0.0.1", "93.184.216.34", "::1", "2606:4700::1111"])).unwrap();
        assert_eq!(kept, addrs(&["93.184.216.34", "2606:4700::1111"]));
    }

    #[test]
    fn a_name_with_only_internal_addresses_is_refused_with_the_first_kind() {
        assert_eq!(
            public_only(addrs(&["169.254.169.254", "127.0.0.1"])),
            Err(Refused::Resolved(NonPublic::Metadata))
        );
        assert_eq!(
            public_only(addrs(&["::ffff:10.1.2.3"])),
            Err(Refused::Resolved(NonPublic::Private))
        );
    }

    #[test]
    fn ip_literal_hosts_are_judged_before_any_request() {
        for url in [
            "https://169.254.169.254/latest/meta-data/",
            "https://2852039166/",
            "https://[::ffff:169.254.169.254]/",
            "https://[fd00:ec2::254]/",
            "https://127.0.0.1:9001/",
            "https://localhost:9001/",
            "http://example.com/",
        ] {
            assert!(check_target(url, false).is_err(), "{url}");
        }
        assert!(check_target("http://127.0.0.1:9001/", true).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_localhost_and_its_refusal_is_found_in_a_wrapped_error() {
        let name: Name = "localhost".parse().unwrap();
        let error = match PublicOnlyResolver::new(Arc::new(SystemLookup)).resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        assert_eq!(refusal_in(error.as_ref()), Some(Refused::Resolved(NonPublic::Loopback)));

        #[derive(Debug, thiserror::Error)]
        #[error("connect")]
        struct Wrapper(#[source] Box<dyn std::error::Error + Send + Sync>);
        let wrapped = Wrapper(error);
        assert_eq!(refusal_in(&wrapped), Some(Refused::Resolved(NonPublic::Loopback)));
    }
}
