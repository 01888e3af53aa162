//! What the analyzers find: components (devices) on a page, with where they are.

use serde::{Deserialize, Serialize};

/// A rectangle in PDF points on the upright page, origin at the top-left corner, y downwards
/// (the same orientation as the rendered image, so `bbox * dpi / 72` is a pixel box).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
}

impl BBox {
    /// The smallest box holding both.
    pub fn union(self, other: BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Width in points.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height in points.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Centre point.
    pub fn center(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }
}

/// The kinds of device a schedule lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentType {
    /// A door (usually with access control).
    Door,
    /// An access-controlled point (door with reader, lock and exit device) tagged as one.
    AccessPoint,
    /// A card or biometric reader.
    CardReader,
    /// A request-to-exit button.
    ExitButton,
    /// An electric lock (maglock, strike, ...).
    Lock,
    /// A door position switch.
    PositionSwitch,
    /// A CCTV camera.
    Camera,
    /// An intercom or call point.
    Intercom,
    /// Anything else worth listing.
    Other,
}

impl ComponentType {
    /// The type as it appears in the schedule.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentType::Door => "door",
            ComponentType::AccessPoint => "access_point",
            ComponentType::CardReader => "card_reader",
            ComponentType::ExitButton => "exit_button",
            ComponentType::Lock => "lock",
            ComponentType::PositionSwitch => "position_switch",
            ComponentType::Camera => "camera",
            ComponentType::Intercom => "intercom",
            ComponentType::Other => "other",
        }
    }
}

/// Which analyzer found a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSource {
    /// The offline text-layer analyzer.
    TextLayer,
    /// A Gemini model.
    Gemini,
}

/// One device on the drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// The tag as written on the drawing, normalised (`A B2 005 BB`, `A-101-DR-B2`).
    pub id: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// The system it belongs to (`access_control`, `cctv`, ...).
    pub system: String,
    /// 1-based page number.
    pub page: u32,
    /// The room or area it is in, when the drawing names one nearby.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Where the tag is on the page, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BBox>,
    /// 0..=1.
    pub confidence: f32,
    /// Which analyzer found it.
    pub source: ComponentSource,
    /// Why the analyzer thinks so (the model's words, or the rule that matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
