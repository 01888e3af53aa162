//! Unit tests of the tile cutter: spans, overlaps and the tiles of rendered pages.

use super::*;
use drawings_core::ports::ExtractedPage;

/// Extraction without OCR: these pages of coloured squares have no text to find.
fn extract_page(pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
    let ocr = crate::OcrSettings {
        enabled: false,
        ..crate::OcrSettings::default()
    };
    crate::extract::extract_page(pdf, index, options, &ocr)
}
use drawings_testkit::fixtures::pdf::{LETTER, PageSpec, pages_pdf};

/// A Letter page with `/Rotate rotation` and filled squares `(x, y, side, rgb)` in user
/// space.
fn marks_pdf(rotation: i64, marks: &[(f32, f32, f32, [f32; 3])]) -> Vec<u8> {
    let content: String = marks
        .iter()
        .map(|(x, y, side, [r, g, b])| format!("{r} {g} {b} rg {x} {y} {side} {side} re f\n"))
        .collect();
    pages_pdf(&[PageSpec {
        raw: &content,
        ..PageSpec::new(LETTER, rotation, &[])
    }])
}

/// Width, height, bytes a pixel and pixels of a PNG.
fn decode(png_bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .expect("PNG header decodes");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size fits")];
    let frame = reader.next_frame(&mut pixels).expect("PNG data decodes");
    pixels.truncate(frame.buffer_size());
    (frame.width, frame.height, frame.color_type.samples(), pixels)
}

fn with_tiles(dpi: f32, max_pixels: u64, max_side_px: u32, overlap_px: u32, max_total_pixels: u64) -> RenderOptions {
    RenderOptions {
        dpi,
        max_pixels,
        tiles: Some(TileOptions {
            max_side_px,
            overlap_px,
            max_total_pixels,
        }),
    }
}

/// Checks the grid of a `width` x `height` render: row-major, every side within
/// `max_side`, first tile at 0, last flush with the edge, neighbours sharing exactly
/// `overlap` pixels, and every pixel in some tile.
fn assert_grid_tiles_the_render(width: u32, height: u32, max_side: u32, overlap: u32) {
    let grid = tile_grid(width, height, max_side, overlap);
    let columns: Vec<(u32, u32)> = grid.iter().filter(|r| r.y == 0).map(|r| (r.x, r.width)).collect();
    let rows: Vec<(u32, u32)> = grid.iter().filter(|r| r.x == 0).map(|r| (r.y, r.height)).collect();
    assert_eq!(grid.len(), columns.len() * rows.len());
    for (index, rect) in grid.iter().enumerate() {
        assert_eq!((rect.x, rect.width), columns[index % columns.len()], "row-major order");
        assert_eq!((rect.y, rect.height), rows[index / columns.len()], "row-major order");
    }
    for (spans, length) in [(&columns, width), (&rows, height)] {
        let case = format!("{length} px, side {max_side}, overlap {overlap}: {spans:?}");
        assert_eq!(spans[0].0, 0, "{case}");
        let (last_start, last_span) = spans[spans.len() - 1];
        assert_eq!(last_start + last_span, length, "last tile flush with the edge: {case}");
        assert!(spans.iter().all(|&(_, span)| span >= 1 && span <= max_side), "{case}");
        for pair in spans.windows(2) {
            assert_eq!(pair[0].0 + pair[0].1 - pair[1].0, overlap, "overlap: {case}");
        }
    }
    let mut covered = vec![0u8; width as usize * height as usize];
    for rect in &grid {
        for y in rect.y..rect.y + rect.height {
            let row = y as usize * width as usize;
            covered[row + rect.x as usize..row + (rect.x + rect.width) as usize].fill(1);
        }
    }
    assert!(covered.iter().all(|&c| c == 1), "every pixel is in a tile");
}

