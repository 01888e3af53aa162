//! `drawings inspect FILE [--json]`: the `validation` stage and a per-page summary of one
//! file, without a job or a store. Exit 0 when the file can be processed; exit 1 with
//! `{"error":{"code","message"}}` on stdout when it cannot, so scripts (and the corpus
//! conformance test) get a stable code either way.

use crate::config::Config;
use crate::embedded::pdf_engine;
use anyhow::{Context, Result};
use drawings_core::ErrorCode;
use drawings_core::ports::{Inspection, PageSummary, PdfEngine, PdfError, PdfLimits};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

/// What `--json` prints for a file that can be processed.
#[derive(Serialize)]
struct Report<'a> {
    file: String,
    bytes: u64,
    page_count: u32,
    pdf_version: Option<&'a str>,
    producer: Option<&'a str>,
    warnings: &'a [String],
    pages: &'a [PageSummary],
}

/// Inspects `file` and prints the verdict (see the module docs).
pub async fn run(config: &Config, file: &Path, json: bool) -> Result<ExitCode> {
    let engine = pdf_engine(config)?;
    let limits = config.pipeline.limits.clone();
    let pdf = match read_within_limit(file, limits.max_bytes).await {
        Ok(pdf) => pdf,
        Err(error) => return Ok(refuse(file, &error, json)),
    };
    // PDFium is blocking and CPU-bound: keep it off the async workers.
    let verdict = tokio::task::spawn_blocking(move || inspect_all(engine.as_ref(), &pdf, &limits))
        .await
        .context("the inspection task failed")?;
    match verdict {
        Ok((inspection, pages)) => {
            let report = Report {
                file: file.display().to_string(),
                bytes: inspection.bytes,
                page_count: inspection.page_count,
                pdf_version: inspection.pdf_version.as_deref(),
                producer: inspection.producer.as_deref(),
                warnings: &inspection.warnings,
                pages: &pages,
            };
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print_table(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Ok(refuse(file, &error, json)),
    }
}

/// Reads the file after checking its size, so a file over the limit is never loaded.
async fn read_within_limit(file: &Path, max_bytes: u64) -> Result<Vec<u8>, PdfError> {
    let unreadable = |error: std::io::Error| {
        let code = match error.kind() {
            std::io::ErrorKind::NotFound => ErrorCode::NotFound,
            _ => ErrorCode::InvalidRequest,
        };
        PdfError::new(code, format!("cannot read {}: {error}", file.display()))
    };
    let metadata = tokio::fs::metadata(file).await.map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(PdfError::new(
            ErrorCode::InvalidRequest,
            format!("{} is not a regular file", file.display()),
        ));
    }
    if metadata.len() > max_bytes {
        return Err(too_large(metadata.len(), max_bytes));
    }
    let pdf = tokio::fs::read(file).await.map_err(unreadable)?;
    // The file may have grown between the two calls.
    match pdf.len() as u64 {
        len if len > max_bytes => Err(too_large(len, max_bytes)),
        _ => Ok(pdf),
    }
}

fn too_large(bytes: u64, max_bytes: u64) -> PdfError {
    PdfError::new(
        ErrorCode::PayloadTooLarge,
        format!("the file is {bytes} bytes; the limit is {max_bytes} bytes (DRAWINGS_MAX_UPLOAD_BYTES)"),
    )
}

/// Validation, then every page's summary. A page that cannot be summarized makes the file
/// unprocessable: the pipeline would fail on that page too.
fn inspect_all(
    engine: &dyn PdfEngine,
    pdf: &[u8],
    limits: &PdfLimits,
) -> Result<(Inspection, Vec<PageSummary>), PdfError> {
    let inspection = engine.inspect(pdf, limits)?;
    let mut pages = Vec::with_capacity(inspection.pages.len());
    for index in 0..inspection.page_count {
        let summary = engine.summarize_page(pdf, index).map_err(|error| {
            PdfError::new(
                error.code,
                format!(
                    "page {} of {}: {}",
                    u64::from(index) + 1,
                    inspection.page_count,
                    error.message
                ),
            )
        })?;
        pages.push(summary);
    }
    Ok((inspection, pages))
}

/// Prints the error object on stdout (in both modes, so a script needs no flag to get the
/// code) and, for a person, a line on stderr.
fn refuse(file: &Path, error: &PdfError, json: bool) -> ExitCode {
    let body = serde_json::json!({ "error": { "code": error.code.as_str(), "message": error.message } });
    println!("{body}");
    if !json {
        eprintln!("drawings: {} cannot be processed: {error}", file.display());
    }
    ExitCode::FAILURE
}

fn print_table(report: &Report<'_>) {
    let mut about = vec![
        format!("{} pages", report.page_count),
        format!("{} bytes", report.bytes),
    ];
    if let Some(version) = report.pdf_version {
        about.push(format!("PDF {version}"));
    }
    if let Some(producer) = report.producer {
        about.push(format!("producer {producer}"));
    }
    println!("{}: {}", report.file, about.join(", "));
    for warning in report.warnings {
        println!("warning: {warning}");
    }
    println!();
    println!(
        "{:>4}  {:>17}  {:>15}  {:>3}  {:>7}  {:>10}  {:>6}  SCANNED",
        "PAGE", "SIZE (pt)", "SIZE (in)", "ROT", "TEXT", "UNREADABLE", "IMAGES"
    );
    for page in report.pages {
        println!(
            "{:>4}  {:>17}  {:>15}  {:>3}  {:>7}  {:>10}  {:>6}  {}",
            u64::from(page.index) + 1,
            format!("{:.1} x {:.1}", page.width_pt, page.height_pt),
            format!("{:.2} x {:.2}", page.width_pt / 72.0, page.height_pt / 72.0),
            page.rotation,
            page.text_chars,
            page.unreadable_chars,
            page.images,
            if page.looks_scanned { "yes" } else { "no" },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pdf");
        std::fs::write(&path, vec![b'%'; 2048]).unwrap();
        let error = read_within_limit(&path, 1024).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::PayloadTooLarge);
        assert_eq!(read_within_limit(&path, 2048).await.unwrap().len(), 2048);
    }

    #[tokio::test]
    async fn a_missing_file_is_not_found_and_a_directory_is_an_invalid_request() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_within_limit(&dir.path().join("nope.pdf"), 1024).await.unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
        let directory = read_within_limit(dir.path(), 1024).await.unwrap_err();
        assert_eq!(directory.code, ErrorCode::InvalidRequest);
    }
}
