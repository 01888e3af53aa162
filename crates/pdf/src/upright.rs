//! Mapping PDF user space to the upright page the renderer draws.
//!
//! PDFium reports character boxes in PDF user space: origin at the bottom-left of the
//! unrotated page box (which need not be at 0,0), y up. The pipeline wants points on the
//! page as rendered: `/Rotate` applied, origin top-left, y down (see
//! [`drawings_core::BBox`]). Rather than re-deriving PDFium's page box (CropBox clipped to
//! MediaBox, both inheritable) and rotation rules, we ask PDFium itself where three device
//! corners land in user space and build the inverse affine map from them. The device-to-page
//! direction is used because it returns floating-point coordinates; page-to-device rounds
//! to whole pixels.

use drawings_core::BBox;
use pdfium_render::prelude::{PdfPage, PdfPoints, PdfRenderConfig};

/// Device size used for the probe; any size works since the map is affine, a round
/// number keeps the arithmetic exact.
const PROBE_DEVICE_SIZE: i32 = 10_000;

/// An affine map from user space to upright points (origin top-left, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UserToUpright {
    // upright = M * (user - origin), with M the inverse of the user-space basis below.
    origin_x: f64,
    origin_y: f64,
    m11: f64,
    m12: f64,
    m21: f64,
    m22: f64,
}

impl UserToUpright {
    /// Builds the map from where the upright page's top-left, top-right and bottom-left
    /// corners lie in user space, and the upright page size in points. `None` when the
    /// page is degenerate (zero area).
    pub(crate) fn from_corners(
        top_left: (f64, f64),
        top_right: (f64, f64),
        bottom_left: (f64, f64),
        width_pt: f64,
        height_pt: f64,
    ) -> Option<Self> {
        if !(width_pt > 0.0 && height_pt > 0.0) {
            return None;
        }
        // Moving one upright point right (resp. down) moves this much in user space.
        let right = (
            (top_right.0 - top_left.0) / width_pt,
            (top_right.1 - top_left.1) / width_pt,
        );
        let down = (
            (bottom_left.0 - top_left.0) / height_pt,
            (bottom_left.1 - top_left.1) / height_pt,
        );
        let determinant = right.0 * down.1 - down.0 * right.1;
        if !determinant.is_finite() || determinant.abs() < 1e-12 {
            return None;
        }
        Some(UserToUpright {
            origin_x: top_left.0,
            origin_y: top_left.1,
            m11: down.1 / determinant,
            m12: -down.0 / determinant,
            m21: -right.1 / determinant,
            m22: right.0 / determinant,
        })
    }

    /// Asks PDFium for the map of `page`. `None` if PDFium refuses the conversion or the
    /// page has no area.
    pub(crate) fn for_page(page: &PdfPage<'_>) -> Option<Self> {
        let config = PdfRenderConfig::new().set_fixed_size(PROBE_DEVICE_SIZE, PROBE_DEVICE_SIZE);
        let probe = |x: i32, y: i32| -> Option<(f64, f64)> {
            let (px, py) = page.pixels_to_points(x, y, &config).ok()?;
            Some((f64::from(px.value), f64::from(py.value)))
        };
        let top_left = probe(0, 0)?;
        let top_right = probe(PROBE_DEVICE_SIZE, 0)?;
        let bottom_left = probe(0, PROBE_DEVICE_SIZE)?;
        Self::from_corners(
            top_left,
            top_right,
            bottom_left,
            f64::from(page.width().value),
            f64::from(page.height().value),
        )
    }

    /// Maps one user-space point to upright points.
    pub(crate) fn point(&self, x: f64, y: f64) -> (f64, f64) {
        let (dx, dy) = (x - self.origin_x, y - self.origin_y);
        (self.m11 * dx + self.m12 * dy, self.m21 * dx + self.m22 * dy)
    }

    /// Maps a direction (no translation), for the writing direction of a glyph.
    pub(crate) fn direction(&self, dx: f64, dy: f64) -> (f64, f64) {
        (self.m11 * dx + self.m12 * dy, self.m21 * dx + self.m22 * dy)
    }

    /// The upright axis-aligned box holding a user-space rectangle. `None` if a coordinate
    /// is not finite (broken text matrices do happen).
    pub(crate) fn bbox(&self, left: PdfPoints, bottom: PdfPoints, right: PdfPoints, top: PdfPoints) -> Option<BBox> {
        let corners = [(left, bottom), (right, bottom), (left, top), (right, top)]
            .map(|(x, y)| self.point(f64::from(x.value), f64::from(y.value)));
        let xs = corners.map(|corner| corner.0);
        let ys = corners.map(|corner| corner.1);
        let bbox = BBox {
            x0: xs.iter().copied().fold(f64::INFINITY, f64::min) as f32,
            y0: ys.iter().copied().fold(f64::INFINITY, f64::min) as f32,
            x1: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32,
            y1: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32,
        };
        [bbox.x0, bbox.y0, bbox.x1, bbox.y1]
            .iter()
            .all(|value| value.is_finite())
            .then_some(bbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: (f64, f64), expected: (f64, f64)) -> bool {
        (actual.0 - expected.0).abs() < 1e-6 && (actual.1 - expected.1).abs() < 1e-6
    }

    #[test]
    fn unrotated_page_flips_y_around_the_page_top() {
        // Letter, MediaBox [0 0 612 792]: user (0,792) is the upright top-left.
        let map = UserToUpright::from_corners((0.0, 792.0), (612.0, 792.0), (0.0, 0.0), 612.0, 792.0).unwrap();
        assert!(close(map.point(72.0, 720.0), (72.0, 72.0)));
        assert!(close(map.point(612.0, 0.0), (612.0, 792.0)));
    }

    #[test]
    fn page_box_offset_is_removed() {
        // MediaBox [100 200 712 992].
        let map = UserToUpright::from_corners((100.0, 992.0), (712.0, 992.0), (100.0, 200.0), 612.0, 792.0).unwrap();
        assert!(close(map.point(100.0, 992.0), (0.0, 0.0)));
        assert!(close(map.point(172.0, 920.0), (72.0, 72.0)));
    }

    #[test]
    fn rotate_90_maps_the_unrotated_bottom_left_to_the_upright_top_left() {
        // Portrait 612x792 shown with /Rotate 90 is landscape 792x612; the upright top-left
        // is user (0,0), the top-right is user (0,792), the bottom-left is user (612,0).
        let map = UserToUpright::from_corners((0.0, 0.0), (0.0, 792.0), (612.0, 0.0), 792.0, 612.0).unwrap();
        assert!(close(map.point(72.0, 100.0), (100.0, 72.0)));
        assert!(close(map.direction(1.0, 0.0), (0.0, 1.0)), "user +x reads downwards");
    }

    #[test]
    fn degenerate_pages_have_no_map() {
        assert!(UserToUpright::from_corners((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), 612.0, 792.0).is_none());
        assert!(UserToUpright::from_corners((0.0, 1.0), (1.0, 1.0), (0.0, 0.0), 0.0, 792.0).is_none());
    }
}
