//! Merging the answers of a page's tiles into one list. Neighbouring tiles overlap, so a device
//! near a cut is reported twice: under the same id, or (when one tile saw its tag cut off, or
//! the device has no tag of its own) as the same type at the same spot. Either is one device.
//! Of two reports, the one whose tag lay farther from a cut wins, since that tile saw it whole.
//! A report without a box can only be matched by its own id.
//!
//! Made-up ids (`camera-p3-1`) and type-tag instances (`L4:3:1`) are numbered per tile by the
//! model, so after merging they are numbered again across the page, top to bottom.

use super::parse::looks_untagged;
use super::tiles::TileFrame;
use drawings_core::schedule::normalize_id;
use drawings_core::{BBox, Component};
use std::collections::HashMap;

/// Two boxes at one spot: their intersection covers this share of the smaller one.
const SAME_SPOT: f32 = 0.5;

/// One device as merged so far.
struct Merged {
    component: Component,
    /// How far its box lies from the cut edges of the tile it came from, in points.
    margin: f32,
    /// The tiles that reported it.
    tiles: Vec<usize>,
}

/// Merges `found` (tile index, components in page points) into one list.
pub(super) fn merge_tiles(found: Vec<(usize, Vec<Component>)>, frames: &[TileFrame], page: u32) -> Vec<Component> {
    let mut merged: Vec<Merged> = Vec::new();
    for (tile, components) in found {
        let frame = frames.iter().find(|f| f.index == tile);
        for component in components {
            let margin = frame.map_or(0.0, |f| margin(&component, f));
            let same = merged.iter().position(|m| same_device(m, &component, tile));
            match same {
                Some(at) => absorb(&mut merged[at], component, margin, tile),
                None => merged.push(Merged {
                    component,
                    margin,
                    tiles: vec![tile],
                }),
            }
        }
    }
    let mut components: Vec<Component> = merged.into_iter().map(|m| m.component).collect();
    renumber(&mut components, page);
    components
}

/// Whether the id is the device's own (not made up, not a type tag shared by many).
fn has_own_id(c: &Component) -> bool {
    c.tag.is_none() && !looks_untagged(&c.id)
}

fn same_device(m: &Merged, c: &Component, tile: usize) -> bool {
    if has_own_id(c) && has_own_id(&m.component) && normalize_id(&c.id) == normalize_id(&m.component.id) {
        return true;
    }
    // Within one tile the model's own list is trusted: two devices may stand side by side.
    !m.tiles.contains(&tile)
        && m.component.kind == c.kind
        && m.component.tag == c.tag
        && match (m.component.bbox, c.bbox) {
            (Some(a), Some(b)) => same_spot(a, b),
            _ => false,
        }
}

fn same_spot(a: BBox, b: BBox) -> bool {
    let w = a.x1.min(b.x1) - a.x0.max(b.x0);
    let h = a.y1.min(b.y1) - a.y0.max(b.y0);
    let smaller = (a.width() * a.height()).min(b.width() * b.height());
    w > 0.0 && h > 0.0 && smaller > 0.0 && w * h >= SAME_SPOT * smaller
}

/// Distance from the box to the nearest cut edge of its tile (page edges do not count).
fn margin(c: &Component, frame: &TileFrame) -> f32 {
    let Some(b) = c.bbox else {
        return 0.0;
    };
    let r = frame.region;
    let distances = [b.x0 - r.x0, b.y0 - r.y0, r.x1 - b.x1, r.y1 - b.y1];
    distances
        .iter()
        .zip(frame.cuts)
        .filter(|(_, cut)| *cut)
        .map(|(d, _)| *d)
        .fold(f32::INFINITY, f32::min)
}

/// Folds a second report into a device: the report farther from a cut wins (the more
/// confident one on a tie), and gives up nothing the other knew.
fn absorb(kept: &mut Merged, other: Component, margin: f32, tile: usize) {
    let other_wins = margin > kept.margin || (margin == kept.margin && other.confidence > kept.component.confidence);
    let (mut winner, loser) = if other_wins {
        (other, kept.component.clone())
    } else {
        (kept.component.clone(), other)
    };
    winner.confidence = winner.confidence.max(loser.confidence);
    winner.location = winner.location.or(loser.location);
    winner.bbox = winner.bbox.or(loser.bbox);
    winner.reason = winner.reason.or(loser.reason);
    winner.evidence = winner.evidence.or(loser.evidence);
    kept.component = winner;
    kept.margin = kept.margin.max(margin);
    kept.tiles.push(tile);
}

