//! `report.html`: the job view as one self-contained file, written page by page.
//!
//! The page images go in as base64 data URIs, which make the file about 1.4 times the size of
//! the PNGs. Building it as one string (as it first was) held every image two or three times
//! over, so `drawings process` on a 120-page drawing peaked at several hundred MiB for the
//! report alone. [`ReportWriter`] writes the file as it goes instead: the head, the schedule
//! and the downloads first, then each page's image as the caller hands it over, so memory
//! holds one page at a time whatever the page count.

use super::{INDEX_HTML, SCRIPTS, STYLE_CSS, base64};
use std::io::{self, Write};

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

/// What a report shows and offers, but its pages (see [`ReportWriter::page`]).
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
}

/// Writes `report.html`: [`start`](Self::start), then [`page`](Self::page) for each page in
/// order, then [`finish`](Self::finish). The data sits in a `<script type="application/json"
/// id="report-data">` in the head, which the page's script reads in place of the API.
#[derive(Debug)]
pub struct ReportWriter<W: Write> {
    out: W,
    pages: usize,
    /// The page after the data script.
    rest: String,
}

/// Base64 works on 3-byte groups: a chunk a multiple of 3 long encodes with no padding inside.
const CHUNK: usize = 3 * 16 * 1024;

impl<W: Write> ReportWriter<W> {
    /// Writes everything before the pages: the page with its styles and scripts inlined, and
    /// the data's job, schedule and downloads.
    pub fn start(mut out: W, report: &Report<'_>) -> io::Result<Self> {
        let schedule: serde_json::Value = serde_json::from_slice(report.components_json)?;
        let html = inline_assets();
        let (head, rest) = html.split_once("</head>").unwrap_or((&html, ""));
        out.write_all(head.as_bytes())?;
        out.write_all(b"<script type=\"application/json\" id=\"report-data\">{\"job_id\":")?;
        out.write_all(script_safe_json(&report.job_id)?.as_bytes())?;
        out.write_all(b",\"file_name\":")?;
        out.write_all(script_safe_json(&report.file_name)?.as_bytes())?;
        out.write_all(b",\"schedule\":")?;
        out.write_all(script_safe_json(&schedule)?.as_bytes())?;
        out.write_all(b",\"downloads\":[")?;
        let downloads = [
            ("components.json", "application/json", report.components_json),
            ("schedule.csv", "text/csv", report.schedule_csv),
            ("schedule.xlsx", drawings_core::XLSX_CONTENT_TYPE, report.schedule_xlsx),
        ];
        for (n, (name, media_type, bytes)) in downloads.into_iter().enumerate() {
            if n > 0 {
                out.write_all(b",")?;
            }
            write!(out, "[\"{name}\",\"")?;
            write_data_uri(&mut out, media_type, bytes)?;
            out.write_all(b"\"]")?;
        }
        out.write_all(b"],\"pages\":[")?;
        Ok(ReportWriter {
            out,
            pages: 0,
            rest: format!("</head>{rest}"),
        })
    }

    /// Writes one page; the caller can drop its image once this returns.
    pub fn page(&mut self, page: &ReportPage) -> io::Result<()> {
        if self.pages > 0 {
            self.out.write_all(b",")?;
        }
        self.pages += 1;
        write!(
            self.out,
            "{{\"page\":{},\"width_pt\":{},\"height_pt\":{},\"image\":\"",
            page.page,
            serde_json::to_string(&page.width_pt)?,
            serde_json::to_string(&page.height_pt)?,
        )?;
        write_data_uri(&mut self.out, "image/png", &page.png)?;
        self.out.write_all(b"\"}")
    }

    /// Closes the data and writes the rest of the page; hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"]}</script>\n")?;
        self.out.write_all(self.rest.as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The UI's page with its stylesheet and scripts inside it rather than linked.
fn inline_assets() -> String {
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
    html
}

/// JSON with `<` escaped, so that no string in the data can close the script element.
fn script_safe_json(value: &impl serde::Serialize) -> io::Result<String> {
    Ok(serde_json::to_string(value)?.replace('<', "\\u003c"))
}

/// `data:{media_type};base64,…`, encoded a chunk at a time.
fn write_data_uri(out: &mut impl Write, media_type: &str, bytes: &[u8]) -> io::Result<()> {
    write!(out, "data:{media_type};base64,")?;
    for chunk in bytes.chunks(CHUNK) {
        out.write_all(base64(chunk).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_of(pages: &[ReportPage]) -> String {
        let report = Report {
            job_id: "0123",
            file_name: "a<b.pdf",
            components_json: br#"{"components":[],"totals":{},"warnings":[],"pages":1,"note":"</script>"}"#,
            schedule_csv: b"id\n",
            schedule_xlsx: b"PK",
        };
        let mut writer = ReportWriter::start(Vec::new(), &report).unwrap();
        for page in pages {
            writer.page(page).unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    fn page(n: u32, png: Vec<u8>) -> ReportPage {
        ReportPage {
            page: n,
            width_pt: 612.0,
            height_pt: 791.5,
            png,
        }
    }

    #[test]
    fn the_report_inlines_every_asset_and_references_nothing_outside() {
        let html = report_of(&[page(1, vec![1, 2, 3])]);
        assert!(!html.contains("/ui/"), "every asset is inlined");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "no network"
        );
        assert_eq!(html.matches("</script>").count(), SCRIPTS.len() + 1);
        assert!(html.contains("data:image/png;base64,AQID"));
        assert_eq!(html.matches("</head>").count(), 1);
    }

    #[test]
    fn the_data_script_is_the_json_the_page_reads_with_every_page_in_order() {
        let big: Vec<u8> = (0..CHUNK * 2 + 5).map(|i| (i * 7 % 251) as u8).collect();
        let html = report_of(&[page(1, vec![1, 2, 3]), page(2, big.clone())]);
        let start = html.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(data["job_id"], "0123");
        assert_eq!(data["file_name"], "a<b.pdf");
        assert_eq!(data["schedule"]["note"], "</script>");
        let names: Vec<_> = data["downloads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[0].clone())
            .collect();
        assert_eq!(names, ["components.json", "schedule.csv", "schedule.xlsx"]);
        assert_eq!(data["downloads"][1][1], "data:text/csv;base64,aWQK");
        let pages = data["pages"].as_array().unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(
            (pages[1]["page"].as_u64(), pages[1]["height_pt"].as_f64()),
            (Some(2), Some(791.5))
        );
        // Encoded a chunk at a time, the image is the same as encoded at once.
        let image = pages[1]["image"].as_str().unwrap();
        assert_eq!(image, format!("data:image/png;base64,{}", base64(&big)));
    }
}
