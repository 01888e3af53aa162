//! Rendering one page to a PNG, with the resolution capped by a pixel budget.
//!
//! The page is drawn upright (PDFium applies `/Rotate` when no extra rotation is asked for)
//! a band of rows at a time into a 24-bit BGR buffer we own (a quarter less memory than
//! BGRx, and what pypdfium2 renders into too), each band packed into RGB rows, or into
//! 8-bit gray while every pixel is gray (lossless, and a third of the bytes to hold, filter
//! and compress: black-on-white sheets are common), and encoded with the `png` crate's
//! fast setting: the image is an intermediate for an analyzer, so encode speed matters
//! more than a few percent of size.

use drawings_core::ErrorCode;
use drawings_core::ports::{PageImage, PdfError, RenderOptions};
use packed::PackedRows;
use pdfium_render::prelude::{PdfBitmap, PdfBitmapFormat, PdfPage, PdfRenderConfig};

/// Bytes per pixel PDFium writes in `BGR`.
const BGR_BYTES: usize = 3;
/// Bytes of BGR rows PDFium draws at a time: small beside a page (a 3072² page is 28 MB of
/// BGR), large enough that a page takes a handful of passes.
const BAND_BYTES: usize = 2 << 20;
/// PDFium addresses pixels with `int`, and its bitmap stride (padded to 4 bytes) must fit
/// too; 4 bytes a pixel leaves room for the padding.
const MAX_SIDE_PX: u64 = (i32::MAX as u64) / 4;

/// The pixel size and resolution a page of `width_pt` x `height_pt` is rendered at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RenderSize {
    pub(crate) width_px: u32,
    pub(crate) height_px: u32,
    pub(crate) dpi: f32,
}

impl RenderSize {
    /// Whether two sizes have the same pixels (the resolutions may differ by rounding).
    pub(crate) fn same_pixels(&self, other: &RenderSize) -> bool {
        (self.width_px, self.height_px) == (other.width_px, other.height_px)
    }
}

/// How the packed pixels of a render are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    /// One byte a pixel: every pixel of the render was gray.
    Gray,
    /// Three bytes a pixel, red first.
    Rgb,
}

impl Channels {
    pub(crate) fn bytes_per_pixel(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
        }
    }

    fn png_color(self) -> png::ColorType {
        match self {
            Channels::Gray => png::ColorType::Grayscale,
            Channels::Rgb => png::ColorType::Rgb,
        }
    }
}

/// A render: tightly packed rows, top row first.
#[derive(Debug)]
pub(crate) struct Pixels {
    pub(crate) data: Vec<u8>,
    pub(crate) size: RenderSize,
    pub(crate) channels: Channels,
}

impl Pixels {
    /// Bytes in one row.
    pub(crate) fn row_bytes(&self) -> usize {
        self.size.width_px as usize * self.channels.bytes_per_pixel()
    }

    /// Encodes the whole render as the page image.
    pub(crate) fn to_page_image(&self) -> Result<PageImage, PdfError> {
        Ok(PageImage {
            png: encode_png(
                &self.data,
                self.size.width_px,
                self.size.height_px,
                self.channels,
                self.size.dpi,
            )?,
            width_px: self.size.width_px,
            height_px: self.size.height_px,
            dpi: self.size.dpi,
        })
    }
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
    render_pixels(page, size)?.to_page_image()
}

/// Renders `page` upright at exactly `size` and packs the pixels.
///
/// PDFium draws [`BAND_BYTES`] of rows at a time into one reused buffer, the page's origin
/// moved up by the rows already drawn, and each band is packed as it comes: what a page
/// holds is its packed pixels plus one band, instead of a full BGR render (28 MB for a
/// 3072² page) beside them. The picture is the whole-page render's, not always its bytes:
/// anti-aliasing rounds a little differently from another origin (on the corpus drawings,
/// up to 0.2 % of a page's bytes, mostly by 1 to 3 levels; `benches/band_render_diff.py`).
/// The buffer is filled white before each band, which is cheaper than PDFium's own clear.
pub(crate) fn render_pixels(page: &PdfPage<'_>, size: RenderSize) -> Result<Pixels, PdfError> {
    let (width, height) = (size.width_px as usize, size.height_px as usize);
    let stride = bgr_stride(size.width_px);
    let band_rows = (BAND_BYTES / stride).min(height).max(1);
    let too_large = || {
        PdfError::new(
            ErrorCode::ResourceLimit,
            format!(
                "not enough memory to render {} x {} pixels",
                size.width_px, size.height_px
            ),
        )
    };
    let mut band = Vec::new();
    band.try_reserve_exact(band_rows * stride).map_err(|_| too_large())?;
    band.resize(band_rows * stride, 0);
    let mut packed = PackedRows::new(width);
    packed.try_reserve(height).ok_or_else(too_large)?;
    for top in (0..height).step_by(band_rows) {
        let rows = band_rows.min(height - top);
        let band = &mut band[..rows * stride];
        band.fill(0xFF);
        render_band(page, size, top, rows, band)?;
        packed.push_bgr(band, rows, stride, height).ok_or_else(too_large)?;
    }
    let (data, channels) = packed.finish();
    Ok(Pixels { data, size, channels })
}

/// Draws rows `top..top + rows` of the page at `size` into `band` (BGR, PDFium's stride).
fn render_band(page: &PdfPage<'_>, size: RenderSize, top: usize, rows: usize, band: &mut [u8]) -> Result<(), PdfError> {
    let mut bitmap =
        PdfBitmap::from_bytes(size.width_px as i32, rows as i32, PdfBitmapFormat::BGR, band).map_err(|error| {
            PdfError::new(
                ErrorCode::Internal,
                format!("PDFium could not create a bitmap: {error:?}"),
            )
        })?;
    // No extra rotation: PDFium already applies the page's /Rotate. Byte order stays BGR so
    // that packing is the only pass over the pixels.
    let config = PdfRenderConfig::new()
        .set_fixed_size(size.width_px as i32, size.height_px as i32)
        .set_origin(0, -(top as i32))
        .clear_before_rendering(false)
        .set_reverse_byte_order(false);
    page.render_into_bitmap_with_config(&mut bitmap, &config)
        .map_err(|error| {
            PdfError::new(
                ErrorCode::InvalidPdf,
                format!("PDFium could not render the page: {error:?}"),
            )
        })
}

/// Bytes in one row of a PDFium BGR bitmap: PDFium pads rows to 4 bytes.
fn bgr_stride(width_px: u32) -> usize {
    (width_px as usize * BGR_BYTES).div_ceil(4) * 4
}

/// Encodes packed rows as a PNG with the fast encoder and the resolution recorded.
pub(crate) fn encode_png(
    pixels: &[u8],
    width_px: u32,
    height_px: u32,
    channels: Channels,
    dpi: f32,
) -> Result<Vec<u8>, PdfError> {
    let encode_error =
        |error: png::EncodingError| PdfError::new(ErrorCode::Internal, format!("PNG encoding failed: {error}"));
    // Line drawings compress well; a tenth of the raw size is a fair first guess.
    let mut png_bytes = Vec::with_capacity(pixels.len() / 10);
    let mut encoder = png::Encoder::new(&mut png_bytes, width_px, height_px);
    encoder.set_color(channels.png_color());
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Record the resolution so viewers and the analyzer can recover the scale.
    let pixels_per_metre = (f64::from(dpi) / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: pixels_per_metre,
        yppu: pixels_per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(pixels).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(png_bytes)
}

mod packed;
#[cfg(test)]
mod tests;