#[test]
fn the_grid_covers_the_render_with_exact_overlaps_and_flush_edges() {
    for (width, height, max_side, overlap) in [
        (100, 80, 300, 40),
        (300, 300, 300, 40),
        (301, 300, 300, 40),
        (3600, 5400, 3072, 256),
        (7021, 4967, 3072, 256),
        (1000, 10, 64, 32),
        (12_345, 1, 1000, 0),
        (5, 7, 1, 0),
        (997, 1013, 100, 7),
    ] {
        assert_grid_tiles_the_render(width, height, max_side, overlap);
    }
}

#[test]
fn tiles_of_a_row_are_equal_but_the_last_which_is_at_most_a_few_pixels_short() {
    let spans = axis_spans(7021, 3072, 256);
    assert_eq!(spans.len(), 3);
    assert_eq!(spans[0], (0, 2511));
    assert_eq!(spans[1], (2255, 2511));
    assert_eq!(spans[2], (4510, 2511));
    let spans = axis_spans(3073, 3072, 256);
    // Two tiles of ~1665 rather than a full tile and a sliver that repeats it.
    assert_eq!(spans, [(0, 1665), (1409, 1664)]);
}

#[test]
fn a_tile_holds_the_same_pixels_as_that_region_of_the_full_render() {
    let pdf = marks_pdf(
        0,
        &[
            (50.0, 700.0, 30.0, [0.0, 0.0, 0.0]),
            (300.0, 400.0, 100.0, [1.0, 0.0, 0.0]),
            (500.5, 60.3, 7.0, [0.2, 0.6, 0.9]),
        ],
    );
    let reference = extract_page(
        &pdf,
        0,
        &RenderOptions {
            dpi: 100.0,
            max_pixels: 10_000_000,
            tiles: None,
        },
    )
    .expect("reference render");
    let (width, _, channels, full) = decode(&reference.image.png);
    assert_eq!(channels, 3, "coloured marks keep the render in colour");
    // One render for both (the page image fits), and two renders (it does not).
    for max_pixels in [10_000_000, 200_000] {
        let page = extract_page(&pdf, 0, &with_tiles(100.0, max_pixels, 256, 32, 10_000_000)).expect("extract");
        assert_eq!(page.image.width_px == width, max_pixels == 10_000_000);
        assert_eq!(page.tiles.len(), 4 * 5, "850 x 1100 px in tiles of at most 256");
        for tile in &page.tiles {
            assert_eq!(tile.dpi, reference.image.dpi);
            let (tile_width, tile_height, tile_channels, pixels) = decode(&tile.png);
            assert_eq!(
                (tile_width, tile_height, tile_channels),
                (tile.width_px, tile.height_px, channels)
            );
            for row in 0..tile.height_px as usize {
                let start = ((tile.y_px as usize + row) * width as usize + tile.x_px as usize) * channels;
                let expected = &full[start..start + tile.width_px as usize * channels];
                let actual = &pixels[row * tile.width_px as usize * channels..][..tile.width_px as usize * channels];
                assert!(
                    actual == expected,
                    "tile at ({}, {}) row {row} differs",
                    tile.x_px,
                    tile.y_px
                );
            }
        }
    }
}

