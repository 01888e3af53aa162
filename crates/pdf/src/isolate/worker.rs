//! The worker side: a process that caps its own memory and CPU time, confines itself
//! ([`super::sandbox`]), answers one request with the in-process engine, and exits. The parent
//! treats any death as the file's fault or the limit's, never its own.

use super::protocol::{ImageHeader, OpenWindow, Request, Response, read_body, read_line, write_line};
use super::sandbox;
use super::shared::{DocumentReader, inherited_document};
use crate::extract::extract_from;
use crate::{OcrSettings, PdfiumEngine};
use drawings_core::ErrorCode;
use drawings_core::ports::{ExtractedPage, PdfEngine, PdfError};
use pdfium_render::prelude::PdfDocument;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Limits the worker applies to itself before it touches the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// Address-space cap (RLIMIT_AS), bytes.
    pub memory_bytes: u64,
    /// CPU-time cap (RLIMIT_CPU), seconds: a backstop behind the parent's wall clock.
    pub cpu_secs: u64,
    /// The parent's wall-clock limit, milliseconds, so the worker can end its own children
    /// (Tesseract) in time. Absent from older parents: taken as `cpu_secs - 1` seconds.
    pub wall_ms: Option<u64>,
    /// Pages of one document the worker serves before it exits (`--pages`); absent: it
    /// answers one request and exits. `cpu_secs` is then each page's allowance.
    pub pages: Option<u32>,
}

impl WorkerLimits {
    /// The arguments that pass these limits to a worker.
    pub fn to_args(self) -> Vec<String> {
        let mut args = vec![
            "--memory-bytes".into(),
            self.memory_bytes.to_string(),
            "--cpu-secs".into(),
            self.cpu_secs.to_string(),
        ];
        if let Some(wall_ms) = self.wall_ms {
            args.extend(["--wall-ms".into(), wall_ms.to_string()]);
        }
        if let Some(pages) = self.pages {
            args.extend(["--pages".into(), pages.to_string()]);
        }
        args
    }

    /// The wall-clock limit the parent enforces.
    pub fn wall(self) -> Duration {
        self.wall_ms.map_or(
            Duration::from_secs(self.cpu_secs.saturating_sub(1).max(1)),
            Duration::from_millis,
        )
    }

    /// Parses what [`WorkerLimits::to_args`] wrote.
    pub fn from_args(args: &[String]) -> Option<WorkerLimits> {
        let value = |flag: &str| {
            args.windows(2)
                .find(|w| w[0] == flag)
                .and_then(|w| w[1].parse::<u64>().ok())
        };
        Some(WorkerLimits {
            memory_bytes: value("--memory-bytes")?,
            cpu_secs: value("--cpu-secs")?,
            wall_ms: value("--wall-ms"),
            pages: value("--pages").and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0),
        })
    }
}

#[cfg(unix)]
fn apply(limits: WorkerLimits) -> io::Result<()> {
    use rlimit::{Resource, setrlimit};
    setrlimit(Resource::AS, limits.memory_bytes, limits.memory_bytes)?;
    // The soft limit sends SIGXCPU; the hard one a second later SIGKILL. A serving worker's
    // hard limit covers all its pages, and the soft one is renewed per page ([`renew_cpu`]):
    // an unprivileged process may raise its soft limit up to the hard one, never the hard.
    let pages = u64::from(limits.pages.unwrap_or(1));
    setrlimit(Resource::CPU, limits.cpu_secs, limits.cpu_secs * pages + 1)
}

#[cfg(not(unix))]
fn apply(_: WorkerLimits) -> io::Result<()> {
    Ok(())
}

