//! The HTTPS client the SDK clients share, trusting the roots AWS endpoints chain to.
//!
//! The SDK's default client trusts the platform's store, which it parses in full when the
//! configuration is loaded: some 150 certificates on Amazon Linux, over 400 on Debian (the
//! bundle and the directory), 5-70 ms of a function's init on this project's machine, most of
//! its cold start. Every AWS service endpoint presents a certificate from Amazon Trust
//! Services, whose roots are the five in `amazon-roots.pem` (Amazon Root CA 1-4 and
//! Starfield Services Root CA G2, as Mozilla's store ships them); parsing those costs well
//! under a millisecond. An endpoint override over `https` (an emulator with its own
//! certificate) gets the platform's store back, see [`crate::config_from_env`].

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Trust Services' roots, PEM.
pub(crate) const AMAZON_ROOTS: &[u8] = include_bytes!("amazon-roots.pem");

/// Which roots a client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roots {
    /// Amazon Trust Services' five: enough for every AWS endpoint.
    Amazon,
    /// The platform's store, as the SDK's default client.
    Platform,
}

/// An HTTPS client as the SDK's default one (rustls with aws-lc, proxies from the
/// environment), trusting `roots`.
pub(crate) fn https_client(roots: Roots) -> SharedHttpClient {
    let trust = match roots {
        Roots::Amazon => TrustStore::empty().with_pem_certificate(AMAZON_ROOTS),
        Roots::Platform => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context without extra server names always builds");
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = Connector::builder()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_amazon_roots_are_five_parsable_certificates() {
        let certificates: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(AMAZON_ROOTS)
            .collect::<Result<_, _>>()
            .expect("valid PEM");
        assert_eq!(certificates.len(), 5);
    }
}
