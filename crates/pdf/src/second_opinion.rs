//! lopdf's reading of a file: a second opinion for validation, and the cheap source of each
//! page's `/Rotate`.
//!
//! PDFium can only report a page's rotation after `FPDF_LoadPage`, which also parses the
//! page's whole content stream: about 20 ms a sheet on real drawings, and 20 s or more on a
//! decompression bomb. lopdf reads the page dictionaries without interpreting content, so
//! validation stays fast. Its opinion is advisory: it is stricter than PDFium on damaged
//! files, so a failure here becomes a warning, never a rejection.

use crate::open::without_panics;
use drawings_core::ErrorCode;
use drawings_core::ports::PdfError;
use lopdf::{Dictionary, Document, FilterFunc, LoadOptions, Object, ObjectId};

/// Files above this size are not given to lopdf. It keeps every parsed object in memory
/// and rebuilds a damaged cross-reference table by scanning the whole file, so on a large
/// hostile file it costs seconds and several times the file size in memory, for a
/// producer string, rotations PDFium can also give, and warnings.
pub const LOPDF_MAX_BYTES: usize = 50 * 1024 * 1024;

/// Cap on what one object or cross-reference stream may inflate to while lopdf loads the
/// file (lopdf's own default is 256 MiB); real files stay far below it.
const LOPDF_MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;

/// How many `/Parent` links to follow looking for an inherited `/Rotate`; page trees are
/// shallow, and a cycle must not loop forever.
const MAX_PAGE_TREE_DEPTH: usize = 64;

/// What lopdf makes of a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LopdfOpinion {
    /// `/Rotate` of each page in document order, normalised to 0, 90, 180 or 270.
    pub(crate) rotations: Vec<u16>,
    /// `/Producer` from the Info dictionary.
    pub(crate) producer: Option<String>,
    /// How a damaged cross-reference table was repaired, if it was.
    pub(crate) xref_repair: Option<String>,
}

/// Loads `pdf` with lopdf. The error is lopdf's complaint, for a warning.
pub(crate) fn lopdf_opinion(pdf: &[u8]) -> Result<LopdfOpinion, String> {
    let mut document = load_page_tree(pdf)?;
    if document.get_pages().is_empty() {
        // lopdf rebuilds a page tree it could not reach only when it loads every object as
        // it is; this file needs that, so it gets the load it always had.
        document = load(pdf, None)?;
    }
    Ok(opinion_of(&document))
}

fn opinion_of(document: &Document) -> LopdfOpinion {
    let rotations = document
        .get_pages()
        .values()
        .map(|page_id| page_rotation(document, *page_id))
        .collect();
    LopdfOpinion {
        rotations,
        producer: producer(document),
        xref_repair: document.xref_recovery.map(|how| format!("{how:?}")),
    }
}

/// `pdf` as lopdf reads it, keeping only what the page tree and the opinion need.
pub(crate) fn load_page_tree(pdf: &[u8]) -> Result<Document, String> {
    load(pdf, Some(only_what_is_read))
}

fn load(pdf: &[u8], filter: Option<FilterFunc>) -> Result<Document, String> {
    let options = LoadOptions {
        max_decompressed_size: Some(LOPDF_MAX_DECOMPRESSED_BYTES),
        filter,
        ..LoadOptions::default()
    };
    without_panics("lopdf", || {
        Document::load_mem_with_options(pdf, options)
            .map_err(|error| PdfError::new(ErrorCode::InvalidPdf, error.to_string()))
    })
    .map_err(|error| error.message)
}

/// The dictionary keys the opinion reads: the page tree's (walked by lopdf and for an
/// inherited `/Rotate`), the catalog's `/Pages` and the Info dictionary's `/Producer`.
const KEYS_READ: [&[u8]; 7] = [b"Type", b"Kids", b"Parent", b"Count", b"Rotate", b"Pages", b"Producer"];

/// What else a page may inherit from a node of the page tree: kept on those nodes, for the
/// page windows that copy the root's (`page_window.rs`).
pub(crate) const INHERITED_KEYS: [&[u8]; 3] = [b"Resources", b"MediaBox", b"CropBox"];