/// Gives the next page of a serving worker its own `cpu_secs`, counted from the CPU time
/// used so far. Where that time cannot be read the allowance stays as it was, which is
/// stricter, never looser.
#[cfg(target_os = "linux")]
fn renew_cpu(limits: WorkerLimits) {
    use rlimit::{Resource, getrlimit, setrlimit};
    let Some(used) = cpu_used_secs() else { return };
    let Ok((_, hard)) = getrlimit(Resource::CPU) else {
        return;
    };
    let soft = (used + limits.cpu_secs).min(hard.saturating_sub(1));
    if let Err(e) = setrlimit(Resource::CPU, soft, hard) {
        eprintln!("pdf-worker: cannot renew the CPU allowance: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn renew_cpu(_: WorkerLimits) {}

/// CPU time this process has used, whole seconds rounded up, from `/proc/self/stat` (user
/// and system time, fields 14 and 15, in the kernel's fixed 100 ticks a second).
#[cfg(target_os = "linux")]
fn cpu_used_secs() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces and parentheses; the fields after its last `)` do not.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks.div_ceil(100))
}

/// Longest request line accepted (the JSON header, not the PDF).
const MAX_HEADER: u64 = 64 * 1024;

/// Runs one request from stdin to stdout. `args` are the worker's arguments after its
/// subcommand name: the limits, optionally `--pdfium-lib PATH` (the library the parent
/// was configured with) and the OCR settings ([`OcrSettings::to_args`]). Exit code 0: a
/// response was written (possibly `Failed`); 2: bad usage, or the worker could not set its
/// limits or confine itself. Its stderr carries its [`super::Confinement`] first.
pub fn worker_main(args: &[String]) -> ExitCode {
    if let Some(path) = args.windows(2).find(|w| w[0] == "--pdfium-lib").map(|w| w[1].clone()) {
        crate::use_library(path.into());
    }
    let Some(limits) = WorkerLimits::from_args(args) else {
        eprintln!("pdf-worker: usage: pdf-worker --memory-bytes N --cpu-secs N < request");
        return ExitCode::from(2);
    };
    if let Err(e) = apply(limits) {
        eprintln!("pdf-worker: cannot set resource limits: {e}");
        return ExitCode::from(2);
    }
    // Tesseract, a child of this process, must end before the parent's wall clock ends us.
    let ocr = OcrSettings::from_args(args).within_wall(limits.wall());
    // Before PDFium is loaded or the file read, while this process has one thread.
    match sandbox::confine(&ocr) {
        Ok(confinement) => eprintln!("{}", confinement.report_line()),
        Err(e) => {
            eprintln!("pdf-worker: {e}");
            return ExitCode::from(2);
        }
    }
    let engine = PdfiumEngine::with_ocr(ocr.clone());
    let (mut input, mut out) = (
        BufReader::new(io::stdin().lock()),
        io::BufWriter::new(io::stdout().lock()),
    );
    let served = match limits.pages {
        Some(pages) => serve_pages(&engine, &ocr, limits, pages, &mut input, &mut out),
        None => serve(&engine, &mut input, &mut out),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pdf-worker: {e}");
            ExitCode::from(2)
        }
    }
}

fn serve(engine: &PdfiumEngine, input: &mut impl io::BufRead, out: &mut impl Write) -> io::Result<()> {
    let request: Request = read_line(input, MAX_HEADER)?;
    let mut pdf = Vec::new();
    input.read_to_end(&mut pdf)?;
    match request {
        Request::Inspect { limits } => {
            let response = engine
                .inspect(&pdf, &limits)
                .map_or_else(Response::Failed, Response::Inspected);
            write_line(out, &response)?;
        }
        Request::Summarize { page } => {
            let response = engine
                .summarize_page(&pdf, page)
                .map_or_else(Response::Failed, Response::Summarized);
            write_line(out, &response)?;
        }
        Request::Extract { page, options } => answer_extract(out, engine.extract_page(&pdf, page, &options))?,
        Request::PageTree { len, fd } => {
            let pdf = DocumentReader::new(inherited_document(fd)?, len).all()?;
            let tree =
                crate::open::without_panics("reading the page tree", || Ok(crate::page_window::read_page_tree(&pdf)))
                    .unwrap_or_else(|e| Err(e.message));
            write_line(out, &Response::PageTree(tree))?;
        }
        Request::Open { .. } | Request::OpenShared { .. } => {
            return Err(invalid("`open` is only for a worker started with --pages"));
        }
    }
    out.flush()
}

