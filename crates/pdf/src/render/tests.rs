//! Unit tests of page rendering: the pixel budget, buffer sizes and gray detection.

use super::*;

#[test]
fn dpi_is_kept_when_the_page_fits_the_pixel_budget() {
    let size = render_size(
        612.0,
        792.0,
        &RenderOptions {
            dpi: 150.0,
            max_pixels: 3072 * 3072,
            tiles: None,
        },
    )
    .unwrap();
    assert_eq!((size.width_px, size.height_px, size.dpi), (1275, 1650, 150.0));
}

#[test]
fn dpi_is_lowered_until_the_page_fits_the_pixel_budget() {
    // 24 x 36 in at 150 DPI would be 3600 x 5400 px.
    let options = RenderOptions {
        dpi: 150.0,
        max_pixels: 3072 * 3072,
        tiles: None,
    };
    let size = render_size(1728.0, 2592.0, &options).unwrap();
    assert!(u64::from(size.width_px) * u64::from(size.height_px) <= options.max_pixels);
    assert!(size.dpi < 150.0 && size.dpi > 100.0, "{}", size.dpi);
    assert!((size.width_px as f32 - 24.0 * size.dpi).abs() <= 1.0);
    assert!((size.height_px as f32 - 36.0 * size.dpi).abs() <= 1.0);
}

#[test]
fn tiny_budgets_and_extreme_aspect_ratios_stay_within_the_budget() {
    for (width, height, max_pixels) in [
        (612.0, 792.0, 1),
        (14_400.0, 1.0, 100),
        (1.0, 14_400.0, 7),
        (0.01, 0.01, 10),
    ] {
        let options = RenderOptions {
            dpi: 300.0,
            max_pixels,
            tiles: None,
        };
        let size = render_size(width, height, &options).unwrap();
        assert!(
            u64::from(size.width_px) * u64::from(size.height_px) <= max_pixels,
            "{width}x{height}"
        );
        assert!(size.width_px >= 1 && size.height_px >= 1);
    }
}

#[test]
fn unusable_options_and_empty_pages_are_errors_not_panics() {
    let page = (612.0, 792.0);
    for options in [
        RenderOptions {
            dpi: 0.0,
            max_pixels: 10,
            tiles: None,
        },
        RenderOptions {
            dpi: f32::NAN,
            max_pixels: 10,
            tiles: None,
        },
        RenderOptions {
            dpi: 72.0,
            max_pixels: 0,
            tiles: None,
        },
    ] {
        assert_eq!(
            render_size(page.0, page.1, &options).unwrap_err().code,
            ErrorCode::Internal
        );
    }
    assert_eq!(
        render_size(0.0, 792.0, &RenderOptions::default()).unwrap_err().code,
        ErrorCode::InvalidPdf
    );
}

#[test]
fn bgr_rows_are_padded_to_four_bytes() {
    assert_eq!(bgr_stride(4), 12);
    assert_eq!(bgr_stride(1), 4);
    assert_eq!(bgr_stride(5), 16);
}

/// Renders page 0 of `pdf` at `dpi` (no pixel cap) the way a job does.
fn render_at(pdf: &[u8], dpi: f32) -> Pixels {
    let document = crate::open::open_document(pdf).expect("opens");
    let page = crate::open::load_page(&document, 0).expect("page 0");
    let options = RenderOptions {
        dpi,
        max_pixels: u64::MAX,
        tiles: None,
    };
    let size = render_size(page.width().value, page.height().value, &options).expect("size");
    render_pixels(&page, size).expect("renders")
}

#[test]
fn a_page_drawn_in_many_bands_has_no_seams_and_turns_rgb_at_its_first_colour() {
    use drawings_testkit::fixtures::pdf::{LETTER, PageSpec, pages_pdf};
    // A black bar down the whole page (crossing every band), and a red square near the
    // bottom only, so that the bands above it are packed gray first and widened after.
    let content = "0 0 0 rg 300 0 12 792 re f\n1 0 0 rg 72 36 72 72 re f\n";
    let pdf = pages_pdf(&[PageSpec {
        raw: content,
        ..PageSpec::new(LETTER, 0, &[])
    }]);
    let pixels = render_at(&pdf, 300.0);
    let (width, height) = (pixels.size.width_px as usize, pixels.size.height_px as usize);
    assert_eq!((width, height), (2550, 3300));
    assert!(
        height > 4 * (BAND_BYTES / bgr_stride(2550)),
        "the page must span several bands"
    );
    assert_eq!(pixels.channels, Channels::Rgb);
    assert_eq!(pixels.data.len(), width * height * 3);
    let rgb = |x: usize, y: usize| &pixels.data[(y * width + x) * 3..][..3];
    // The bar covers x 300-312 pt = 1250-1300 px on every row, seams included.
    for y in 0..height {
        assert_eq!(rgb(1275, y), [0, 0, 0], "row {y} of the bar");
        assert_eq!(rgb(1200, y), [255, 255, 255], "row {y} beside the bar");
    }
    // The square: x 72-144 pt, y 36-108 pt from the bottom = rows 2850-3150.
    assert_eq!(rgb(400, 3000), [255, 0, 0]);
    assert_eq!(rgb(400, 2800), [255, 255, 255]);
}

#[test]
fn a_page_without_colour_stays_one_byte_a_pixel_across_its_bands() {
    use drawings_testkit::fixtures::pdf::{LETTER, PageSpec, pages_pdf};
    let content = "0.5 0.5 0.5 rg 0 390 612 12 re f\n";
    let pdf = pages_pdf(&[PageSpec {
        raw: content,
        ..PageSpec::new(LETTER, 0, &[])
    }]);
    let pixels = render_at(&pdf, 300.0);
    assert_eq!(pixels.channels, Channels::Gray);
    assert_eq!(pixels.data.len(), 2550 * 3300);
    // The band 390-402 pt from the bottom = rows 1625-1675 from the top.
    let row = |y: usize| &pixels.data[y * 2550..(y + 1) * 2550];
    assert!(row(1650).iter().all(|&g| g.abs_diff(128) <= 1), "the gray band");
    assert!(row(1600).iter().all(|&g| g == 255) && row(1700).iter().all(|&g| g == 255));
}
