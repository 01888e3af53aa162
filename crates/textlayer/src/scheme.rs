//! Tag schemes: what the letters and codes of a device tag mean, and how far the analyzer
//! trusts a room label as a tag's location. They are configuration, because every
//! consultant's drawing standard spells its systems differently. The file format is in the
//! crate docs; `fixtures/tag-schemes.example.json` shows every field.

use drawings_core::ComponentType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a tag letter or device code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagMeaning {
    /// The kind of device.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// The system it belongs to (`access_control`, `cctv`, ...).
    pub system: String,
}

impl TagMeaning {
    /// Builds one.
    pub fn new(kind: ComponentType, system: impl Into<String>) -> Self {
        TagMeaning {
            kind,
            system: system.into(),
        }
    }
}

/// Which tags take the nearest room label on the plan as their location.
///
/// Tag boxes are callouts: the drafter puts the box where there is room and runs a leader
/// line to the device, so the label nearest the box names the device's room about half the
/// time (15 of 29 on the real 103P3 sheet). A wrong location misleads an installer; none only
/// sends them to the drawing, so tag boxes take no plan location unless a drawing standard
/// writes them inside the room. Locations written in a schedule row, or shared with a tag of
/// the same access point, are always used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocationRules {
    /// Whether tag boxes (`A B2 005 BB`) take the nearest room label.
    pub tag_boxes: bool,
    /// Whether id-style, short and equipment tags (`A-101-DR-B2`, `A-101`, `SRA B2 01`),
    /// which are written at the device, take the nearest room label.
    pub id_tags: bool,
    /// Farthest a label may be, in tag heights: lettering scales with the rooms.
    pub max_distance_heights: f32,
    /// Farthest a label may be, in points, whatever the lettering.
    pub max_distance_pt: f32,
}

impl Default for LocationRules {
    fn default() -> Self {
        LocationRules {
            tag_boxes: false,
            id_tags: true,
            max_distance_heights: 25.0,
            max_distance_pt: 150.0,
        }
    }
}

/// The tag schemes an analyzer knows.
///
/// `systems` maps the system letter of a tag box (`A` in `A B2 005 BB`) to its meaning;
/// `device_codes` maps the device code of an id-style tag (`DR` in `A-101-DR-B2`);
/// `short_ids` maps the letter of a bare `A-101` (none by default); `equipment` maps the code
/// of an equipment tag (`SRA` in `SRA B2 01`); `room_words` adds words
/// that name rooms; `locations` sets which tags take a room label. A JSON file may give any
/// of them: the others keep their defaults. Unknown fields are errors, so a typo fails at
/// start-up instead of silently changing nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagSchemes {
    /// System letter → meaning, for tag boxes. Letters not listed are not tags.
    #[serde(default = "default_systems")]
    pub systems: BTreeMap<String, TagMeaning>,
    /// Device code → meaning, for id-style tags. Codes not listed give `other`.
    #[serde(default = "default_device_codes")]
    pub device_codes: BTreeMap<String, TagMeaning>,
    /// Letter → meaning, for bare `A-101` ids (letter, separator, three digits). Empty by
    /// default: `A-101` is also how sheet numbers, detail references and grid lines are
    /// written, so a drawing standard that tags devices this way has to say so.
    #[serde(default)]
    pub short_ids: BTreeMap<String, TagMeaning>,
    /// Equipment code → meaning, for equipment tags (`SRA B2 01`: code, level, point).
    #[serde(default = "default_equipment")]
    pub equipment: BTreeMap<String, TagMeaning>,
    /// Words that name rooms, in capitals, on top of the built-in list (`OFFICE`, `CORRIDOR`,
    /// ...): a label needs one unless a room code is stacked under it.
    #[serde(default)]
    pub room_words: Vec<String>,
    /// Which tags take the nearest room label as location.
    #[serde(default)]
    pub locations: LocationRules,
    /// Extra legend vocabulary, tried before the built-in rules (see [`crate::Vocabulary`]).
    #[serde(default)]
    pub vocabulary: crate::Vocabulary,
}

/// A tag scheme file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemeError {
    /// The file could not be read.
    #[error("cannot read tag schemes from {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid scheme JSON.
    #[error("tag schemes in {path} are not valid: {source}")]
    Parse {
        /// The file (empty when parsed from a string).
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A key that no tag could ever contain.
    #[error("invalid tag scheme key {key:?}: {why}")]
    InvalidKey {
        /// The key.
        key: String,
        /// What a key must look like.
        why: &'static str,
    },
}

