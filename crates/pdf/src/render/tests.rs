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
fn padded_bgr_rows_become_packed_rgb() {
    // Two rows of two pixels: 6 bytes of pixels padded to a stride of 8.
    let mut pixels = vec![1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0];
    assert_eq!(pack_bgr_in_place(&mut pixels, 2, 2, 8), Channels::Rgb);
    assert_eq!(pixels, [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
}

#[test]
fn an_all_gray_render_becomes_one_byte_a_pixel() {
    let mut pixels = vec![10, 10, 10, 20, 20, 20, 0, 0, 30, 30, 30, 255, 255, 255, 0, 0];
    assert_eq!(pack_bgr_in_place(&mut pixels, 2, 2, 8), Channels::Gray);
    assert_eq!(pixels, [10, 20, 30, 255]);
}

#[test]
fn one_coloured_pixel_keeps_the_render_in_colour() {
    let mut pixels = vec![10, 10, 10, 20, 20, 20, 30, 30, 30, 0, 0, 255];
    assert_eq!(pack_bgr_in_place(&mut pixels, 4, 1, 12), Channels::Rgb);
    assert_eq!(pixels, [10, 10, 10, 20, 20, 20, 30, 30, 30, 255, 0, 0]);
}

#[test]
fn unpadded_rows_need_no_move() {
    // Four pixels a row is 12 bytes, already a multiple of 4.
    assert_eq!(bgr_stride(4), 12);
    assert_eq!(bgr_stride(1), 4);
    let mut pixels: Vec<u8> = (0..24).collect();
    assert_eq!(pack_bgr_in_place(&mut pixels, 4, 2, 12), Channels::Rgb);
    assert_eq!(&pixels[..6], [2, 1, 0, 5, 4, 3]);
    assert_eq!(&pixels[12..15], [14, 13, 12]);
}