/// Keeps of each object what the opinion reads, as lopdf loads the file: streams lose their
/// data (page content, images, fonts) and dictionaries every key but [`KEYS_READ`] (and
/// [`INHERITED_KEYS`] on the page tree's nodes). lopdf
/// held all of it, several times the file's size (an 18 MB, 120-sheet set: 63 MiB over the
/// file with everything, 46 MiB without stream data, 6 MiB with this). Object streams stay
/// whole: lopdf unpacks them after this filter, and their objects come through it too.
fn only_what_is_read(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object
        && !stream.dict.has_type(b"ObjStm")
    {
        *object = Object::Dictionary(std::mem::take(&mut stream.dict));
    }
    if let Object::Dictionary(dictionary) = object {
        let node = dictionary.has_type(b"Pages");
        let mut kept = Dictionary::new();
        for (key, value) in dictionary.iter() {
            if KEYS_READ.contains(&key.as_slice()) || (node && INHERITED_KEYS.contains(&key.as_slice())) {
                kept.set(key.clone(), value.clone());
            }
        }
        *dictionary = kept;
    }
    // lopdf keeps `object` for an object of the file and the returned one for an object
    // unpacked from an object stream.
    Some((id, object.clone()))
}

/// The page's `/Rotate`, inherited from its ancestors when absent, normalised the way PDFium
/// does it: whole quarter turns, negative angles counted backwards, anything else is 0.
fn page_rotation(document: &Document, page_id: ObjectId) -> u16 {
    let mut node = document.get_dictionary(page_id).ok();
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        let Some(dictionary) = node else { break };
        if let Some(degrees) = rotate_entry(document, dictionary) {
            return normalised_rotation(degrees);
        }
        node = dictionary
            .get(b"Parent")
            .ok()
            .and_then(|parent| document.dereference(parent).ok())
            .and_then(|(_, parent)| parent.as_dict().ok());
    }
    0
}

fn rotate_entry(document: &Document, dictionary: &Dictionary) -> Option<i64> {
    let (_, value) = document.dereference(dictionary.get(b"Rotate").ok()?).ok()?;
    match value {
        Object::Integer(degrees) => Some(*degrees),
        Object::Real(degrees) if degrees.is_finite() => Some(*degrees as i64),
        _ => None,
    }
}

/// `degrees / 90` quarter turns, modulo 4 (PDFium's `CPDF_Page::GetPageRotation`).
pub(crate) fn normalised_rotation(degrees: i64) -> u16 {
    match (degrees / 90).rem_euclid(4) {
        1 => 90,
        2 => 180,
        3 => 270,
        _ => 0,
    }
}

fn producer(document: &Document) -> Option<String> {
    let info = document.trailer.get(b"Info").ok()?;
    let (_, info) = document.dereference(info).ok()?;
    let producer = info.as_dict().ok()?.get(b"Producer").ok()?;
    let (_, producer) = document.dereference(producer).ok()?;
    let producer = lopdf::decode_text_string(producer).ok()?;
    let producer = producer.trim();
    (!producer.is_empty()).then(|| producer.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_testkit::fixtures::pdf as fixtures;

    #[test]
    fn rotation_is_normalised_like_pdfium() {
        let cases = [
            (0, 0),
            (90, 90),
            (180, 180),
            (270, 270),
            (360, 0),
            (450, 90),
            (-90, 270),
            (-180, 180),
            (45, 0),
            (135, 90),
        ];
        for (degrees, expected) in cases {
            assert_eq!(normalised_rotation(degrees), expected, "/Rotate {degrees}");
        }
        assert_eq!(normalised_rotation(i64::MIN), normalised_rotation(i64::MIN / 90 * 90));
    }

    #[test]
    fn rotations_and_producer_come_from_the_page_dictionaries() {
        let pdf = fixtures::sized_pages_pdf(&[([0.0, 0.0, 612.0, 792.0], 0), ([0.0, 0.0, 612.0, 792.0], -90)]);
        let opinion = lopdf_opinion(&pdf).unwrap();
        assert_eq!(opinion.rotations, [0, 270]);
        assert_eq!(opinion.producer.as_deref(), Some(fixtures::PRODUCER));
        assert_eq!(opinion.xref_repair, None);
    }

    #[test]
    fn corpus_files_get_the_same_opinion_from_the_keys_it_reads() {
        let test = "corpus_files_get_the_same_opinion_from_the_keys_it_reads";
        let Some(dir) = drawings_testkit::corpus::dir(test) else {
            return;
        };
        let files = ["drawing", "valid", "other", "malformed", "encrypted"]
            .into_iter()
            .flat_map(|category| drawings_testkit::corpus::files(&dir, category));
        let mut compared = 0;
        for file in files {
            let pdf = std::fs::read(&file).unwrap();
            if pdf.len() > LOPDF_MAX_BYTES {
                continue;
            }
            let everything = load(&pdf, None).map(|document| opinion_of(&document));
            assert_eq!(lopdf_opinion(&pdf), everything, "{}", file.display());
            compared += 1;
        }
        assert!(compared > 100, "only {compared} corpus files compared");
    }

    #[test]
    fn garbage_is_a_complaint_not_a_panic() {
        assert!(lopdf_opinion(b"%PDF-1.7\n1 0 obj << /Type /Catalog").is_err());
    }
}
