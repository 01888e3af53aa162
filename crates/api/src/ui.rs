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

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The scripts, in the order the page loads them (later ones use the earlier ones' globals).
const SCRIPTS: [(&str, &str); 5] = [
    ("api.js", include_str!("../assets/api.js")),
    ("jobs.js", include_str!("../assets/jobs.js")),
    ("viewer.js", include_str!("../assets/viewer.js")),
    ("schedule.js", include_str!("../assets/schedule.js")),
    ("main.js", include_str!("../assets/main.js")),
];

/// The UI's routes: `/` and its assets under `/ui/`. They carry no job data, so they are
/// served without a key (the page asks for one and sends it with its API calls).
pub(crate) fn router() -> Router {
    Router::new().route("/", get(|| async { asset("index.html") })).route(
        "/ui/{name}",
        get(|Path(name): Path<String>| async move { asset(&name) }),
    )
}

fn asset(name: &str) -> Response {
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
    // The page loads nothing from elsewhere; say so, so an injected script could not either.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// One page of a report: its size in points and its PNG.
#[derive(Debug, Clone)]
pub struct ReportPage {
    /// 1-based page number.
    pub page: u32,
    /// Width of the upright page in points.
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
    /// The rendered page.
    pub png: Vec<u8>,
}

/// What a report shows and offers.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// The job's id.
    pub job_id: &'a str,
    /// The drawing's file name.
    pub file_name: &'a str,
    /// `components.json`, as written.
    pub components_json: &'a [u8],
    /// `schedule.csv`.
    pub schedule_csv: &'a [u8],
    /// `schedule.xlsx`.
    pub schedule_xlsx: &'a [u8],
    /// The pages, in order.
    pub pages: Vec<ReportPage>,
}

#[derive(Serialize)]
struct ReportData<'a> {
    job_id: &'a str,
    file_name: &'a str,
    schedule: serde_json::Value,
    pages: Vec<ReportPageData>,
    downloads: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct ReportPageData {
    page: u32,
    width_pt: f32,
    height_pt: f32,
    image: String,
}

/// The job view as one HTML file with everything inside: styles, scripts, the schedule as
/// JSON and the page images and downloads as data URIs. Opened from disk it needs no server
/// and no network.
pub fn report_html(report: &Report<'_>) -> Result<String, serde_json::Error> {
    let data = ReportData {
        job_id: report.job_id,
        file_name: report.file_name,
        schedule: serde_json::from_slice(report.components_json)?,
        pages: report
            .pages
            .iter()
            .map(|p| ReportPageData {
                page: p.page,
                width_pt: p.width_pt,
                height_pt: p.height_pt,
                image: data_uri("image/png", &p.png),
            })
            .collect(),
        downloads: vec![
            ("components.json", data_uri("application/json", report.components_json)),
            ("schedule.csv", data_uri("text/csv", report.schedule_csv)),
            (
                "schedule.xlsx",
                data_uri(drawings_core::XLSX_CONTENT_TYPE, report.schedule_xlsx),
            ),
        ],
    };
    // `<` escaped so no string in the data can close the script element.
    let json = serde_json::to_string(&data)?.replace('<', "\\u003c");
    let mut html = INDEX_HTML.replace(
        "<link rel=\"stylesheet\" href=\"/ui/style.css\">",
        &format!("<style>\n{STYLE_CSS}\n</style>"),
    );
    for (name, body) in SCRIPTS {
        html = html.replace(
            &format!("<script src=\"/ui/{name}\"></script>"),
            &format!("<script>\n{}\n</script>", body.replace("</script", "<\\/script")),
        );
    }
    let data_script = format!("<script type=\"application/json\" id=\"report-data\">{json}</script>\n</head>");
    Ok(html.replacen("</head>", &data_script, 1))
}

fn data_uri(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", base64(bytes))
}

/// Standard base64 with padding; a dozen lines rather than a dependency for one caller.
fn base64(bytes: &[u8]) -> String {
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
    fn the_report_inlines_every_asset_and_references_nothing_outside() {
        let report = Report {
            job_id: "0123",
            file_name: "a.pdf",
            components_json: br#"{"components":[],"totals":{},"warnings":[],"pages":1,"note":"</script>"}"#,
            schedule_csv: b"id\n",
            schedule_xlsx: b"PK",
            pages: vec![ReportPage {
                page: 1,
                width_pt: 612.0,
                height_pt: 792.0,
                png: vec![1, 2, 3],
            }],
        };
        let html = report_html(&report).unwrap();
        assert!(!html.contains("/ui/"), "every asset is inlined");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "no network"
        );
        assert_eq!(html.matches("</script>").count(), SCRIPTS.len() + 1);
        assert!(html.contains("data:image/png;base64,AQID"));
        assert!(html.contains("id=\"report-data\""));
    }
}
