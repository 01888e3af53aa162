//! Small PDFs built with lopdf for the tests: Helvetica text at known positions, rotated
//! pages, offset page boxes, many pages, password protection, images (also inside form
//! XObjects) and SHX-like text in a Type3 font PDFium cannot map to Unicode. Also the
//! optional shared corpus (`/work/shared/corpus`), which tests skip when it is absent.

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

/// An 8 x 8 grey image drawn over `rect` (`[x0, y0, x1, y1]` in page user space).
pub(crate) struct PlacedImage {
    rect: [f32; 4],
    /// Draw it from inside a form XObject (with its own `/Matrix`, under a `cm`) rather than
    /// straight from the page, as CAD exports and PDF editors often do.
    in_form: bool,
}

impl PlacedImage {
    pub(crate) fn new(rect: [f32; 4]) -> Self {
        PlacedImage { rect, in_form: false }
    }

    pub(crate) fn in_form(rect: [f32; 4]) -> Self {
        PlacedImage { rect, in_form: true }
    }
}

/// Glyphs of a Type3 font with SHX-like glyph names (`/g1`, `/g2`, ...) and no ToUnicode:
/// character codes PDFium has no Unicode for, as AutoCAD writes SHX text.
pub(crate) struct PlacedCodes {
    codes: Vec<u8>,
    x: f32,
    y: f32,
    size: f32,
}

impl PlacedCodes {
    /// `codes` must be in `1..=SHX_GLYPHS`.
    pub(crate) fn new(codes: &[u8], x: f32, y: f32, size: f32) -> Self {
        PlacedCodes {
            codes: codes.to_vec(),
            x,
            y,
            size,
        }
    }
}

/// Glyphs in the SHX-like Type3 font, coded 1 to this.
pub(crate) const SHX_GLYPHS: u8 = 4;

/// One page of a test PDF.
pub(crate) struct PageSpec<'a> {
    pub(crate) media_box: [f32; 4],
    pub(crate) rotation: i64,
    pub(crate) texts: &'a [Placed],
    pub(crate) images: &'a [PlacedImage],
    pub(crate) shx: &'a [PlacedCodes],
}

impl<'a> PageSpec<'a> {
    pub(crate) fn new(media_box: [f32; 4], rotation: i64, texts: &'a [Placed]) -> Self {
        PageSpec {
            media_box,
            rotation,
            texts,
            images: &[],
            shx: &[],
        }
    }
}

