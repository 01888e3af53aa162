//! Reading a large sheet tile by tile: one call per tile of the full-resolution render that
//! `pdf_processing` stored, each answer mapped back to page points and saved as it arrives
//! (`tile-{k}` in the page's [`PageParts`]), so a retry asks only the tiles not yet answered;
//! then the tiles' answers are merged into one list ([`super::merge`]).
//!
//! Tiles of one page go one after another: pages already run `DRAWINGS_ANALYSIS_CONCURRENCY`
//! at a time, and that setting is meant to be the number of model calls in flight.

use super::GeminiAnalyzer;
use super::ask::failure;
use super::merge::merge_tiles;
use super::parse::PageGeometry;
use super::prompt::{TileView, prompt};
use drawings_core::ports::{AnalyzeError, PageInput, PageParts, TileManifestEntry};
use drawings_core::{BBox, Component, ErrorClass, ErrorCode, Usage};
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

/// One tile and where it lies on the page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TileFrame {
    /// 0-based index in the manifest.
    pub(super) index: usize,
    /// The manifest entry (blob key, pixel offsets, resolution).
    pub(super) entry: TileManifestEntry,
    /// The page region the tile shows, in points.
    pub(super) region: BBox,
    /// Left, top, right, bottom: whether another tile goes on past that edge.
    pub(super) cuts: [bool; 4],
}

/// The frames of a page's tiles (page point = pixel × 72 / dpi).
pub(super) fn frames(tiles: &[TileManifestEntry]) -> Vec<TileFrame> {
    let right = tiles.iter().map(|t| t.x_px + t.width_px).max().unwrap_or(0);
    let bottom = tiles.iter().map(|t| t.y_px + t.height_px).max().unwrap_or(0);
    tiles
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let pt = |px: u32| px as f32 * 72.0 / t.dpi;
            TileFrame {
                index,
                entry: t.clone(),
                region: BBox {
                    x0: pt(t.x_px),
                    y0: pt(t.y_px),
                    x1: pt(t.x_px + t.width_px),
                    y1: pt(t.y_px + t.height_px),
                },
                cuts: [
                    t.x_px > 0,
                    t.y_px > 0,
                    t.x_px + t.width_px < right,
                    t.y_px + t.height_px < bottom,
                ],
            }
        })
        .collect()
}

/// A tile's answer as saved: its components already in page points, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct TileAnswer {
    /// The tile's offsets and size, so an answer about another cut is never reused.
    pub(super) x_px: u32,
    pub(super) y_px: u32,
    pub(super) width_px: u32,
    pub(super) height_px: u32,
    /// The analyzer (and model) that answered.
    pub(super) analyzer: String,
    /// What the tile shows, in page points.
    pub(super) components: Vec<Component>,
    /// What the call cost (already counted on the job by the attempt that paid it).
    pub(super) usage: Usage,
}

impl TileAnswer {
    fn is_for(&self, t: &TileManifestEntry) -> bool {
        (self.x_px, self.y_px, self.width_px, self.height_px) == (t.x_px, t.y_px, t.width_px, t.height_px)
    }
}

/// Moves boxes given in tile points onto the page.
fn to_page(mut components: Vec<Component>, region: BBox) -> Vec<Component> {
    for c in &mut components {
        if let Some(b) = c.bbox.as_mut() {
            *b = BBox {
                x0: b.x0 + region.x0,
                y0: b.y0 + region.y0,
                x1: b.x1 + region.x0,
                y1: b.y1 + region.y0,
            };
        }
    }
    components
}

fn unsaved(e: AnalyzeError, spent: Usage) -> AnalyzeError {
    AnalyzeError { usage: spent, ..e }
}

