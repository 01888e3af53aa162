//! How tall a drawing's smallest tag text is in what Gemini receives: the single page image
//! (at most 3072 × 3072 px) before tiles were sent, and the tiles after. Reads each page's text
//! layer through PDFium and applies the render geometry of `drawings-pdf` (150 dpi, lowered to
//! fit the pixel cap: 9.4 Mpx for the page image, 64 Mpx for the render tiles are cut from) and
//! the analyzer's own decision ([`plan`]); nothing is rendered and no model is called.
//!
//! ```text
//! PDFIUM_LIB=.pdfium/libpdfium.so cargo run -p drawings-gemini --example legibility -- \
//!     [--dpi 150] FILE.pdf...
//! ```
//!
//! Tag text is the runs that read like a device tag or address (`L4`, `CR-101`, `E3-1`); its
//! height is the em height (the text layer's loose box / 1.15). Columns: the smallest tag and
//! the 5th percentile, in pixels, before and after.

use bytes::Bytes;
use drawings_core::ports::{PdfEngine, PdfLimits, RenderOptions, TileManifestEntry};
use drawings_gemini::analyzer::{LEGIBLE_TEXT_PX, Plan, is_tag_like, pixels, plan, text_heights};
use drawings_pdf::PdfiumEngine;
use std::process::ExitCode;

/// The page image's pixel cap (`DRAWINGS_MAX_PIXELS`).
const IMAGE_PIXELS: f64 = 3072.0 * 3072.0;
/// The cap on the render tiles are cut from (`TileOptions::max_total_pixels`).
const TILE_RENDER_PIXELS: f64 = 64.0 * 1024.0 * 1024.0;
/// Tile side and overlap (`TileOptions`).
const TILE_SIDE: u32 = 3072;
const TILE_OVERLAP: u32 = 256;

/// The resolution a page of `w` × `h` pt is rendered at under `cap` pixels.
fn render_dpi(w_pt: f32, h_pt: f32, dpi: f64, cap: f64) -> f64 {
    let (w_in, h_in) = (f64::from(w_pt) / 72.0, f64::from(h_pt) / 72.0);
    dpi.min((cap / (w_in * h_in)).sqrt())
}

/// Tiles along one side of `length` px (as `drawings-pdf` cuts them).
fn tiles_along(length: u32) -> u32 {
    if length <= TILE_SIDE {
        1
    } else {
        (length - TILE_OVERLAP).div_ceil(TILE_SIDE - TILE_OVERLAP)
    }
}

/// A PNG header of the given size: all the analyzer reads of the page image.
fn png_header(width: u32, height: u32) -> Bytes {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    Bytes::from(b)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut dpi = 150.0;
    if let Some(at) = args.iter().position(|a| a == "--dpi") {
        dpi = args.get(at + 1).and_then(|v| v.parse().ok()).unwrap_or(dpi);
        args.drain(at..(at + 2).min(args.len()));
    }
    if args.is_empty() {
        eprintln!("usage: legibility [--dpi N] FILE.pdf...");
        return ExitCode::FAILURE;
    }
    let engine = PdfiumEngine::new();
    // Only the text layer is wanted: a tiny render keeps PDFium's work small.
    let options = RenderOptions {
        dpi: 1.0,
        max_pixels: 64 * 64,
        tiles: None,
    };
    println!(
        "{:<44} {:>4} {:>13} {:>5} {:>6} {:>6} | {:>6} {:>11} | {:>6} {:>5} {:>11} | {:>5}",
        "file",
        "page",
        "size (in)",
        "tags",
        "min pt",
        "p5 pt",
        "img dpi",
        "before px",
        "tile dpi",
        "tiles",
        "after px",
        "plan"
    );
    for file in &args {
        let name: String = file.rsplit('/').next().unwrap_or(file).chars().take(44).collect();
        let pdf = match std::fs::read(file) {
            Ok(pdf) => pdf,
            Err(e) => {
                eprintln!("{file}: {e}");
                continue;
            }
        };
        let inspection = match engine.inspect(&pdf, &PdfLimits::default()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("{file}: {e}");
                continue;
            }
        };
        for page in 0..inspection.page_count {
            let text = match engine.extract_page(&pdf, page, &options) {
                Ok(extracted) => extracted.text,
                Err(e) => {
                    eprintln!("{file} page {}: {e}", page + 1);
                    continue;
                }
            };
            let (w, h) = (text.width_pt, text.height_pt);
            let image_dpi = render_dpi(w, h, dpi, IMAGE_PIXELS);
            let tile_dpi = render_dpi(w, h, dpi, TILE_RENDER_PIXELS);
            let px = |pt: f32, at: f64| f64::from(pt) * at / 72.0;
            let (full_w, full_h) = (px(w, tile_dpi).round() as u32, px(h, tile_dpi).round() as u32);
            let count = tiles_along(full_w) * tiles_along(full_h);
            let tiles: Vec<TileManifestEntry> = (0..count)
                .map(|k| TileManifestEntry {
                    key: format!("{k}"),
                    x_px: 0,
                    y_px: 0,
                    width_px: TILE_SIDE,
                    height_px: TILE_SIDE,
                    dpi: tile_dpi as f32,
                })
                .collect();
            let image = png_header(px(w, image_dpi).round() as u32, px(h, image_dpi).round() as u32);
            let reading = plan(&text, Some(&image), &tiles);
            let sent_dpi = match reading.plan {
                Plan::Tiles => tile_dpi,
                Plan::WholePage => image_dpi,
            };
            let Some(tags) = text_heights(&text, is_tag_like) else {
                println!(
                    "{name:<44} {:>4} {:>13} {:>5} {:>6} {:>6} | {image_dpi:>7.0} {:>11} | {tile_dpi:>8.0} {count:>5} {:>11} | {:?}",
                    page + 1,
                    format!("{:.1}x{:.1}", w / 72.0, h / 72.0),
                    0,
                    "-",
                    "-",
                    "-",
                    "-",
                    reading.plan
                );
                continue;
            };
            let pair = |at: f64| {
                format!(
                    "{:.1} / {:.1}",
                    pixels(tags.min_pt, at as f32),
                    pixels(tags.small_pt, at as f32)
                )
            };
            let flag = if pixels(tags.small_pt, sent_dpi as f32) < LEGIBLE_TEXT_PX {
                " <12"
            } else {
                ""
            };
            println!(
                "{name:<44} {:>4} {:>13} {:>5} {:>6.2} {:>6.2} | {image_dpi:>7.0} {:>11} | {tile_dpi:>8.0} {count:>5} {:>11} | {:?}{flag}",
                page + 1,
                format!("{:.1}x{:.1}", w / 72.0, h / 72.0),
                tags.runs,
                tags.min_pt,
                tags.small_pt,
                pair(image_dpi),
                pair(sent_dpi),
                reading.plan,
            );
        }
    }
    ExitCode::SUCCESS
}