/// A PDF of these pages.
pub(crate) fn pages_pdf(pages: &[PageSpec<'_>]) -> Vec<u8> {
    save(document_of(pages))
}

fn document_with_pages(pages: &[([f32; 4], i64, &[Placed])]) -> Document {
    let specs: Vec<PageSpec<'_>> = pages
        .iter()
        .map(|(media_box, rotation, texts)| PageSpec::new(*media_box, *rotation, texts))
        .collect();
    document_of(&specs)
}

fn document_of(pages: &[PageSpec<'_>]) -> Document {
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let shx_font_id = shx_font(&mut document);
    let image_id = document.add_object(grey_image());
    let mut kids = Vec::new();
    for page in pages {
        let mut operations = Vec::new();
        let mut xobjects = lopdf::Dictionary::new();
        for (number, placed) in page.images.iter().enumerate() {
            let [x0, y0, x1, y1] = placed.rect;
            if placed.in_form {
                // The page scales by 2 and the form's /Matrix shifts by (10, 20), so the
                // image must be drawn at (page / 2 - shift) in form space: a summary that
                // forgets either transform puts it in the wrong place.
                let inner = [x0 / 2.0 - 10.0, y0 / 2.0 - 20.0, x1 / 2.0 - 10.0, y1 / 2.0 - 20.0];
                let form = Stream::new(
                    dictionary! {
                        "Type" => "XObject", "Subtype" => "Form",
                        "BBox" => vec![(-1.0e4).into(), (-1.0e4).into(), 1.0e4.into(), 1.0e4.into()],
                        "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 10.into(), 20.into()],
                        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
                    },
                    encode(draw_xobject("Im0", inner)),
                );
                let name = format!("Fm{number}");
                xobjects.set(name.as_bytes(), document.add_object(form));
                operations.extend([
                    Operation::new("q", vec![]),
                    Operation::new("cm", [2, 0, 0, 2, 0, 0].map(Object::from).to_vec()),
                    Operation::new("Do", vec![Object::Name(name.into_bytes())]),
                    Operation::new("Q", vec![]),
                ]);
            } else {
                let name = format!("Im{number}");
                xobjects.set(name.as_bytes(), image_id);
                operations.extend(draw_xobject(&name, placed.rect));
            }
        }
        for placed in page.texts.iter() {
            let (sin, cos) = placed.degrees.to_radians().sin_cos();
            let matrix = vec![
                cos.into(),
                sin.into(),
                (-sin).into(),
                cos.into(),
                placed.x.into(),
                placed.y.into(),
            ];
            let text = Object::string_literal(placed.text.as_str());
            operations.extend(show_text("F1", placed.size, matrix, text));
        }
        for placed in page.shx.iter() {
            let matrix = vec![1.into(), 0.into(), 0.into(), 1.into(), placed.x.into(), placed.y.into()];
            let codes = Object::String(placed.codes.clone(), lopdf::StringFormat::Literal);
            operations.extend(show_text("SHX", placed.size, matrix, codes));
        }
        let content_id = document.add_object(Stream::new(dictionary! {}, encode(operations)));
        let page_id = document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => page.media_box.iter().map(|value| Object::Real(*value)).collect::<Vec<_>>(),
            "Rotate" => page.rotation,
            "Contents" => content_id,
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => font_id, "SHX" => shx_font_id },
                "XObject" => xobjects,
            },
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

fn encode(operations: Vec<Operation>) -> Vec<u8> {
    Content { operations }.encode().expect("content encodes")
}

fn show_text(font: &str, size: f32, matrix: Vec<Object>, text: Object) -> [Operation; 5] {
    [
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec![Object::Name(font.as_bytes().to_vec()), size.into()]),
        Operation::new("Tm", matrix),
        Operation::new("Tj", vec![text]),
        Operation::new("ET", vec![]),
    ]
}

/// `q w 0 0 h x0 y0 cm /name Do Q`: the unit square of the XObject onto `rect`.
fn draw_xobject(name: &str, [x0, y0, x1, y1]: [f32; 4]) -> Vec<Operation> {
    vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                (x1 - x0).into(),
                0.into(),
                0.into(),
                (y1 - y0).into(),
                x0.into(),
                y0.into(),
            ],
        ),
        Operation::new("Do", vec![Object::Name(name.as_bytes().to_vec())]),
        Operation::new("Q", vec![]),
    ]
}

fn grey_image() -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        (0..64u8).map(|value| value.wrapping_mul(4)).collect(),
    )
}

/// A Type3 font whose glyphs are filled boxes named `/g1`.. with no ToUnicode: PDFium finds
/// no Unicode for the names and falls back to the raw codes.
fn shx_font(document: &mut Document) -> lopdf::ObjectId {
    let mut char_procs = lopdf::Dictionary::new();
    let mut differences: Vec<Object> = vec![1.into()];
    for code in 1..=SHX_GLYPHS {
        let glyph = Stream::new(dictionary! {}, b"600 0 0 0 500 700 d1 0 0 500 700 re f".to_vec());
        let name = format!("g{code}");
        char_procs.set(name.as_bytes(), document.add_object(glyph));
        differences.push(Object::Name(name.into_bytes()));
    }
    document.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type3",
        "FontBBox" => vec![0.into(), 0.into(), 500.into(), 700.into()],
        "FontMatrix" => vec![0.001.into(), 0.into(), 0.into(), 0.001.into(), 0.into(), 0.into()],
        "CharProcs" => char_procs,
        "Encoding" => dictionary! { "Type" => "Encoding", "Differences" => differences },
        "FirstChar" => 1, "LastChar" => i64::from(SHX_GLYPHS),
        "Widths" => (1..=SHX_GLYPHS).map(|_| Object::from(600)).collect::<Vec<_>>(),
        "Resources" => dictionary! {},
    })
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

/// Every edge of `actual` is within `tolerance` points of `expected`.
pub(crate) fn assert_near(actual: drawings_core::BBox, expected: drawings_core::BBox, tolerance: f32) {
    let pairs = [
        (actual.x0, expected.x0),
        (actual.y0, expected.y0),
        (actual.x1, expected.x1),
        (actual.y1, expected.y1),
    ];
    assert!(
        pairs.iter().all(|(a, e)| (a - e).abs() <= tolerance),
        "{actual:?} is not within {tolerance} pt of {expected:?}"
    );
}
