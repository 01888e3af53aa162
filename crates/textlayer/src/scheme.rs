//! Tag schemes: what the letters and codes of a device tag mean. They are configuration,
//! because every consultant's drawing standard spells its systems differently.

use drawings_core::ComponentType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a tag letter or device code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// The tag schemes an analyzer knows.
///
/// `systems` maps the system letter of a tag box (`A` in `A B2 005 BB`) to its meaning;
/// `device_codes` maps the device code of an id-style tag (`DR` in `A-101-DR-B2`). A JSON
/// file may give either map alone: the other keeps its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSchemes {
    /// System letter → meaning, for tag boxes. Letters not listed are not tags.
    #[serde(default = "default_systems")]
    pub systems: BTreeMap<String, TagMeaning>,
    /// Device code → meaning, for id-style tags. Codes not listed give `other`.
    #[serde(default = "default_device_codes")]
    pub device_codes: BTreeMap<String, TagMeaning>,
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
        ("I", Intercom, "intercom"),
        // VCOM: the voice-communication system of the same tag standard.
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
        ("REX", ExitButton, "access_control"),
        ("EXB", ExitButton, "access_control"),
        ("LK", Lock, "access_control"),
        ("ML", Lock, "access_control"),
        ("ES", Lock, "access_control"),
        ("DC", PositionSwitch, "access_control"),
        ("PS", PositionSwitch, "access_control"),
        ("DPS", PositionSwitch, "access_control"),
        ("CAM", Camera, "cctv"),
        ("CC", Camera, "cctv"),
        ("IC", Intercom, "intercom"),
        ("INT", Intercom, "intercom"),
    ]
    .into_iter()
    .map(|(k, kind, system)| (k.to_owned(), TagMeaning::new(kind, system)))
    .collect()
}

impl Default for TagSchemes {
    fn default() -> Self {
        TagSchemes {
            systems: default_systems(),
            device_codes: default_device_codes(),
        }
    }
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
        for key in self.systems.keys() {
            if !(key.len() == 1 && key.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(SchemeError::InvalidKey {
                    key: key.clone(),
                    why: "a system is one letter A-Z",
                });
            }
        }
        for key in self.device_codes.keys() {
            if !((2..=4).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(SchemeError::InvalidKey {
                    key: key.clone(),
                    why: "a device code is 2-4 letters A-Z",
                });
            }
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
    }

    #[test]
    fn a_lowercase_or_long_system_key_is_rejected() {
        for json in [
            r#"{"systems": {"a": {"type": "door", "system": "x"}}}"#,
            r#"{"systems": {"AB": {"type": "door", "system": "x"}}}"#,
        ] {
            assert!(matches!(
                TagSchemes::from_json_str(json),
                Err(SchemeError::InvalidKey { .. })
            ));
        }
    }

    #[test]
    fn an_unknown_type_is_a_parse_error() {
        let err = TagSchemes::from_json_str(r#"{"systems": {"A": {"type": "toaster", "system": "x"}}}"#);
        assert!(matches!(err, Err(SchemeError::Parse { .. })));
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_the_path() {
        let err = TagSchemes::from_json_file("/nonexistent/schemes.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/schemes.json"));
    }
}
