//! Small PDFs built with lopdf for the tests: Helvetica text at known positions, rotated
//! pages, offset page boxes, many pages, and password protection. Also the optional shared
//! corpus (`/work/shared/corpus`), which tests skip when it is absent.

use lopdf::content::{Content, Operation};
use lopdf::{Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary};
use std::path::PathBuf;

/// Text to draw: `text` in Helvetica at `size` pt with its baseline starting at user
/// space (`x`, `y`).
pub(crate) struct Placed {
    text: String,
    x: f32,
    y: f32,
    size: f32,
    /// Anticlockwise rotation of the baseline in user space, in degrees.
    degrees: f32,
}

impl Placed {
    pub(crate) fn new(text: &str, x: f32, y: f32, size: f32) -> Self {
        Placed {
            text: text.to_owned(),
            x,
            y,
            size,
            degrees: 0.0,
        }
    }

    /// Text whose baseline is turned `degrees` anticlockwise in user space.
    pub(crate) fn rotated(text: &str, x: f32, y: f32, size: f32, degrees: f32) -> Self {
        Placed {
            degrees,
            ..Placed::new(text, x, y, size)
        }
    }
}

/// Width of `text` in Helvetica at `size` pt (advance widths from the standard AFM).
pub(crate) fn helvetica_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|char| match char {
            ' ' => 278,
            '-' => 333,
            'I' => 278,
            'J' => 500,
            'L' => 556,
            'M' => 833,
            'W' => 944,
            'F' | 'T' | 'Z' => 611,
            'C' | 'D' | 'H' | 'N' | 'R' | 'U' => 722,
            'G' | 'O' | 'Q' => 778,
            'A'..='Z' => 667,
            'r' => 333,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// A one-page PDF of `width` x `height` pt with `/Rotate rotation` and the given text.
pub(crate) fn text_pdf(width: f32, height: f32, rotation: i64, texts: &[Placed]) -> Vec<u8> {
    text_pdf_with_media_box([0.0, 0.0, width, height], rotation, texts)
}

/// A one-page PDF with an arbitrary MediaBox.
pub(crate) fn text_pdf_with_media_box(media_box: [f32; 4], rotation: i64, texts: &[Placed]) -> Vec<u8> {
    save(document_with_pages(&[(media_box, rotation, texts)]))
}

/// A PDF with `count` blank Letter pages.
pub(crate) fn blank_pages_pdf(count: usize) -> Vec<u8> {
    let pages: Vec<([f32; 4], i64, &[Placed])> = (0..count).map(|_| ([0.0, 0.0, 612.0, 792.0], 0, &[][..])).collect();
    save(document_with_pages(&pages))
}

/// A PDF whose pages have these MediaBoxes and rotations (no text).
pub(crate) fn sized_pages_pdf(pages: &[([f32; 4], i64)]) -> Vec<u8> {
    let pages: Vec<([f32; 4], i64, &[Placed])> = pages
        .iter()
        .map(|(media_box, rotation)| (*media_box, *rotation, &[][..]))
        .collect();
    save(document_with_pages(&pages))
}

/// A one-page Letter PDF whose `/Rotate` sits on the page-tree root and is inherited.
pub(crate) fn inherited_rotation_pdf(rotation: i64) -> Vec<u8> {
    let mut document = document_with_pages(&[([0.0, 0.0, 612.0, 792.0], 0, &[])]);
    for object in document.objects.values_mut() {
        if let Object::Dictionary(dictionary) = object {
            if dictionary.has_type(b"Page") {
                dictionary.remove(b"Rotate");
            } else if dictionary.has_type(b"Pages") {
                dictionary.set("Rotate", rotation);
            }
        }
    }
    save(document)
}

/// A one-page text PDF encrypted with RC4-128 (`user_password` may be empty).
pub(crate) fn encrypted_pdf(user_password: &str) -> Vec<u8> {
    let mut document =
        document_with_pages(&[([0.0, 0.0, 612.0, 792.0], 0, &[Placed::new("SECRET", 72.0, 700.0, 12.0)])]);
    // The file identifier is part of the encryption key derivation.
    let file_id = Object::String(b"drawings-pdf-test".to_vec(), lopdf::StringFormat::Hexadecimal);
    document.trailer.set("ID", vec![file_id.clone(), file_id]);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &document,
        owner_password: "owner-password",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .expect("encryption state");
    document.encrypt(&state).expect("lopdf encrypts");
    save(document)
}

fn document_with_pages(pages: &[([f32; 4], i64, &[Placed])]) -> Document {
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut kids = Vec::new();
    for (media_box, rotation, texts) in pages {
        let mut operations = Vec::new();
        for placed in texts.iter() {
            operations.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), placed.size.into()]),
                Operation::new("Tm", {
                    let (sin, cos) = placed.degrees.to_radians().sin_cos();
                    vec![
                        cos.into(),
                        sin.into(),
                        (-sin).into(),
                        cos.into(),
                        placed.x.into(),
                        placed.y.into(),
                    ]
                }),
                Operation::new("Tj", vec![Object::string_literal(placed.text.as_str())]),
                Operation::new("ET", vec![]),
            ]);
        }
        let content = Content { operations }.encode().expect("content encodes");
        let content_id = document.add_object(Stream::new(dictionary! {}, content));
        let page_id = document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => media_box.iter().map(|value| Object::Real(*value)).collect::<Vec<_>>(),
            "Rotate" => *rotation,
            "Contents" => content_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = document.add_object(dictionary! { "Producer" => Object::string_literal("drawings-pdf tests") });
    document.trailer.set("Root", catalog_id);
    document.trailer.set("Info", info_id);
    document
}

fn save(mut document: Document) -> Vec<u8> {
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).expect("lopdf saves");
    bytes
}

/// The shared corpus directory, or `None` (with a note on stderr) when it is absent.
pub(crate) fn corpus_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from("/work/shared/corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIP {test}: /work/shared/corpus is absent");
        None
    }
}

/// Corpus files of one `category` (second column of MANIFEST.tsv), as paths.
pub(crate) fn corpus_files(dir: &std::path::Path, category: &str) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let path = columns.next()?;
            (columns.next()? == category).then(|| dir.join(path))
        })
        .filter(|path| path.is_file())
        .collect()
}
