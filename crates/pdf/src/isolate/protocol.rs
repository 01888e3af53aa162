//! The wire format between the service and a PDF worker process.
//!
//! Request (worker's stdin): one JSON line, then the PDF bytes until end of input (none for
//! `PageTree`, which names the memory file the worker inherited).
//! Response (worker's stdout): one JSON line, then the binary bodies it announces (the page
//! PNG, then each tile's PNG), back to back. Nothing else is written to stdout.
//!
//! A worker started to serve several pages (`--pages N`) reads an `Open` line and exactly
//! the document's bytes instead (or an `OpenShared` line naming the memory file it inherited,
//! see `shared.rs`, and then its window's bytes if it has one, see `page_window.rs`), then up
//! to N request lines without a body, answering each as above; it exits at the end of its
//! input or after the N-th answer.
//! Diagnostics (worker's stderr): free text, but for one line the worker writes before it
//! reads the request, saying what confines it ([`super::Confinement`]).

use crate::page_window::PageTree;
use drawings_core::ports::{Inspection, PageSummary, PageText, PdfError, PdfLimits, RenderOptions};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Read, Write};

/// What the worker is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// `PdfEngine::inspect`.
    Inspect {
        /// Limits to apply.
        limits: PdfLimits,
    },
    /// `PdfEngine::extract_page`.
    Extract {
        /// 0-based page.
        page: u32,
        /// Render options.
        options: RenderOptions,
    },
    /// `PdfEngine::summarize_page`.
    Summarize {
        /// 0-based page.
        page: u32,
    },
    /// A serving worker's first request: the document, `len` bytes after the line, which it
    /// keeps open for the page requests that follow. It has no answer of its own.
    Open {
        /// Bytes of PDF that follow.
        len: u64,
    },
    /// A serving worker's first request, where the parent shares the document instead: it
    /// is in the sealed memory file the worker inherited at descriptor `fd`, `len` bytes,
    /// and only a window's tail follows the line.
    OpenShared {
        /// Bytes of PDF in the file.
        len: u64,
        /// The inherited descriptor.
        fd: i32,
        /// The pages the worker serves, when they are a window of the document.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<OpenWindow>,
    },
    /// A one-shot worker's: the page tree (for page windows) of the document in the memory
    /// file it inherited at descriptor `fd`, `len` bytes; nothing follows the line.
    PageTree {
        /// Bytes of PDF in the file.
        len: u64,
        /// The inherited descriptor.
        fd: i32,
    },
}

/// A serving worker's window: pages `first..first + count` of the document, whose
/// `tail_len` bytes of tail (`page_window.rs`) follow the `OpenShared` line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpenWindow {
    /// The window's first page in the document.
    pub first: u32,
    /// Pages in the window.
    pub count: u32,
    /// Bytes of tail that follow.
    pub tail_len: u64,
}

/// Where one binary body sits in the response, and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageHeader {
    /// Pixel width.
    pub width_px: u32,
    /// Pixel height.
    pub height_px: u32,
    /// Resolution.
    pub dpi: f32,
    /// Left edge in the full render (tiles only).
    #[serde(default)]
    pub x_px: u32,
    /// Top edge in the full render (tiles only).
    #[serde(default)]
    pub y_px: u32,
    /// Bytes of PNG that follow.
    pub len: u64,
}

/// The worker's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Answer to `Inspect`.
    Inspected(Inspection),
    /// Answer to `Extract`: the text inline, the images as bodies after the line.
    Extracted {
        /// The text layer.
        text: PageText,
        /// The page image.
        image: ImageHeader,
        /// The tiles, in order.
        tiles: Vec<ImageHeader>,
    },
    /// Answer to `Summarize`.
    Summarized(PageSummary),
    /// Answer to `PageTree`: the tree, or why the document gets no windows.
    PageTree(Result<PageTree, String>),
    /// The engine's verdict on a bad file.
    Failed(PdfError),
}

/// Writes one JSON line.
pub fn write_line<T: Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Reads one JSON line, refusing lines longer than `max` bytes.
pub fn read_line<T: for<'de> Deserialize<'de>>(input: &mut impl BufRead, max: u64) -> io::Result<T> {
    let mut line = Vec::new();
    input.take(max).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "missing or oversized header line",
        ));
    }
    serde_json::from_slice(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads exactly `len` bytes.
pub fn read_body(input: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    input.take(len).read_to_end(&mut body)?;
    if body.len() as u64 != len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated body"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_round_trips() {
        let request = Request::Extract {
            page: 3,
            options: RenderOptions::default(),
        };
        let mut wire = Vec::new();
        write_line(&mut wire, &request).unwrap();
        wire.extend_from_slice(b"%PDF-1.7 ...");
        let mut input = io::BufReader::new(&wire[..]);
        assert_eq!(read_line::<Request>(&mut input, 1 << 20).unwrap(), request);
        let mut rest = Vec::new();
        input.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"%PDF-1.7 ...");
    }

    #[test]
    fn an_oversized_or_unterminated_line_is_refused() {
        let mut input = io::BufReader::new(&b"{\"op\":\"inspect\""[..]);
        assert!(read_line::<Request>(&mut input, 1 << 20).is_err());
        let long = [b'x'; 100];
        assert!(read_line::<Request>(&mut io::BufReader::new(&long[..]), 10).is_err());
    }

    #[test]
    fn a_truncated_body_is_an_error() {
        assert!(read_body(&mut &b"abc"[..], 5).is_err());
        assert_eq!(read_body(&mut &b"abcdef"[..], 3).unwrap(), b"abc");
    }
}
