//! The web UI: a job view served at `/` by `drawings serve` (and by the intake Lambda, whose
//! router is the same), and the same view as one self-contained `report.html` that
//! `drawings process` writes beside the results.
//!
//! The page is static HTML, CSS and JavaScript compiled into the binary (`include_str!`), so
//! it works with no network and no CDN. It holds no data itself: it calls the API like any
//! client, with the key the user types (kept in `sessionStorage`, sent as `x-api-key`), so
//! the page's routes are served outside the key check and one client still sees only its own
//! jobs. Pan and zoom are hand-written (a CSS transform over each page's image and its SVG
//! overlay) rather than OpenSeadragon: a page image is at most 3072² pixels (one image, no
//! tile pyramid to stream), and scaling the image and the overlay as one element keeps every
//! box exactly on its bbox at any zoom with no overlay plugin.
//!
//! On S3 a large page image or result file is a `307` to a presigned GET (`results.rs`). The
//! browser follows it inside the page's request, so the page's `connect-src` names the
//! origin of those URLs (learnt once, from one presigned URL of the blob store; a store that
//! presigns nothing adds none), and the bucket allows the page's GETs by CORS (the SAM
//! template's `CorsConfiguration`).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use drawings_core::StoreError;
use drawings_core::ports::BlobStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

mod report;
pub use report::{Report, ReportPage, ReportWriter};

pub(super) const INDEX_HTML: &str = include_str!("../assets/index.html");
pub(super) const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The scripts, in the order the page loads them (later ones use the earlier ones' globals).
pub(super) const SCRIPTS: [(&str, &str); 5] = [
    ("api.js", include_str!("../assets/api.js")),
    ("jobs.js", include_str!("../assets/jobs.js")),
    ("viewer.js", include_str!("../assets/viewer.js")),
    ("schedule.js", include_str!("../assets/schedule.js")),
    ("main.js", include_str!("../assets/main.js")),
];

/// The UI's routes: `/` and its assets under `/ui/`. They carry no job data, so they are
/// served without a key (the page asks for one and sends it with its API calls). `blobs`:
/// the store whose presigned GETs the page may be redirected to.
pub(crate) fn router(blobs: Arc<dyn BlobStore>) -> Router {
    let policy = Arc::new(Policy {
        blobs,
        redirect_origin: OnceCell::new(),
    });
    let index = policy.clone();
    Router::new()
        .route(
            "/",
            get(move || async move { asset("index.html", &index.header().await) }),
        )
        .route(
            "/ui/{name}",
            get(move |Path(name): Path<String>| async move { asset(&name, &policy.header().await) }),
        )
}

/// The pages' Content-Security-Policy.
struct Policy {
    blobs: Arc<dyn BlobStore>,
    /// The origin of the store's presigned GETs; `None` for a store that presigns nothing.
    redirect_origin: OnceCell<Option<String>>,
}

impl Policy {
    /// The page loads nothing from elsewhere, so an injected script could not either; it may
    /// only connect to the API and, where redirects go there, the blob store.
    async fn header(&self) -> HeaderValue {
        let origin = self
            .redirect_origin
            .get_or_try_init(|| async {
                // Presigning is local (a signature over the URL): no request is sent.
                let url = self
                    .blobs
                    .presign_get("ui/origin-probe", Duration::from_secs(60))
                    .await?;
                Ok::<_, StoreError>(url.as_deref().and_then(origin_of))
            })
            .await
            .unwrap_or_else(|e| {
                // Not cached: the next page load tries again. Meanwhile small files still load.
                tracing::warn!(error = %e, "No presigned URL to learn the blob store's origin from.");
                &None
            });
        let connect = match origin {
            Some(origin) => format!("'self' {origin}"),
            None => "'self'".to_owned(),
        };
        let policy = format!(
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; \
             connect-src {connect}; frame-ancestors 'none'"
        );
        // `origin_of` lets through only characters a header value takes.
        HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    }
}

/// `scheme://host[:port]` of `url`, if it has one made only of the characters an origin may
/// have (a CSP source list is split on spaces and `;`).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let plain =
        |s: &str, extra: &[char]| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(&c));
    (plain(scheme, &['+', '-', '.']) && plain(authority, &['-', '.', ':', '[', ']']))
        .then(|| format!("{scheme}://{authority}"))
}

fn asset(name: &str, policy: &HeaderValue) -> Response {
    let (content_type, body) = match name {
        "index.html" => ("text/html; charset=utf-8", INDEX_HTML),
        "style.css" => ("text/css; charset=utf-8", STYLE_CSS),
        _ => match SCRIPTS.iter().find(|(n, _)| *n == name) {
            Some((_, body)) => ("text/javascript; charset=utf-8", *body),
            None => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
        },
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Assets change with the binary only; no-cache makes a browser revalidate after an upgrade.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
    response
}

/// Standard base64 with padding; a dozen lines rather than a dependency for one caller.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn origin_of_keeps_scheme_host_and_port_and_refuses_what_a_policy_could_not_hold() {
        let s3 = "https://b.s3.us-east-1.amazonaws.com/jobs/k.png?X-Amz-Expires=300&X-Amz-Signature=ab";
        assert_eq!(origin_of(s3).as_deref(), Some("https://b.s3.us-east-1.amazonaws.com"));
        assert_eq!(
            origin_of("http://127.0.0.1:5000/bucket/k?x=1").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(origin_of("https://a;b.example/k"), None);
        assert_eq!(origin_of("https://a b.example/k"), None);
        assert_eq!(origin_of("no-scheme/k"), None);
    }
}
