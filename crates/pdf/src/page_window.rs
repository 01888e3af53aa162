//! Page windows: a few hundred bytes appended to a document so that the PDFium of a worker
//! sees a page tree of only the pages that worker serves.
//!
//! PDFium, asked for page N, walks the page tree's kids in order up to N and keeps every
//! page dictionary it parsed while the document is open: loading page 110 of a 120-sheet
//! set left 17.6 MiB in the process, page 2 of the same sheets 2.0 MiB, so the workers
//! serving the last pages of a long set held the most, and a job's memory grew with its
//! page count. A document of more than [`WINDOW_PAGES`] pages is therefore served in
//! windows: each worker reads the document followed by an incremental update (the file
//! format's own way of amending a file) whose page-tree root lists only its window's
//! pages. Every other object is read from the document as it is, the pages' `/Parent`
//! links included, so a page inherits what it did; the replaced root's inheritable entries
//! are copied onto the window's root for the pages that hang from it directly. Page 110 is
//! then page 14 of its window and leaves 2.6 MiB, drawn the same.
//!
//! The page objects are found by lopdf in a sandboxed worker ([`read_page_tree`]); the
//! service writes each window from those numbers alone ([`PageTree::window_of`]), so it
//! parses nothing of the file. A file that is unusual in any way (encrypted, a repaired
//! cross-reference table, lopdf and PDFium counting different pages) gets no windows, and a
//! worker whose window does not open with the pages expected reads the document whole.

use crate::open::{find_pdf_header, open_document};
use crate::second_opinion::{INHERITED_KEYS, LOPDF_MAX_BYTES, load_page_tree};
use lopdf::xref::XrefType;
use lopdf::{Document, Object, ObjectId, Writer};
use serde::{Deserialize, Serialize};

/// Pages in one window: what a worker's PDFium walks at most (about 2.6 MiB on the 120-sheet
/// set). Its pages go to a few workers in turn, [`crate::PAGES_PER_WORKER`] each.
pub const WINDOW_PAGES: u32 = 16;

/// How far from its end a file's last `startxref` may be.
const TRAILER_SEARCH_BYTES: usize = 1024;

/// What a window is written from: the document's page objects and the ends of its last
/// revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageTree {
    /// The page-tree root (the catalog's `/Pages`), which a window replaces.
    root: ObjectId,
    /// The root's entries its pages may inherit, in PDF syntax, for the window's root.
    inherited: Vec<u8>,
    /// Every page, in document order.
    pages: Vec<ObjectId>,
    /// The catalog and the information dictionary, named again by the window's trailer.
    catalog: ObjectId,
    info: Option<ObjectId>,
    /// Where the document's last cross-reference section starts, as its `startxref` says.
    prev_xref: u64,
    /// Whether that section is a stream: the window's is written the same way.
    xref_stream: bool,
    /// One more than the highest object number.
    size: u32,
    /// Where the window starts, in the offsets of the file (counted from `%PDF-`).
    end: u64,
}

/// The pages `first..first + count` of a document, and the bytes that follow the document
/// to make them its only pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The window's first page in the document.
    pub first: u32,
    /// Pages in the window.
    pub count: u32,
    /// The incremental update to read after the document.
    pub tail: Vec<u8>,
}

impl PageTree {
    /// The first page of the window holding `page`, or `None` past the last page: what a
    /// worker is matched by, without writing the window.
    pub fn window_start(&self, page: u32) -> Option<u32> {
        (page < self.total()).then(|| page - page % WINDOW_PAGES)
    }

    /// The window holding `page`, or `None` past the last page.
    pub fn window_of(&self, page: u32) -> Option<Window> {
        let first = self.window_start(page)?;
        let count = WINDOW_PAGES.min(self.total() - first);
        Some(Window {
            first,
            count,
            tail: self.tail(first as usize..(first + count) as usize),
        })
    }

    fn total(&self) -> u32 {
        u32::try_from(self.pages.len()).unwrap_or(u32::MAX)
    }