/// Numbers made-up ids per type (`camera-p3-1`) and type-tag instances per tag (`L4:3:1`)
/// across the page, top to bottom then left to right.
pub(super) fn renumber(components: &mut [Component], page: u32) {
    let mut order: Vec<usize> = (0..components.len()).filter(|&k| !has_own_id(&components[k])).collect();
    let key = |c: &Component| {
        c.bbox
            .map_or((f32::INFINITY, f32::INFINITY), |b| (b.center().1, b.center().0))
    };
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(&components[a]), key(&components[b]));
        ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    let mut counters: HashMap<String, u32> = HashMap::new();
    for k in order {
        let c = &mut components[k];
        let group = match &c.tag {
            Some(tag) => format!("tag {tag}"),
            None => format!("type {}", c.kind.as_str()),
        };
        let n = counters.entry(group).or_insert(0);
        *n += 1;
        c.id = match &c.tag {
            Some(tag) => format!("{tag}:{page}:{n}"),
            None => format!("{}-p{page}-{n}", c.kind.as_str()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::tiles::frames;
    use drawings_core::ports::TileManifestEntry;
    use drawings_core::{ComponentSource, ComponentType};

    /// Two tiles side by side at 72 dpi (pixels are points): x 0..1000 and 800..1800.
    fn two_tiles() -> Vec<TileFrame> {
        let tile = |x_px| TileManifestEntry {
            key: String::new(),
            x_px,
            y_px: 0,
            width_px: 1000,
            height_px: 1000,
            dpi: 72.0,
        };
        frames(&[tile(0), tile(800)])
    }

    fn found(id: &str, kind: ComponentType, x: f32, confidence: f32) -> Component {
        Component {
            id: id.into(),
            kind,
            system: "access_control".into(),
            page: 1,
            location: None,
            bbox: Some(BBox {
                x0: x,
                y0: 100.0,
                x1: x + 30.0,
                y1: 106.0,
            }),
            confidence,
            source: ComponentSource::Gemini,
            reason: None,
            tag: None,
            evidence: None,
        }
    }

    fn ids(components: &[Component]) -> Vec<&str> {
        components.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn one_id_in_two_tiles_is_one_device() {
        let reader = |conf| found("CR-1", ComponentType::CardReader, 900.0, conf);
        let merged = merge_tiles(vec![(0, vec![reader(0.6)]), (1, vec![reader(0.9)])], &two_tiles(), 1);
        assert_eq!(ids(&merged), ["CR-1"]);
        assert_eq!(merged[0].confidence, 0.9);
    }

    #[test]
    fn a_tag_cut_at_one_tiles_edge_gives_way_to_the_whole_one() {
        let cut = found("EB-1", ComponentType::ExitButton, 968.0, 0.9);
        let whole = found("EB-12", ComponentType::ExitButton, 965.0, 0.7);
        let merged = merge_tiles(vec![(0, vec![cut]), (1, vec![whole])], &two_tiles(), 1);
        assert_eq!(ids(&merged), ["EB-12"]);
    }

    #[test]
    fn neighbours_within_one_tile_and_other_types_at_one_spot_stay_apart() {
        let a = found("camera-p1-1", ComponentType::Camera, 100.0, 0.5);
        let b = found("camera-p1-2", ComponentType::Camera, 105.0, 0.5);
        let reader = found("CR-7", ComponentType::CardReader, 900.0, 0.8);
        let door = found("D-7", ComponentType::Door, 900.0, 0.8);
        let merged = merge_tiles(vec![(0, vec![a, b, reader]), (1, vec![door])], &two_tiles(), 1);
        assert_eq!(ids(&merged), ["camera-p1-1", "camera-p1-2", "CR-7", "D-7"]);
    }

    #[test]
    fn made_up_ids_and_type_tag_instances_are_numbered_across_the_page() {
        let untagged = |x| found("camera-p1-1", ComponentType::Camera, x, 0.5);
        let instance = |x| Component {
            tag: Some("L4".into()),
            ..found("L4:1:1", ComponentType::Luminaire, x, 0.8)
        };
        let merged = merge_tiles(
            vec![
                (0, vec![untagged(100.0), instance(300.0), instance(905.0)]),
                (1, vec![untagged(1500.0), instance(900.0), instance(1600.0)]),
            ],
            &two_tiles(),
            1,
        );
        assert_eq!(
            ids(&merged),
            ["camera-p1-1", "L4:1:1", "L4:1:2", "camera-p1-2", "L4:1:3"],
            "the L4 at x 900 is seen by both tiles"
        );
    }
}