#[test]
fn a_mark_at_a_known_page_position_is_in_the_tile_at_the_recorded_offset() {
    // Portrait Letter turned a quarter clockwise: upright (X, Y) = user (y, x), so a
    // square at user (x, y) covers upright [y, y + side] x [x, x + side].
    let user_marks = [
        (100.0, 100.0),
        (250.0, 300.0),
        (400.0, 660.0),
        (560.0, 20.0),
        (300.0, 148.0),
    ];
    let side = 6.0;
    let pdf = marks_pdf(90, &user_marks.map(|(x, y)| (x, y, side, [0.0, 0.0, 0.0])));
    let upright: Vec<(f32, f32)> = user_marks.iter().map(|&(x, y)| (y, x)).collect();
    let page = extract_page(&pdf, 0, &with_tiles(144.0, 10_000_000, 300, 50, 10_000_000)).expect("extract");
    assert!(page.tiles.len() > 20, "{} tiles", page.tiles.len());
    let mut seen = vec![false; upright.len()];
    for tile in &page.tiles {
        let (width, _, channels, pixels) = decode(&tile.png);
        for (index, pixel) in pixels.chunks_exact(channels).enumerate() {
            if pixel[0] >= 128 {
                continue;
            }
            let (column, row) = (index as u32 % width, index as u32 / width);
            // The documented mapping: page point = pixel x 72 / dpi.
            let x = (tile.x_px + column) as f32 * 72.0 / tile.dpi;
            let y = (tile.y_px + row) as f32 * 72.0 / tile.dpi;
            let mark = upright
                .iter()
                .position(|&(mx, my)| x >= mx - 1.0 && x <= mx + side + 1.0 && y >= my - 1.0 && y <= my + side + 1.0);
            let Some(mark) = mark else {
                panic!(
                    "ink at page ({x}, {y}) in the tile at ({}, {}) is on no mark",
                    tile.x_px, tile.y_px
                );
            };
            seen[mark] = true;
        }
    }
    assert!(seen.iter().all(|&s| s), "every mark is in some tile: {seen:?}");
}

#[test]
fn max_total_pixels_lowers_the_tile_dpi() {
    // 24 x 36 in at 150 DPI would be 3600 x 5400 px.
    let pdf = drawings_testkit::fixtures::pdf::sized_pages_pdf(&[([0.0, 0.0, 1728.0, 2592.0], 0)]);
    let page = extract_page(&pdf, 0, &with_tiles(150.0, 1_000_000, 1024, 64, 4_000_000)).expect("extract");
    let dpi = page.tiles[0].dpi;
    assert!(
        dpi < 150.0 && dpi > page.image.dpi,
        "tile dpi {dpi}, image dpi {}",
        page.image.dpi
    );
    assert!(page.tiles.iter().all(|tile| tile.dpi == dpi));
    let width = page.tiles.iter().map(|t| t.x_px + t.width_px).max().unwrap_or(0);
    let height = page.tiles.iter().map(|t| t.y_px + t.height_px).max().unwrap_or(0);
    assert!(u64::from(width) * u64::from(height) <= 4_000_000, "{width} x {height}");
    assert!((width as f32 - 24.0 * dpi).abs() <= 1.0 && (height as f32 - 36.0 * dpi).abs() <= 1.0);
    assert!(page.tiles.iter().all(|t| t.width_px <= 1024 && t.height_px <= 1024));
}

#[test]
fn a_page_that_fits_in_one_tile_is_one_tile_of_the_whole_page_at_full_dpi() {
    let pdf = marks_pdf(0, &[(72.0, 72.0, 20.0, [0.0, 0.0, 0.0])]);
    let page = extract_page(&pdf, 0, &with_tiles(72.0, 10_000_000, 1000, 100, 10_000_000)).expect("extract");
    assert_eq!(page.tiles.len(), 1);
    let tile = &page.tiles[0];
    assert_eq!(
        (tile.x_px, tile.y_px, tile.width_px, tile.height_px, tile.dpi),
        (0, 0, 612, 792, 72.0)
    );
    assert_eq!(tile.png, page.image.png, "the same render, encoded the same way");
}

#[test]
fn unusable_tile_options_are_an_internal_error() {
    let pdf = marks_pdf(0, &[]);
    for (max_side_px, overlap_px, max_total_pixels) in [(0, 0, 1000), (100, 51, 1000), (100, 10, 0)] {
        let error = extract_page(
            &pdf,
            0,
            &with_tiles(72.0, 1000, max_side_px, overlap_px, max_total_pixels),
        )
        .expect_err("unusable options");
        assert_eq!(error.code, ErrorCode::Internal, "{error}");
    }
}