    fn tail(&self, pages: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = b"\n".to_vec();
        let root_at = self.end + out.len() as u64;
        let (root, generation) = self.root;
        let kids: String = self.pages[pages.clone()]
            .iter()
            .map(|(number, generation)| format!(" {number} {generation} R"))
            .collect();
        let count = pages.len();
        out.extend_from_slice(
            format!("{root} {generation} obj\n<< /Type /Pages /Count {count} /Kids [{kids} ] ").as_bytes(),
        );
        out.extend_from_slice(&self.inherited);
        out.extend_from_slice(b">>\nendobj\n");
        let xref_at = self.end + out.len() as u64;
        let info = self.info.map(|(n, g)| format!(" /Info {n} {g} R")).unwrap_or_default();
        let (catalog, catalog_generation) = self.catalog;
        let names = format!("/Root {catalog} {catalog_generation} R{info} /Prev {}", self.prev_xref);
        if self.xref_stream {
            // Entries of type 1 (in use, at an offset): the new root, then this stream itself.
            let me = self.size;
            let mut rows = Vec::new();
            for (at, generation) in [(root_at, generation), (xref_at, 0)] {
                rows.push(1u8);
                rows.extend_from_slice(&at.to_be_bytes());
                rows.extend_from_slice(&generation.to_be_bytes());
            }
            let (size, length) = (me + 1, rows.len());
            out.extend_from_slice(
                format!(
                    "{me} 0 obj\n<< /Type /XRef /Size {size} /W [1 8 2] /Index [{root} 1 {me} 1] {names} /Length {length} >>\nstream\n"
                )
                .as_bytes(),
            );
            out.extend_from_slice(&rows);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        } else {
            let size = self.size;
            out.extend_from_slice(
                format!("xref\n{root} 1\n{root_at:010} {generation:05} n \ntrailer\n<< /Size {size} {names} >>\n")
                    .as_bytes(),
            );
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        out
    }
}

/// The page tree of `pdf` when it is worth windows and can have them; otherwise why not.
pub(crate) fn read_page_tree(pdf: &[u8]) -> Result<PageTree, String> {
    if pdf.len() > LOPDF_MAX_BYTES {
        return Err("the file is too large for lopdf".to_owned());
    }
    let counted = open_document(pdf).map_err(|e| e.message)?.pages().len();
    let counted = u32::try_from(counted).unwrap_or(0);
    if counted <= WINDOW_PAGES {
        return Err(format!("{counted} pages fit in one window"));
    }
    let header = find_pdf_header(pdf).ok_or("no PDF header")?;
    let prev_xref = last_startxref(pdf).ok_or("no startxref at the end of the file")?;
    let document = load_page_tree(pdf)?;
    if document.xref_recovery.is_some() || document.was_encrypted() || document.trailer.has(b"Encrypt") {
        return Err("the file is encrypted or its cross-reference table was repaired".to_owned());
    }
    let pages: Vec<ObjectId> = document.get_pages().into_values().collect();
    if pages.len() != counted as usize {
        return Err(format!("lopdf counts {} pages, PDFium {counted}", pages.len()));
    }
    let reference = |object: Result<&Object, lopdf::Error>| object.and_then(Object::as_reference).ok();
    let catalog = reference(document.trailer.get(b"Root")).ok_or("no catalog")?;
    let root = reference(document.catalog().and_then(|c| c.get(b"Pages"))).ok_or("no page-tree root")?;
    let size = [
        document.reference_table.size,
        document.max_id.saturating_add(1),
        document
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|size| u32::try_from(size).ok())
            .unwrap_or(0),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    Ok(PageTree {
        root,
        inherited: inherited_entries(&document, root)?,
        pages,
        catalog,
        info: reference(document.trailer.get(b"Info")),
        prev_xref,
        xref_stream: matches!(
            document.reference_table.cross_reference_type,
            XrefType::CrossReferenceStream
        ),
        size,
        end: (pdf.len() - header) as u64,
    })
}

/// The root's `/Resources`, `/MediaBox`, `/CropBox` and `/Rotate`, written as entries.
fn inherited_entries(document: &Document, root: ObjectId) -> Result<Vec<u8>, String> {
    let root = document.get_dictionary(root).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    for key in INHERITED_KEYS.iter().chain([&b"Rotate"[..]].iter()) {
        if let Ok(value) = root.get(key) {
            entries.push(b'/');
            entries.extend_from_slice(key);
            entries.push(b' ');
            Writer::write_object(&mut entries, value).map_err(|e| e.to_string())?;
            entries.push(b' ');
        }
    }
    Ok(entries)
}

/// The offset after the last `startxref` of the file.
fn last_startxref(pdf: &[u8]) -> Option<u64> {
    let end = &pdf[pdf.len().saturating_sub(TRAILER_SEARCH_BYTES)..];
    let at = end.windows(9).rposition(|w| w == b"startxref")? + 9;
    let digits: String = end[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests;