fn default_systems() -> BTreeMap<String, TagMeaning> {
    use ComponentType::*;
    [
        ("A", AccessPoint, "access_control"),
        ("C", Camera, "cctv"),
        // The AACS, VCOM, IHAS tag reference of the 103P3 legend: `I` is the intruder and
        // hold-up alarm system, `V` the voice-communication (intercom) system.
        ("I", Other, "intrusion"),
        ("V", Intercom, "intercom"),
        ("D", Door, "access_control"),
        ("E", Other, "electrical"),
    ]
    .into_iter()
    .map(|(k, kind, system)| (k.to_owned(), TagMeaning::new(kind, system)))
    .collect()
}

fn default_device_codes() -> BTreeMap<String, TagMeaning> {
    use ComponentType::*;
    [
        ("DR", Door, "access_control"),
        ("CR", CardReader, "access_control"),
        ("RD", CardReader, "access_control"),
        ("RDR", CardReader, "access_control"),
        ("EB", ExitButton, "access_control"),
        ("EX", ExitButton, "access_control"),
        ("REX", ExitButton, "access_control"),
        ("EXB", ExitButton, "access_control"),
        ("LK", Lock, "access_control"),
        ("LC", Lock, "access_control"),
        ("ML", Lock, "access_control"),
        ("ES", Lock, "access_control"),
        ("DC", PositionSwitch, "access_control"),
        ("PS", PositionSwitch, "access_control"),
        ("DPS", PositionSwitch, "access_control"),
        ("CAM", Camera, "cctv"),
        ("CC", Camera, "cctv"),
        ("CM", Camera, "cctv"),
        ("IC", Intercom, "intercom"),
        ("INT", Intercom, "intercom"),
    ]
    .into_iter()
    .map(|(k, kind, system)| (k.to_owned(), TagMeaning::new(kind, system)))
    .collect()
}

fn default_equipment() -> BTreeMap<String, TagMeaning> {
    // The central security equipment (CSEC) of the 103P3 legend: racks, field panels and
    // workstations, tagged with a floor level and a point reference.
    [
        "CBW", // contractor badging workstation
        "CIW", // concierge interface workstation
        "EBW", // employee badging workstation
        "LFP", // lift field panel
        "OIW", // operator interface workstation
        "RFP", // remote field panel
        "SRA", // security arrangement rack
        "VBW", // visitor badging workstation
    ]
    .into_iter()
    .map(|k| {
        (
            k.to_owned(),
            TagMeaning::new(ComponentType::Other, "security_equipment"),
        )
    })
    .collect()
}

impl Default for TagSchemes {
    fn default() -> Self {
        TagSchemes {
            systems: default_systems(),
            device_codes: default_device_codes(),
            short_ids: BTreeMap::new(),
            equipment: default_equipment(),
            room_words: Vec::new(),
            locations: LocationRules::default(),
            vocabulary: crate::Vocabulary::default(),
        }
    }
}

fn is_letters(key: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&key.len()) && key.bytes().all(|b| b.is_ascii_uppercase())
}

impl TagSchemes {
    /// Reads schemes from a JSON file such as
    /// `{"systems": {"A": {"type": "access_point", "system": "access_control"}}}`.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<TagSchemes, SchemeError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SchemeError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Reads schemes from JSON text.
    pub fn from_json_str(json: &str) -> Result<TagSchemes, SchemeError> {
        Self::parse(json, Path::new(""))
    }

    fn parse(json: &str, path: &Path) -> Result<TagSchemes, SchemeError> {
        let schemes: TagSchemes = serde_json::from_str(json).map_err(|source| SchemeError::Parse {
            path: path.into(),
            source,
        })?;
        schemes.validate()?;
        Ok(schemes)
    }

    /// Rejects keys the matcher could never see, so a typo fails loudly at start-up rather
    /// than silently matching nothing.
    fn validate(&self) -> Result<(), SchemeError> {
        let bad = |key: &String, why| Err(SchemeError::InvalidKey { key: key.clone(), why });
        for key in self.systems.keys().chain(self.short_ids.keys()) {
            if !is_letters(key, 1..=1) {
                return bad(key, "a system is one letter A-Z");
            }
        }
        for key in self.device_codes.keys().chain(self.equipment.keys()) {
            if !is_letters(key, 2..=4) {
                return bad(key, "a device or equipment code is 2-4 letters A-Z");
            }
        }
        for word in &self.room_words {
            if !is_letters(word, 2..=20) {
                return bad(word, "a room word is 2-20 capital letters A-Z");
            }
        }
        let l = &self.locations;
        if !(l.max_distance_heights >= 0.0 && l.max_distance_pt >= 0.0) {
            let key = "locations.max_distance_*".to_owned();
            return bad(&key, "a distance is a number of at least 0");
        }
        Ok(())
    }