impl GeminiAnalyzer {
    /// Reads the page tile by tile. `spent` gathers what this attempt pays; answers saved by
    /// an earlier attempt are reused without being counted again.
    pub(super) async fn read_tiles(
        &self,
        input: &PageInput,
        hints: &[Component],
        parts: &dyn PageParts,
        tiles: &[TileManifestEntry],
        spent: &mut Usage,
    ) -> Result<Vec<Component>, AnalyzeError> {
        let frames = frames(tiles);
        let mut found = Vec::with_capacity(frames.len());
        for frame in &frames {
            let name = format!("tile-{}", frame.index);
            if let Some(saved) = self.saved_answer(parts, &name, &frame.entry).await? {
                debug!(
                    page = input.page,
                    tile = frame.index,
                    "Tile answered before; not asked again."
                );
                found.push((frame.index, saved.components));
                continue;
            }
            let png = parts.tile(&frame.entry).await.map_err(|e| unsaved(e, *spent))?;
            let view = TileView {
                index: frame.index,
                count: frames.len(),
                region: frame.region,
                dpi: frame.entry.dpi,
                cuts: frame.cuts,
            };
            let geometry = PageGeometry {
                page: input.page,
                width_pt: frame.region.width(),
                height_pt: frame.region.height(),
            };
            let label = format!("page-{}-tile-{}", input.page + 1, frame.index + 1);
            let mut cost = Usage::default();
            let read = self
                .read_image(
                    Some(&png),
                    &prompt(input, hints, Some(&view)),
                    &geometry,
                    &label,
                    &mut cost,
                )
                .await;
            *spent += cost;
            let components = to_page(read.map_err(|e| unsaved(e, *spent))?, frame.region);
            let answer = TileAnswer {
                x_px: frame.entry.x_px,
                y_px: frame.entry.y_px,
                width_px: frame.entry.width_px,
                height_px: frame.entry.height_px,
                analyzer: self.analyzer_name(),
                components,
                usage: cost,
            };
            let body = serde_json::to_vec(&answer)
                .map_err(|e| failure(ErrorCode::Internal, ErrorClass::Permanent, e.to_string(), *spent))?;
            // Saved before the next tile is asked: a failure further on keeps this one paid for.
            parts.save(&name, body.into()).await.map_err(|e| unsaved(e, *spent))?;
            found.push((frame.index, answer.components));
        }
        Ok(merge_tiles(found, &frames, input.page + 1))
    }

    async fn saved_answer(
        &self,
        parts: &dyn PageParts,
        name: &str,
        tile: &TileManifestEntry,
    ) -> Result<Option<TileAnswer>, AnalyzeError> {
        let Some(body) = parts.load(name).await? else {
            return Ok(None);
        };
        match serde_json::from_slice::<TileAnswer>(&body) {
            Ok(answer) if answer.is_for(tile) => Ok(Some(answer)),
            Ok(_) => {
                warn!(
                    part = name,
                    "A saved tile answer is about another cut of the page; asking again."
                );
                Ok(None)
            }
            Err(e) => {
                warn!(part = name, error = %e, "A saved tile answer is unreadable; asking again.");
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(x_px: u32, y_px: u32) -> TileManifestEntry {
        TileManifestEntry {
            key: String::new(),
            x_px,
            y_px,
            width_px: 3072,
            height_px: 3072,
            dpi: 144.0,
        }
    }

    #[test]
    fn frames_are_in_page_points_and_know_their_cut_edges() {
        let f = frames(&[entry(0, 0), entry(2816, 0), entry(0, 2816), entry(2816, 2816)]);
        assert_eq!(
            f[1].region,
            BBox {
                x0: 1408.0,
                y0: 0.0,
                x1: 2944.0,
                y1: 1536.0
            }
        );
        assert_eq!(f[0].cuts, [false, false, true, true]);
        assert_eq!(f[3].cuts, [true, true, false, false]);
    }

    #[test]
    fn boxes_move_by_the_tiles_offset() {
        let c = Component {
            id: "CR-1".into(),
            kind: drawings_core::ComponentType::CardReader,
            system: "access_control".into(),
            page: 1,
            location: None,
            bbox: Some(BBox {
                x0: 10.0,
                y0: 20.0,
                x1: 30.0,
                y1: 25.0,
            }),
            confidence: 0.9,
            source: drawings_core::ComponentSource::Gemini,
            reason: None,
            tag: None,
            evidence: None,
        };
        let region = frames(&[entry(0, 0), entry(2816, 0)])[1].region;
        let moved = to_page(vec![c], region);
        assert_eq!(moved[0].bbox.map(|b| (b.x0, b.y0, b.x1)), Some((1418.0, 20.0, 1438.0)));
    }
}
