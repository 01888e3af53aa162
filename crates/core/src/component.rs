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

/// The kinds of device a schedule lists. Adding one: a variant here, its row in [`ComponentType::ALL`]
/// and [`ComponentType::as_str`]; the Gemini schema and the vocabulary follow from them.
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
    /// A door position switch (door contact).
    PositionSwitch,
    /// A CCTV camera.
    Camera,
    /// An intercom or call station.
    Intercom,
    /// A keypad (alarm or access).
    Keypad,
    /// A motion (PIR) or other intrusion detector.
    MotionDetector,
    /// A control panel, controller, field panel or cabinet (access, intrusion, fire alarm, ITS).
    FieldPanel,
    /// A smoke detector.
    SmokeDetector,
    /// A heat detector.
    HeatDetector,
    /// A duct smoke detector.
    DuctDetector,
    /// A manual call point (pull station).
    ManualCallPoint,
    /// An audible notification appliance (horn, bell, sounder).
    Sounder,
    /// A visual notification appliance (strobe, beacon).
    Strobe,
    /// A combined audible and visual appliance (horn/strobe).
    SounderStrobe,
    /// A voice-evacuation speaker (with or without strobe).
    Speaker,
    /// A fire-alarm monitor (input) module.
    MonitorModule,
    /// A fire-alarm control (output or relay) module.
    ControlModule,
    /// A receptacle (socket outlet).
    Receptacle,
    /// A light or power switch.
    Switch,
    /// A luminaire (light fitting).
    Luminaire,
    /// An exit sign.
    ExitSign,
    /// An emergency light.
    EmergencyLight,
    /// A distribution board or panelboard.
    DistributionBoard,
    /// An isolator or disconnect switch.
    Isolator,
    /// A data, telephone or TV outlet.
    DataOutlet,
    /// Anything else worth listing.
    Other,
}

impl ComponentType {
    /// Every type, in schedule order.
    pub const ALL: [ComponentType; 30] = [
        ComponentType::Door,
        ComponentType::AccessPoint,
        ComponentType::CardReader,
        ComponentType::ExitButton,
        ComponentType::Lock,
        ComponentType::PositionSwitch,
        ComponentType::Camera,
        ComponentType::Intercom,
        ComponentType::Keypad,
        ComponentType::MotionDetector,
        ComponentType::FieldPanel,
        ComponentType::SmokeDetector,
        ComponentType::HeatDetector,
        ComponentType::DuctDetector,
        ComponentType::ManualCallPoint,
        ComponentType::Sounder,
        ComponentType::Strobe,
        ComponentType::SounderStrobe,
        ComponentType::Speaker,
        ComponentType::MonitorModule,
        ComponentType::ControlModule,
        ComponentType::Receptacle,
        ComponentType::Switch,
        ComponentType::Luminaire,
        ComponentType::ExitSign,
        ComponentType::EmergencyLight,
        ComponentType::DistributionBoard,
        ComponentType::Isolator,
        ComponentType::DataOutlet,
        ComponentType::Other,
    ];

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
            ComponentType::Keypad => "keypad",
            ComponentType::MotionDetector => "motion_detector",
            ComponentType::FieldPanel => "field_panel",
            ComponentType::SmokeDetector => "smoke_detector",
            ComponentType::HeatDetector => "heat_detector",
            ComponentType::DuctDetector => "duct_detector",
            ComponentType::ManualCallPoint => "manual_call_point",
            ComponentType::Sounder => "sounder",
            ComponentType::Strobe => "strobe",
            ComponentType::SounderStrobe => "sounder_strobe",
            ComponentType::Speaker => "speaker",
            ComponentType::MonitorModule => "monitor_module",
            ComponentType::ControlModule => "control_module",
            ComponentType::Receptacle => "receptacle",
            ComponentType::Switch => "switch",
            ComponentType::Luminaire => "luminaire",
            ComponentType::ExitSign => "exit_sign",
            ComponentType::EmergencyLight => "emergency_light",
            ComponentType::DistributionBoard => "distribution_board",
            ComponentType::Isolator => "isolator",
            ComponentType::DataOutlet => "data_outlet",
            ComponentType::Other => "other",
        }
    }

    /// The type named `name` (as [`ComponentType::as_str`] writes it).
    pub fn parse(name: &str) -> Option<ComponentType> {
        ComponentType::ALL.into_iter().find(|t| t.as_str() == name)
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
    /// The legend tag the device is marked with on the plan (`L4`, `P5`), when it is one of
    /// many instances of a type tag; totals per tag count these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Where its type came from: the legend row (`legend: L4 = 2x4 LED troffer`), the address
    /// grammar (`address: loop 1 device 23`), or the text beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}
