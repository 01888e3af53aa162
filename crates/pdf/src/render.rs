//! Rendering one page to an RGB PNG, with the resolution capped by a pixel budget.
//!
//! The page is drawn upright (PDFium applies `/Rotate` when no extra rotation is asked for)
//! into a buffer we own, converted from PDFium's BGRx to RGB in place, and encoded with the
//! `png` crate's fast setting: the image is an intermediate for an analyzer, so encode speed
//! matters more than a few percent of size.

use drawings_core::ErrorCode;
use drawings_core::ports::{PageImage, PdfError, RenderOptions};
use pdfium_render::prelude::{PdfBitmap, PdfBitmapFormat, PdfPage, PdfRenderConfig};

/// Bytes per pixel PDFium writes in `BGRx`.
const BGRX_BYTES: usize = 4;
/// PDFium addresses pixels with `int`, and its bitmap stride must fit too.
const MAX_SIDE_PX: u64 = (i32::MAX as u64) / BGRX_BYTES as u64;

/// The pixel size and resolution a page of `width_pt` x `height_pt` is rendered at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RenderSize {
    pub(crate) width_px: u32,
    pub(crate) height_px: u32,
    pub(crate) dpi: f32,
}

/// Picks the render size: `options.dpi`, lowered so that width x height stays within
/// `options.max_pixels`.
pub(crate) fn render_size(width_pt: f32, height_pt: f32, options: &RenderOptions) -> Result<RenderSize, PdfError> {
    if !(options.dpi.is_finite() && options.dpi > 0.0) || options.max_pixels == 0 {
        return Err(PdfError::new(
            ErrorCode::Internal,
            format!(
                "render options are unusable: dpi {} and max_pixels {}",
                options.dpi, options.max_pixels
            ),
        ));
    }
    if !(width_pt.is_finite() && height_pt.is_finite() && width_pt > 0.0 && height_pt > 0.0) {
        return Err(PdfError::new(
            ErrorCode::InvalidPdf,
            format!("the page has no area ({width_pt} x {height_pt} pt)"),
        ));
    }
    let (width_in, height_in) = (f64::from(width_pt) / 72.0, f64::from(height_pt) / 72.0);
    let budget = options.max_pixels as f64;
    let mut dpi = f64::from(options.dpi).min((budget / (width_in * height_in)).sqrt());
    // A side shorter than one pixel is drawn one pixel wide, so the budget is then spent on
    // the other side alone.
    if width_in * dpi < 1.0 {
        dpi = dpi.min(budget / height_in);
    }
    if height_in * dpi < 1.0 {
        dpi = dpi.min(budget / width_in);
    }
    let sides = |round: fn(f64) -> f64| (round(width_in * dpi).max(1.0), round(height_in * dpi).max(1.0));
    let (mut width_px, mut height_px) = sides(f64::round);
    if width_px * height_px > budget {
        // Rounding up overshot by a row or column; rounding down cannot, since
        // floor(w) * floor(h) <= w * h <= budget.
        (width_px, height_px) = sides(f64::floor);
    }
    if width_px * height_px > budget || width_px > MAX_SIDE_PX as f64 || height_px > MAX_SIDE_PX as f64 {
        return Err(PdfError::new(
            ErrorCode::ResourceLimit,
            format!(
                "a {width_pt} x {height_pt} pt page cannot be rendered within {} pixels",
                options.max_pixels
            ),
        ));
    }
    Ok(RenderSize {
        width_px: width_px as u32,
        height_px: height_px as u32,
        dpi: dpi as f32,
    })
}

/// Renders `page` upright at `options` and encodes it as PNG.
pub(crate) fn render_page(page: &PdfPage<'_>, options: &RenderOptions) -> Result<PageImage, PdfError> {
    let size = render_size(page.width().value, page.height().value, options)?;
    let mut pixels = allocate_bgrx(size)?;
    {
        let bitmap = PdfBitmap::from_bytes(
            size.width_px as i32,
            size.height_px as i32,
            PdfBitmapFormat::BGRx,
            pixels.as_mut_slice(),
        )
        .map_err(|error| {
            PdfError::new(
                ErrorCode::Internal,
                format!("PDFium could not create a bitmap: {error:?}"),
            )
        })?;
        let mut bitmap = bitmap;
        // No extra rotation: PDFium already applies the page's /Rotate. Byte order stays
        // BGR so that the conversion below is the only one.
        let config = PdfRenderConfig::new()
            .set_fixed_size(size.width_px as i32, size.height_px as i32)
            .set_reverse_byte_order(false);
        page.render_into_bitmap_with_config(&mut bitmap, &config)
            .map_err(|error| {
                PdfError::new(
                    ErrorCode::InvalidPdf,
                    format!("PDFium could not render the page: {error:?}"),
                )
            })?;
    }
    bgrx_to_rgb_in_place(&mut pixels);
    let png = encode_png(&pixels, size)?;
    Ok(PageImage {
        png,
        width_px: size.width_px,
        height_px: size.height_px,
        dpi: size.dpi,
    })
}

/// A zeroed BGRx buffer, or `RESOURCE_LIMIT` if the machine cannot spare it (an abort on
/// allocation failure would take the whole worker down).
fn allocate_bgrx(size: RenderSize) -> Result<Vec<u8>, PdfError> {
    let too_large = || {
        PdfError::new(
            ErrorCode::ResourceLimit,
            format!(
                "not enough memory to render {} x {} pixels",
                size.width_px, size.height_px
            ),
        )
    };
    let length = (size.width_px as usize)
        .checked_mul(size.height_px as usize)
        .and_then(|pixels| pixels.checked_mul(BGRX_BYTES))
        .ok_or_else(too_large)?;
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(length).map_err(|_| too_large())?;
    buffer.resize(length, 0);
    Ok(buffer)
}

/// Turns BGRx (4 bytes a pixel) into packed RGB (3 bytes) in the same buffer. Writing
/// never overtakes reading: pixel `i` is written at `3i` after being read at `4i`.
pub(crate) fn bgrx_to_rgb_in_place(pixels: &mut Vec<u8>) {
    let count = pixels.len() / BGRX_BYTES;
    for index in 0..count {
        let source = index * BGRX_BYTES;
        let (blue, green, red) = (pixels[source], pixels[source + 1], pixels[source + 2]);
        let target = index * 3;
        pixels[target] = red;
        pixels[target + 1] = green;
        pixels[target + 2] = blue;
    }
    pixels.truncate(count * 3);
}

fn encode_png(rgb: &[u8], size: RenderSize) -> Result<Vec<u8>, PdfError> {
    let encode_error =
        |error: png::EncodingError| PdfError::new(ErrorCode::Internal, format!("PNG encoding failed: {error}"));
    // Line drawings compress well; a tenth of the raw size is a fair first guess.
    let mut png_bytes = Vec::with_capacity(rgb.len() / 10);
    let mut encoder = png::Encoder::new(&mut png_bytes, size.width_px, size.height_px);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Record the resolution so viewers and the analyzer can recover the scale.
    let pixels_per_metre = (f64::from(size.dpi) / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: pixels_per_metre,
        yppu: pixels_per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(rgb).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
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
            let options = RenderOptions { dpi: 300.0, max_pixels, tiles: None };
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
    fn bgrx_becomes_packed_rgb() {
        let mut pixels = vec![1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 0];
        bgrx_to_rgb_in_place(&mut pixels);
        assert_eq!(pixels, [3, 2, 1, 6, 5, 4, 9, 8, 7]);
    }
}