/// Serves up to `pages` requests on one document, opened once: the document load a one-shot
/// worker repeats for every page is paid once per worker.
fn serve_pages(
    engine: &PdfiumEngine,
    ocr: &OcrSettings,
    limits: WorkerLimits,
    pages: u32,
    input: &mut impl io::BufRead,
    out: &mut impl Write,
) -> io::Result<()> {
    // The document comes through the input, or is shared in a memory file (`shared.rs`),
    // which PDFium then reads as it needs it: this worker never holds it whole.
    let (pdf, shared) = match read_line(input, MAX_HEADER)? {
        Request::Open { len } => (Some(read_body(input, len)?), None),
        Request::OpenShared { len, fd, window } => {
            let window = match window {
                Some(window) => Some((window, read_body(input, window.tail_len)?)),
                None => None,
            };
            (None, Some((inherited_document(fd)?, len, window)))
        }
        _ => return Err(invalid("a serving worker's first request must be `open`")),
    };
    let (document, window) = match (&pdf, &shared) {
        (Some(pdf), _) => (
            crate::open::without_panics("opening the document", || {
                crate::open::require_pdf_header(pdf)?;
                crate::open::open_document(pdf)
            }),
            None,
        ),
        (None, Some((file, len, window))) => open_shared(file, *len, window.as_ref()),
        (None, None) => (Err(PdfError::new(ErrorCode::Internal, "no document")), None),
    };
    for served in 0..pages {
        // The parent ends a worker it no longer needs by closing its input.
        if input.fill_buf()?.is_empty() {
            return Ok(());
        }
        let request: Request = read_line(input, MAX_HEADER)?;
        let started = Instant::now();
        if served > 0 {
            renew_cpu(limits);
        }
        match request {
            Request::Extract { page, options } => {
                let extracted = match (&document, place(page, window)) {
                    (Ok(document), Some(at)) => crate::open::without_panics("page extraction", || {
                        extract_from(document, page, at, &options, ocr, started)
                    }),
                    (Ok(_), None) => Err(PdfError::new(
                        ErrorCode::Internal,
                        format!("page {page} is outside this worker's window"),
                    )),
                    (Err(e), _) => Err(e.clone()),
                };
                answer_extract(out, extracted)?;
                crate::heap::trim();
            }
            Request::Summarize { page } => {
                // Never asked of a serving worker by this parent; answered all the same.
                let whole = match (&pdf, &shared) {
                    (Some(pdf), _) => pdf.clone(),
                    (None, Some((file, len, _))) => DocumentReader::new(file.try_clone()?, *len).all()?,
                    (None, None) => Vec::new(),
                };
                let response = engine
                    .summarize_page(&whole, page)
                    .map_or_else(Response::Failed, Response::Summarized);
                write_line(out, &response)?;
            }
            Request::Inspect { .. } | Request::Open { .. } | Request::OpenShared { .. } | Request::PageTree { .. } => {
                return Err(invalid("a serving worker answers page requests only"));
            }
        }
        out.flush()?;
    }
    Ok(())
}

