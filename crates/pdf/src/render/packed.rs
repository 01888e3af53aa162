//! The packed pixels of a render, filled a band of PDFium's BGR rows at a time: one byte a
//! pixel while every row so far was gray, widened to RGB at the first coloured band.
//!
//! Gray first because line drawings mostly are: a gray page then never needs more than a
//! third of an RGB render, and no full-page BGR buffer exists at all (see `render_pixels`).

use super::{BGR_BYTES, Channels};

/// Packed rows, top first, growing band by band.
#[derive(Debug)]
pub(crate) struct PackedRows {
    data: Vec<u8>,
    width: usize,
    channels: Channels,
}

impl PackedRows {
    /// No rows yet, `width` pixels a row, gray until a coloured band arrives.
    pub(crate) fn new(width: usize) -> Self {
        PackedRows {
            data: Vec::new(),
            width,
            channels: Channels::Gray,
        }
    }

    /// Room for `rows` rows in the current layout, or `None` if the machine cannot spare it.
    pub(crate) fn try_reserve(&mut self, rows: usize) -> Option<()> {
        let bytes = rows.checked_mul(self.width * self.channels.bytes_per_pixel())?;
        self.data.try_reserve_exact(bytes).ok()
    }

    /// Appends `rows` rows of BGR pixels, each starting `stride` bytes after the last.
    /// `None` if widening to RGB needs memory the machine cannot spare.
    pub(crate) fn push_bgr(&mut self, band: &[u8], rows: usize, stride: usize, total_rows: usize) -> Option<()> {
        let source_bytes = self.width * BGR_BYTES;
        let band_rows = || band.chunks(stride).take(rows).map(|row| &row[..source_bytes]);
        if self.channels == Channels::Gray && !band_rows().all(row_is_gray) {
            self.widen_to_rgb(total_rows)?;
        }
        match self.channels {
            Channels::Gray => {
                for row in band_rows() {
                    self.data.extend(row.chunks_exact(BGR_BYTES).map(|pixel| pixel[0]));
                }
            }
            Channels::Rgb => {
                for row in band_rows() {
                    self.data.extend(
                        row.chunks_exact(BGR_BYTES)
                            .flat_map(|pixel| [pixel[2], pixel[1], pixel[0]]),
                    );
                }
            }
        }
        Some(())
    }

    /// Rewrites the gray rows so far as RGB, with room for `total_rows` RGB rows.
    fn widen_to_rgb(&mut self, total_rows: usize) -> Option<()> {
        let mut rgb = Vec::new();
        rgb.try_reserve_exact(total_rows.checked_mul(self.width * 3)?).ok()?;
        rgb.extend(self.data.iter().flat_map(|&gray| [gray; 3]));
        self.data = rgb;
        self.channels = Channels::Rgb;
        Some(())
    }

    /// The packed bytes and their layout.
    pub(crate) fn finish(self) -> (Vec<u8>, Channels) {
        (self.data, self.channels)
    }
}

/// Whether every BGR pixel of `row` has B = G = R. Branch-free within the row so that the
/// compiler can vectorize it; the caller stops at the first coloured row.
fn row_is_gray(row: &[u8]) -> bool {
    let mut difference = 0u8;
    for pixel in row.chunks_exact(BGR_BYTES) {
        difference |= (pixel[0] ^ pixel[1]) | (pixel[1] ^ pixel[2]);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(width: usize, bands: &[(&[u8], usize, usize)]) -> (Vec<u8>, Channels) {
        let total = bands.iter().map(|(_, rows, _)| rows).sum();
        let mut packed = PackedRows::new(width);
        for (band, rows, stride) in bands {
            packed.push_bgr(band, *rows, *stride, total).unwrap();
        }
        packed.finish()
    }

    #[test]
    fn padded_bgr_rows_become_packed_rgb() {
        // Two rows of two pixels: 6 bytes of pixels padded to a stride of 8.
        let band = [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0];
        assert_eq!(
            packed(2, &[(&band, 2, 8)]),
            (vec![3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10], Channels::Rgb)
        );
    }

    #[test]
    fn an_all_gray_render_becomes_one_byte_a_pixel() {
        let band = [10, 10, 10, 20, 20, 20, 0, 0, 30, 30, 30, 255, 255, 255, 0, 0];
        assert_eq!(packed(2, &[(&band, 2, 8)]), (vec![10, 20, 30, 255], Channels::Gray));
    }

    #[test]
    fn one_coloured_pixel_keeps_the_render_in_colour() {
        let band = [10, 10, 10, 20, 20, 20, 30, 30, 30, 0, 0, 255];
        assert_eq!(
            packed(4, &[(&band, 1, 12)]),
            (vec![10, 10, 10, 20, 20, 20, 30, 30, 30, 255, 0, 0], Channels::Rgb)
        );
    }

    #[test]
    fn gray_bands_before_a_coloured_one_are_widened_to_the_same_rgb() {
        let gray = [10, 10, 10, 20, 20, 20, 0, 0];
        let colour = [1, 2, 3, 4, 4, 4, 0, 0];
        assert_eq!(
            packed(2, &[(&gray, 1, 8), (&colour, 1, 8), (&gray, 1, 8)]),
            (
                vec![10, 10, 10, 20, 20, 20, 3, 2, 1, 4, 4, 4, 10, 10, 10, 20, 20, 20],
                Channels::Rgb
            )
        );
    }

    #[test]
    fn only_the_rows_asked_for_are_read_from_a_longer_band() {
        // The last band of a page fills only part of the buffer; the rest is stale.
        let band = [7, 7, 7, 0, 1, 2, 3, 0];
        assert_eq!(packed(1, &[(&band, 1, 4)]), (vec![7], Channels::Gray));
    }
}
