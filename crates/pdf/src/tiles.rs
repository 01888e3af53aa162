//! Cutting a page into overlapping full-resolution tiles, for a model that would otherwise
//! see a large sheet shrunk below legibility.
//!
//! The page is rendered upright once at `dpi`, lowered only as far as `max_total_pixels`
//! requires, and cut into a grid: every tile at most `max_side_px` a side, neighbours sharing
//! exactly `overlap_px` pixels (so a tag lying on a cut is whole in one of them), the last row
//! and column flush with the page edge. Tiles of a row are as equal as the grid allows; only
//! the last one may be a few pixels narrower. Each tile records its offset in the full render,
//! so page point = (offset + pixel) × 72 / dpi.
//!
//! Memory stays at one full render plus one tile: tiles are copied out and encoded one at a
//! time. When the page image has the same pixels as the full render (a page that fits the
//! page image's budget at full `dpi`), one render serves both.

use crate::render::{Pixels, RenderSize, encode_png, render_page, render_pixels, render_size};
use drawings_core::ErrorCode;
use drawings_core::ports::{PageImage, PageTile, PdfError, RenderOptions, TileOptions};
use pdfium_render::prelude::PdfPage;

/// Where one tile sits in the full render, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TileRect {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Renders `page` for the page image (`options`) and for its tiles (`tiles`).
pub(crate) fn render_with_tiles(
    page: &PdfPage<'_>,
    options: &RenderOptions,
    tiles: &TileOptions,
) -> Result<(PageImage, Vec<PageTile>), PdfError> {
    check_tile_options(tiles)?;
    let (width_pt, height_pt) = (page.width().value, page.height().value);
    let image_size = render_size(width_pt, height_pt, options)?;
    let full_size = render_size(
        width_pt,
        height_pt,
        &RenderOptions {
            dpi: options.dpi,
            max_pixels: tiles.max_total_pixels,
            tiles: None,
        },
    )?;
    if full_size.same_pixels(&image_size) {
        let full = render_pixels(page, full_size)?;
        let image = full.to_page_image()?;
        let cut = cut_tiles(&full, tiles)?;
        return Ok((image, cut));
    }
    // Two renders, one after the other, so only one is in memory at a time.
    let cut = cut_tiles(&render_pixels(page, full_size)?, tiles)?;
    let image = render_page(page, options)?;
    Ok((image, cut))
}

/// Tile options the grid can honour: a positive side, and an overlap of at most half of it
/// (beyond that the tiles would hold each pixel more than four times over).
fn check_tile_options(tiles: &TileOptions) -> Result<(), PdfError> {
    if tiles.max_side_px == 0 || tiles.overlap_px.saturating_mul(2) > tiles.max_side_px || tiles.max_total_pixels == 0 {
        return Err(PdfError::new(
            ErrorCode::Internal,
            format!(
                "tile options are unusable: max_side_px {}, overlap_px {}, max_total_pixels {}",
                tiles.max_side_px, tiles.overlap_px, tiles.max_total_pixels
            ),
        ));
    }
    Ok(())
}

/// Cuts `full` into the grid of [`tile_grid`] and encodes each tile, one at a time.
fn cut_tiles(full: &Pixels, options: &TileOptions) -> Result<Vec<PageTile>, PdfError> {
    let RenderSize {
        width_px,
        height_px,
        dpi,
    } = full.size;
    let grid = tile_grid(width_px, height_px, options.max_side_px, options.overlap_px);
    let bytes_per_pixel = full.channels.bytes_per_pixel();
    let row_bytes = full.row_bytes();
    let largest = grid
        .iter()
        .map(|rect| rect.width as usize * rect.height as usize * bytes_per_pixel)
        .max()
        .unwrap_or(0);
    let mut tile = Vec::new();
    tile.try_reserve_exact(largest).map_err(|_| {
        PdfError::new(
            ErrorCode::ResourceLimit,
            format!("not enough memory for a tile of {largest} bytes"),
        )
    })?;
    let mut tiles = Vec::with_capacity(grid.len());
    for rect in grid {
        tile.clear();
        let (left, width) = (rect.x as usize * bytes_per_pixel, rect.width as usize * bytes_per_pixel);
        for y in rect.y..rect.y + rect.height {
            let start = y as usize * row_bytes + left;
            let row = full.data.get(start..start + width).ok_or_else(|| {
                PdfError::new(
                    ErrorCode::Internal,
                    format!("tile {rect:?} lies outside the {width_px} x {height_px} render"),
                )
            })?;
            tile.extend_from_slice(row);
        }
        tiles.push(PageTile {
            png: encode_png(&tile, rect.width, rect.height, full.channels, dpi)?,
            x_px: rect.x,
            y_px: rect.y,
            width_px: rect.width,
            height_px: rect.height,
            dpi,
        });
    }
    Ok(tiles)
}

/// The tiles of a `width` x `height` render, row by row from the top-left (see the module
/// doc). Needs `0 < max_side` and `overlap < max_side`; a render that fits in one tile is
/// one tile.
pub(crate) fn tile_grid(width: u32, height: u32, max_side: u32, overlap: u32) -> Vec<TileRect> {
    let columns = axis_spans(width, max_side, overlap);
    axis_spans(height, max_side, overlap)
        .into_iter()
        .flat_map(|(y, tile_height)| {
            columns.iter().map(move |&(x, tile_width)| TileRect {
                x,
                y,
                width: tile_width,
                height: tile_height,
            })
        })
        .collect()
}

/// Start and length of each tile along one axis of `length` pixels.
fn axis_spans(length: u32, max_side: u32, overlap: u32) -> Vec<(u32, u32)> {
    if length <= max_side || overlap >= max_side {
        return vec![(0, length)];
    }
    let (length, max_side, overlap) = (u64::from(length), u64::from(max_side), u64::from(overlap));
    // The fewest tiles whose sides, less the overlaps, reach the length ...
    let count = (length - overlap).div_ceil(max_side - overlap);
    // ... each as short as that count allows: count × side - (count - 1) × overlap ≥ length.
    let side = (length + (count - 1) * overlap).div_ceil(count);
    let stride = side - overlap;
    (0..count)
        .map(|index| {
            let start = index * stride;
            // The last tile ends at the edge; it is at most `count` pixels short of `side`
            // and always longer than the overlap (a smaller count would not have reached).
            let span = if index + 1 == count { length - start } else { side };
            (start as u32, span as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests;
