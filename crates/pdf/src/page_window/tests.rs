use super::*;
use drawings_testkit::fixtures::pdf as fixtures;
use lopdf::SaveOptions;

/// `count` pages, page `i` being `200 + i` pt wide: which page a window shows is its width.
fn numbered_pages(count: u32) -> Vec<u8> {
    let pages: Vec<([f32; 4], i64)> = (0..count).map(|i| ([0.0, 0.0, 200.0 + i as f32, 300.0], 0)).collect();
    fixtures::sized_pages_pdf(&pages)
}

fn resaved(pdf: &[u8], change: impl FnOnce(&mut Document), options: SaveOptions) -> Vec<u8> {
    let mut document = Document::load_mem(pdf).unwrap();
    change(&mut document);
    let mut out = Vec::new();
    document.save_with_options(&mut out, options).unwrap();
    out
}

/// `pdf` (written by lopdf with a cross-reference stream) with a classic table instead.
fn with_xref_table(pdf: &[u8]) -> Vec<u8> {
    let table = |document: &mut Document| document.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
    resaved(pdf, table, SaveOptions::default())
}

/// The widths of the pages PDFium finds in `pdf` followed by `window`'s tail.
fn widths_through(pdf: &[u8], window: &Window) -> Vec<f32> {
    let bytes = [pdf, &window.tail].concat();
    let document = open_document(&bytes).unwrap();
    document.pages().iter().map(|page| page.width().value).collect()
}

fn expected_widths(first: u32, count: u32) -> Vec<f32> {
    (first..first + count).map(|i| 200.0 + i as f32).collect()
}

#[test]
fn a_window_is_read_as_a_document_of_only_its_pages_whatever_the_cross_reference_kind() {
    let stream = numbered_pages(40);
    for pdf in [with_xref_table(&stream), stream.clone()] {
        let tree = read_page_tree(&pdf).unwrap();
        assert_eq!(tree.xref_stream, pdf == stream);
        for (page, first, count) in [(0, 0, 16), (17, 16, 16), (31, 16, 16), (39, 32, 8)] {
            let window = tree.window_of(page).unwrap();
            assert_eq!((window.first, window.count), (first, count), "page {page}");
            assert_eq!(
                widths_through(&pdf, &window),
                expected_widths(first, count),
                "page {page}"
            );
            // A well-formed update: read as written, with no repair that would scan the file.
            let updated = load_page_tree(&[&pdf[..], &window.tail].concat()).unwrap();
            assert_eq!(updated.xref_recovery, None, "page {page}");
            assert_eq!(updated.get_pages().len(), count as usize, "page {page}");
        }
        assert_eq!(tree.window_of(40), None);
    }
}

#[test]
fn what_the_root_gives_its_pages_is_given_by_the_windows_root_too() {
    // Every page inherits a 500 × 400 MediaBox and a quarter turn from the root.
    let pdf = resaved(
        &fixtures::blank_pages_pdf(20),
        |document| {
            for object in document.objects.values_mut() {
                if let Object::Dictionary(dictionary) = object {
                    if dictionary.has_type(b"Page") {
                        dictionary.remove(b"MediaBox");
                        dictionary.remove(b"Rotate");
                    } else if dictionary.has_type(b"Pages") {
                        dictionary.set("MediaBox", vec![0.into(), 0.into(), 500.into(), 400.into()]);
                        dictionary.set("Rotate", 90);
                    }
                }
            }
        },
        SaveOptions::default(),
    );
    let window = read_page_tree(&pdf).unwrap().window_of(18).unwrap();
    let bytes = [&pdf[..], &window.tail].concat();
    let document = open_document(&bytes).unwrap();
    assert_eq!(document.pages().len(), 4);
    for page in document.pages().iter() {
        // Turned a quarter, the page is 400 wide and 500 high.
        assert_eq!((page.width().value, page.height().value), (400.0, 500.0));
    }
}

#[test]
fn a_short_encrypted_or_damaged_document_gets_no_windows() {
    assert!(read_page_tree(&numbered_pages(16)).unwrap_err().contains("one window"));
    let encrypted = resaved(
        &numbered_pages(20),
        |document| fixtures::encrypt(document, b"drawings-pdf-test", "owner", "").unwrap(),
        SaveOptions::default(),
    );
    assert!(read_page_tree(&encrypted).is_err());
    let mut damaged = numbered_pages(20);
    let at = damaged.windows(9).rposition(|w| w == b"startxref").unwrap();
    damaged.truncate(at);
    assert!(read_page_tree(&damaged).is_err());
    assert!(read_page_tree(b"%PDF-1.7\n1 0 obj << /Type /Catalog").is_err());
}

#[test]
fn the_last_startxref_is_the_one_read() {
    assert_eq!(
        last_startxref(b"startxref\n12\n%%EOF\nstartxref\r\n 345\n%%EOF"),
        Some(345)
    );
    assert_eq!(last_startxref(b"%PDF-1.7 nothing"), None);
}

/// Size, rotation and characters of a page, as PDFium reads them.
fn page_facts(document: &pdfium_render::prelude::PdfDocument<'_>, index: u32) -> (f32, f32, i32, Option<usize>) {
    let page = document.pages().get(i32::try_from(index).unwrap()).unwrap();
    let chars = page.text().ok().map(|text| text.chars().len());
    let rotation = page.rotation().map_or(-1, |r| r.as_degrees() as i32);
    (page.width().value, page.height().value, rotation, chars)
}

#[test]
fn corpus_pages_read_through_a_window_are_the_pages_of_the_whole_file() {
    let test = "corpus_pages_read_through_a_window_are_the_pages_of_the_whole_file";
    let Some(dir) = drawings_testkit::corpus::dir(test) else {
        return;
    };
    let files = [
        "drawing",
        "valid",
        "other",
        "malformed",
        "encrypted",
        "huge",
        "scan",
        "negative",
    ]
    .into_iter()
    .flat_map(|category| drawings_testkit::corpus::files(&dir, category));
    let mut windowed = 0;
    for file in files {
        let pdf = std::fs::read(&file).unwrap();
        // Any file gives a tree or a reason, never a panic.
        let Ok(tree) = read_page_tree(&pdf) else { continue };
        let whole = open_document(&pdf).unwrap();
        let total = tree.pages.len() as u32;
        for page in [0, WINDOW_PAGES - 1, WINDOW_PAGES, total / 2, total - 1] {
            let window = tree.window_of(page).unwrap();
            let bytes = [&pdf[..], &window.tail].concat();
            let part = open_document(&bytes).unwrap();
            assert_eq!(
                i64::from(part.pages().len()),
                i64::from(window.count),
                "{} page {page}",
                file.display()
            );
            let at = page - window.first;
            assert_eq!(
                page_facts(&part, at),
                page_facts(&whole, page),
                "{} page {page}",
                file.display()
            );
        }
        windowed += 1;
    }
    // Eight on the corpus of this writing: a hybrid cross-reference, compressed ones, a
    // linearized file, a deep page tree, damaged outlines and page labels among them.
    assert!(windowed >= 5, "only {windowed} corpus files were read in windows");
}