    /// The meaning of a tag box's system letter, if it is one.
    pub fn system(&self, letter: &str) -> Option<&TagMeaning> {
        self.systems.get(letter)
    }

    /// The meaning of an id-style tag's device code, if known.
    pub fn device_code(&self, code: &str) -> Option<&TagMeaning> {
        self.device_codes.get(code)
    }

    /// The meaning of an equipment code, if it is one.
    pub fn equipment(&self, code: &str) -> Option<&TagMeaning> {
        self.equipment.get(code)
    }

    /// The meaning of a bare `A-101` id's letter, if the schemes count such ids.
    pub fn short_id(&self, letter: &str) -> Option<&TagMeaning> {
        self.short_ids.get(letter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_only_systems_keeps_the_default_device_codes() {
        let s = TagSchemes::from_json_str(r#"{"systems": {"K": {"type": "camera", "system": "cctv"}}}"#).unwrap();
        assert_eq!(s.system("K").unwrap().kind, ComponentType::Camera);
        assert!(s.system("A").is_none());
        assert_eq!(s.device_code("DR").unwrap().kind, ComponentType::Door);
        assert_eq!(s.locations, LocationRules::default());
    }

    #[test]
    fn a_lowercase_or_long_system_key_is_rejected() {
        for json in [
            r#"{"systems": {"a": {"type": "door", "system": "x"}}}"#,
            r#"{"systems": {"AB": {"type": "door", "system": "x"}}}"#,
            r#"{"short_ids": {"A1": {"type": "door", "system": "x"}}}"#,
            r#"{"room_words": ["Office"]}"#,
        ] {
            assert!(
                matches!(TagSchemes::from_json_str(json), Err(SchemeError::InvalidKey { .. })),
                "{json}"
            );
        }
    }

    #[test]
    fn an_unknown_type_is_a_parse_error() {
        let err = TagSchemes::from_json_str(r#"{"systems": {"A": {"type": "toaster", "system": "x"}}}"#);
        assert!(matches!(err, Err(SchemeError::Parse { .. })));
    }

    #[test]
    fn a_misspelt_field_is_a_parse_error_not_a_silent_default() {
        for json in [
            r#"{"short_id": {"A": {"type": "door", "system": "x"}}}"#,
            r#"{"locations": {"tag_box": true}}"#,
        ] {
            assert!(
                matches!(TagSchemes::from_json_str(json), Err(SchemeError::Parse { .. })),
                "{json}"
            );
        }
    }

    #[test]
    fn a_negative_location_distance_is_rejected() {
        let err = TagSchemes::from_json_str(r#"{"locations": {"max_distance_pt": -1}}"#);
        assert!(matches!(err, Err(SchemeError::InvalidKey { .. })));
    }

    #[test]
    fn short_ids_are_off_by_default_and_tag_boxes_take_no_plan_location() {
        let s = TagSchemes::default();
        assert!(s.short_id("A").is_none());
        assert!(!s.locations.tag_boxes && s.locations.id_tags);
    }

    #[test]
    fn the_default_i_system_is_intrusion_not_intercom() {
        let i = TagSchemes::default().systems["I"].clone();
        assert_eq!((i.kind, i.system.as_str()), (ComponentType::Other, "intrusion"));
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_the_path() {
        let err = TagSchemes::from_json_file("/nonexistent/schemes.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/schemes.json"));
    }

    #[test]
    fn the_example_file_parses_and_sets_every_field() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tag-schemes.example.json");
        let s = TagSchemes::from_json_file(&path).unwrap();
        assert!(!s.systems.is_empty() && !s.device_codes.is_empty() && !s.short_ids.is_empty());
        assert!(!s.equipment.is_empty());
        assert!(!s.room_words.is_empty());
        assert_eq!(
            s.vocabulary.classify("FIRE TELEPHONE JACK").map(|m| m.kind),
            Some(ComponentType::Intercom)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for field in [
            "\"systems\"",
            "\"device_codes\"",
            "\"short_ids\"",
            "\"equipment\"",
            "\"room_words\"",
            "\"vocabulary\"",
            "\"tag_boxes\"",
            "\"id_tags\"",
            "\"max_distance_heights\"",
            "\"max_distance_pt\"",
        ] {
            assert!(text.contains(field), "the example lacks {field}");
        }
    }
}
