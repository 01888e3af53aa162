//! The model's words for types and systems, read as ours: the schema's own names first, then
//! the spellings a model (or the next model version) uses instead (`Card Reader`, `REX`,
//! `door contact`), and the system a type belongs to when the model names none.

use drawings_core::ComponentType;

/// Words for each type, `|`-separated, matched as whole words in order: specific before
/// general ("door contact" is a switch and "door entry" an intercom, both before "door").
const TYPE_WORDS: &[(ComponentType, &str)] = &[
    (ComponentType::Other, "other"),
    (ComponentType::AccessPoint, "access point|controlled door|acd"),
    (
        ComponentType::PositionSwitch,
        "position switch|door contact|door position|dps|reed switch|contact|door monitor",
    ),
    (
        ComponentType::ExitButton,
        "rex|request to exit|push to exit|pte|release button|door release|break glass|exit|egress",
    ),
    (
        ComponentType::Intercom,
        "intercom|door entry|entry panel|video entry|audio entry|entryphone|help point|call station",
    ),
    (ComponentType::CardReader, "reader|card|proximity|prox|fob|biometric"),
    (
        ComponentType::Lock,
        "lock|maglock|mag lock|strike|magnet|magnetic|latch",
    ),
    (ComponentType::Camera, "camera|cctv|dome|ptz|bullet|cam|fisheye|turret"),
    (ComponentType::Door, "door|doorset|door leaf"),
];

/// A model's word for a type, in any case or spelling, as one of ours; `None` when unknown.
pub fn component_type(word: &str) -> Option<ComponentType> {
    // The schema's own names first: the word lists below predate most of the types.
    if let Some(kind) = ComponentType::parse(word.trim()) {
        return Some(kind);
    }
    // "CardReader" / "card-reader" / "Card Readers" → " card reader ".
    let mut spaced = String::new();
    let mut previous_lower = false;
    for c in word.chars() {
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase();
        spaced.push(if c.is_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            ' '
        });
    }
    let singular = |w: &str| {
        w.strip_suffix('s')
            .filter(|s| s.len() > 2 && !s.ends_with('s'))
            .unwrap_or(w)
            .to_owned()
    };
    let padded = format!(
        " {} ",
        spaced.split_whitespace().map(singular).collect::<Vec<_>>().join(" ")
    );
    TYPE_WORDS
        .iter()
        .find(|(_, words)| words.split('|').any(|w| padded.contains(&format!(" {w} "))))
        .map(|(kind, _)| *kind)
}

/// The system as a schedule writes it; inferred from the type when the model gave none.
pub(super) fn system_of(raw: Option<&str>, kind: ComponentType) -> String {
    let normal: String = raw
        .unwrap_or_default()
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let known = match normal.as_str() {
        "" => default_system(kind),
        "access" | "access_control_system" | "acs" | "aacs" | "pacs" => "access_control",
        "video" | "video_surveillance" | "vss" | "camera" => "cctv",
        "intrusion" | "intruder_alarm" | "intruder_detection" | "alarm" | "ids" | "ias" => "intruder",
        "door_entry" | "vcom" => "intercom",
        other => other,
    };
    known.to_owned()
}

/// The system a type belongs to when the model names none.
fn default_system(kind: ComponentType) -> &'static str {
    use ComponentType as T;
    match kind {
        T::Camera => "cctv",
        T::Intercom => "intercom",
        T::Keypad | T::MotionDetector => "intruder",
        T::SmokeDetector
        | T::HeatDetector
        | T::DuctDetector
        | T::ManualCallPoint
        | T::Sounder
        | T::Strobe
        | T::SounderStrobe
        | T::Speaker
        | T::MonitorModule
        | T::ControlModule => "fire_alarm",
        T::Luminaire | T::ExitSign | T::EmergencyLight => "lighting",
        T::Receptacle | T::Switch | T::DistributionBoard | T::Isolator => "electrical",
        T::DataOutlet => "communications",
        T::Other => "other",
        T::Door | T::AccessPoint | T::CardReader | T::ExitButton | T::Lock | T::PositionSwitch | T::FieldPanel => {
            "access_control"
        }
    }
}