/// Opens the shared document: as its window where it has one that opens with the pages
/// expected, else whole (and says so on stderr), with the window it is served through.
fn open_shared<'a>(
    file: &File,
    len: u64,
    window: Option<&(OpenWindow, Vec<u8>)>,
) -> (Result<PdfDocument<'a>, PdfError>, Option<OpenWindow>) {
    let open = |tail: Vec<u8>| {
        crate::open::without_panics("opening the document", || {
            let file = file
                .try_clone()
                .map_err(|e| PdfError::new(ErrorCode::Internal, e.to_string()))?;
            crate::open::open_reader(DocumentReader::with_tail(file, len, tail))
        })
    };
    if let Some((window, tail)) = window {
        match open(tail.clone()) {
            Ok(document) if i64::from(document.pages().len()) == i64::from(window.count) => {
                return (Ok(document), Some(*window));
            }
            Ok(document) => eprintln!(
                "pdf-worker: the window of {} pages from page {} opened with {}; reading the whole document",
                window.count,
                window.first,
                document.pages().len()
            ),
            Err(e) => eprintln!("pdf-worker: the page window did not open ({e}); reading the whole document"),
        }
    }
    (open(Vec::new()), None)
}

/// Where page `page` of the document is in what this worker opened.
fn place(page: u32, window: Option<OpenWindow>) -> Option<u32> {
    match window {
        None => Some(page),
        Some(window) => page.checked_sub(window.first).filter(|at| *at < window.count),
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Writes the answer to `Extract`: the line, then the page's PNG and each tile's.
fn answer_extract(out: &mut impl Write, extracted: Result<ExtractedPage, PdfError>) -> io::Result<()> {
    let extracted = match extracted {
        Ok(extracted) => extracted,
        Err(e) => return write_line(out, &Response::Failed(e)),
    };
    let header = |png: &[u8], width_px, height_px, dpi, x_px, y_px| ImageHeader {
        width_px,
        height_px,
        dpi,
        x_px,
        y_px,
        len: png.len() as u64,
    };
    let image = &extracted.image;
    let response = Response::Extracted {
        image: header(&image.png, image.width_px, image.height_px, image.dpi, 0, 0),
        tiles: extracted
            .tiles
            .iter()
            .map(|t| header(&t.png, t.width_px, t.height_px, t.dpi, t.x_px, t.y_px))
            .collect(),
        text: extracted.text,
    };
    write_line(out, &response)?;
    out.write_all(&image.png)?;
    for tile in &extracted.tiles {
        out.write_all(&tile.png)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_round_trip_through_arguments() {
        let limits = WorkerLimits {
            memory_bytes: 1 << 31,
            cpu_secs: 61,
            wall_ms: Some(60_000),
            pages: None,
        };
        assert_eq!(WorkerLimits::from_args(&limits.to_args()), Some(limits));
        let serving = WorkerLimits {
            pages: Some(8),
            ..limits
        };
        assert_eq!(WorkerLimits::from_args(&serving.to_args()), Some(serving));
        assert_eq!(WorkerLimits::from_args(&["--memory-bytes".into(), "x".into()]), None);
    }

    #[test]
    fn a_page_is_found_in_its_window_and_nowhere_else() {
        let window = OpenWindow {
            first: 16,
            count: 8,
            tail_len: 300,
        };
        assert_eq!(place(20, None), Some(20));
        assert_eq!([16, 23].map(|page| place(page, Some(window))), [Some(0), Some(7)]);
        assert_eq!([15, 24].map(|page| place(page, Some(window))), [None, None]);
    }

    #[test]
    fn a_parent_that_names_no_wall_clock_gets_one_second_less_than_the_cpu_cap() {
        let old = ["--memory-bytes", "1024", "--cpu-secs", "61"].map(String::from);
        let limits = WorkerLimits::from_args(&old).unwrap();
        assert_eq!((limits.wall_ms, limits.wall()), (None, Duration::from_secs(60)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_cpu_time_used_is_read_and_grows() {
        // Spins until the reading grows, with a deadline far above the one second of CPU that
        // takes: on a loaded machine the process gets a share of a core, not all of it.
        let before = cpu_used_secs().expect("/proc/self/stat");
        let spin = Instant::now();
        let mut x = 0u64;
        while cpu_used_secs().expect("/proc/self/stat") <= before && spin.elapsed() < Duration::from_secs(30) {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        assert!(cpu_used_secs().expect("/proc/self/stat") > before);
    }
}
