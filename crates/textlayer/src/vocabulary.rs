//! The device vocabulary: what a legend row's description, an id's prefix or a word beside an
//! address means, as a schedule type and system. A drawing teaches its own tags (`L4` is
//! whatever its legend row says); this table turns the legend's words into our types.
//!
//! Rules are tried in order and the first whose every word occurs in the description wins, so
//! specific phrases (`duct smoke detector`, `horn/strobe`) come before general ones
//! (`smoke`, `horn`). Words match whole, case-insensitively, after `/`, `-` and `,` become
//! spaces. A description that names a non-device (`pier`, `footing`, `column`, `beam`, `grid`)
//! matches nothing, so a structural sheet's legend teaches no device tags.
//!
//! Extending it: [`Vocabulary::with_rules`] puts a scheme file's rules (`"vocabulary":
//! [{"words": "fire telephone", "type": "intercom", "system": "fire_alarm"}]`) before the
//! built-in ones.

use drawings_core::ComponentType;
use serde::{Deserialize, Serialize};

/// One rule: every word of `words` in the description means `kind` in `system`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyRule {
    /// Space-separated words, all required (`"duct smoke"`).
    pub words: String,
    /// The schedule type.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// The system (`fire_alarm`, `access_control`, `electrical`, ...).
    pub system: String,
}

use ComponentType as T;

const FA: &str = "fire_alarm";
const AC: &str = "access_control";
const IN: &str = "intruder";
const TV: &str = "cctv";
const EL: &str = "electrical";
const LT: &str = "lighting";
const CM: &str = "communications";

/// The built-in rules, most specific first.
const RULES: &[(&str, ComponentType, &str)] = &[
    ("duct smoke", T::DuctDetector, FA),
    ("duct detector", T::DuctDetector, FA),
    ("beam detector", T::SmokeDetector, FA),
    ("smoke detector", T::SmokeDetector, FA),
    ("smoke sensor", T::SmokeDetector, FA),
    ("photoelectric", T::SmokeDetector, FA),
    ("ionization", T::SmokeDetector, FA),
    ("multi sensor", T::SmokeDetector, FA),
    ("multisensor", T::SmokeDetector, FA),
    ("heat detector", T::HeatDetector, FA),
    ("heat sensor", T::HeatDetector, FA),
    ("rate of rise", T::HeatDetector, FA),
    ("fixed temperature", T::HeatDetector, FA),
    ("manual pull", T::ManualCallPoint, FA),
    ("pull station", T::ManualCallPoint, FA),
    ("manual station", T::ManualCallPoint, FA),
    ("call point", T::ManualCallPoint, FA),
    ("break glass", T::ManualCallPoint, FA),
    ("speaker strobe", T::Speaker, FA),
    ("speaker", T::Speaker, FA),
    ("horn strobe", T::SounderStrobe, FA),
    ("chime strobe", T::SounderStrobe, FA),
    ("sounder beacon", T::SounderStrobe, FA),
    ("sounder strobe", T::SounderStrobe, FA),
    ("strobe", T::Strobe, FA),
    ("beacon", T::Strobe, FA),
    ("visual signal", T::Strobe, FA),
    ("horn", T::Sounder, FA),
    ("sounder", T::Sounder, FA),
    ("bell", T::Sounder, FA),
    ("monitor module", T::MonitorModule, FA),
    ("input module", T::MonitorModule, FA),
    ("monitor", T::MonitorModule, FA),
    ("control module", T::ControlModule, FA),
    ("relay module", T::ControlModule, FA),
    ("output module", T::ControlModule, FA),
    ("fire alarm control panel", T::FieldPanel, FA),
    ("fire alarm panel", T::FieldPanel, FA),
    ("facp", T::FieldPanel, FA),
    ("annunciator", T::FieldPanel, FA),
    ("card reader", T::CardReader, AC),
    ("proximity reader", T::CardReader, AC),
    ("reader", T::CardReader, AC),
    ("request to exit", T::ExitButton, AC),
    ("exit button", T::ExitButton, AC),
    ("push to exit", T::ExitButton, AC),
    ("rex", T::ExitButton, AC),
    ("door contact", T::PositionSwitch, AC),
    ("door position", T::PositionSwitch, AC),
    ("position switch", T::PositionSwitch, AC),
    ("magnetic contact", T::PositionSwitch, AC),
    ("maglock", T::Lock, AC),
    ("magnetic lock", T::Lock, AC),
    ("electric strike", T::Lock, AC),
    ("electric lock", T::Lock, AC),
    ("wireless access", T::Other, CM),
    ("access control point", T::AccessPoint, AC),
    ("access point", T::AccessPoint, AC),
    ("controlled door", T::AccessPoint, AC),
    ("access control panel", T::FieldPanel, AC),
    ("door controller", T::FieldPanel, AC),
    ("field panel", T::FieldPanel, AC),
    ("motion detector", T::MotionDetector, IN),
    ("motion sensor", T::MotionDetector, IN),
    ("pir", T::MotionDetector, IN),
    ("glass break", T::MotionDetector, IN),
    ("keypad", T::Keypad, IN),
    ("alarm panel", T::FieldPanel, IN),
    ("intrusion panel", T::FieldPanel, IN),
    ("camera", T::Camera, TV),
    ("cctv", T::Camera, TV),
    ("intercom", T::Intercom, AC),
    ("video entry", T::Intercom, AC),
    ("call station", T::Intercom, AC),
    ("exit sign", T::ExitSign, LT),
    ("exit light", T::ExitSign, LT),
    ("emergency light", T::EmergencyLight, LT),
    ("emergency lighting", T::EmergencyLight, LT),
    ("emergency luminaire", T::EmergencyLight, LT),
    ("emergency battery", T::EmergencyLight, LT),
    ("bug eye", T::EmergencyLight, LT),
    ("luminaire", T::Luminaire, LT),
    ("light fixture", T::Luminaire, LT),
    ("lighting fixture", T::Luminaire, LT),
    ("fixture", T::Luminaire, LT),
    ("troffer", T::Luminaire, LT),
    ("downlight", T::Luminaire, LT),
    ("down light", T::Luminaire, LT),
    ("pendant", T::Luminaire, LT),
    ("wall pack", T::Luminaire, LT),
    ("wallpack", T::Luminaire, LT),
    ("strip light", T::Luminaire, LT),
    ("linear led", T::Luminaire, LT),
    ("led panel", T::Luminaire, LT),
    ("fluorescent", T::Luminaire, LT),
    ("bulkhead", T::Luminaire, LT),
    ("floodlight", T::Luminaire, LT),
    ("flood light", T::Luminaire, LT),
    ("high bay", T::Luminaire, LT),
    ("ellipsoidal", T::Luminaire, LT),
    ("fresnel", T::Luminaire, LT),
    ("source four", T::Luminaire, LT),
    ("par", T::Luminaire, LT),
    ("lamp", T::Luminaire, LT),
    ("disconnect", T::Isolator, EL),
    ("isolator", T::Isolator, EL),
    ("isolating switch", T::Isolator, EL),
    ("distribution board", T::DistributionBoard, EL),
    ("panelboard", T::DistributionBoard, EL),
    ("panel board", T::DistributionBoard, EL),
    ("switchboard", T::DistributionBoard, EL),
    ("consumer unit", T::DistributionBoard, EL),
    ("junction box", T::Other, EL),
    ("pull box", T::Other, CM),
    ("cable box", T::Other, CM),
    ("cable vault", T::Other, CM),
    ("splice vault", T::Other, CM),
    ("handhole", T::Other, CM),
    // Cabinets of equipment, not casework (`BASE CABINET` names no device).
    ("its cabinet", T::FieldPanel, CM),
    ("signal cabinet", T::FieldPanel, CM),
    ("controller cabinet", T::FieldPanel, CM),
    ("equipment cabinet", T::FieldPanel, CM),
    ("ups cabinet", T::FieldPanel, CM),
    ("meter cabinet", T::FieldPanel, CM),
    ("toll cabinet", T::FieldPanel, CM),
    ("vms cabinet", T::FieldPanel, CM),
    ("controller", T::FieldPanel, CM),
    ("occupancy sensor", T::Switch, LT),
    ("vacancy sensor", T::Switch, LT),
    ("dimmer", T::Switch, LT),
    ("switch", T::Switch, EL),
    ("receptacle", T::Receptacle, EL),
    ("socket", T::Receptacle, EL),
    ("outlet data", T::DataOutlet, CM),
    ("data outlet", T::DataOutlet, CM),
    ("telephone outlet", T::DataOutlet, CM),
    ("tv outlet", T::DataOutlet, CM),
    ("data", T::DataOutlet, CM),
    ("telephone", T::DataOutlet, CM),
    ("outlet", T::Receptacle, EL),
    ("duplex", T::Receptacle, EL),
    ("gfci", T::Receptacle, EL),
    ("gfi", T::Receptacle, EL),
];

/// Words that name a non-device: a row saying any of them teaches no device tag.
const NOT_DEVICES: &[&str] = &[
    "cable",
    "cables",
    "fiber",
    "fibre",
    "pier",
    "piers",
    "footing",
    "footings",
    "column",
    "columns",
    "grid",
    "slab",
    "pile",
    "piles",
    "joist",
    "joists",
    "stud",
    "studs",
    "rebar",
    "reinforcement",
    "anchor",
    "shore",
    "shoring",
    "post",
    "posts",
    "girder",
    "lintel",
    "truss",
    "brace",
    "bracing",
    "elevation",
    "section",
    "detail",
    "sheet",
    "revision",
    "room",
    "conduit",
    "homerun",
    "circuit",
    "wire",
    "wiring",
    "feeder",
    "shall",
    "demolish",
    "remove",
    "removed",
];

/// What a description means, with the words that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Meaning {
    /// The schedule type.
    pub kind: ComponentType,
    /// The system.
    pub system: String,
    /// The rule's words, for the component's evidence.
    pub rule: String,
}

/// The rules in force: a scheme file's, then the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Vocabulary {
    extra: Vec<VocabularyRule>,
}

impl Vocabulary {
    /// The built-in vocabulary with `rules` tried first.
    pub fn with_rules(rules: Vec<VocabularyRule>) -> Self {
        Vocabulary { extra: rules }
    }

    /// The device a description names, if any.
    pub fn classify(&self, description: &str) -> Option<Meaning> {
        let words = words(description);
        // A rule's words must stand together in the description, in order (a pair either way
        // round: `LED LINEAR` is a `linear led`).
        let matches = |rule: &str| {
            let rule: Vec<&str> = rule.split(' ').collect();
            let reversed: Vec<&str> = rule.iter().rev().copied().collect();
            let orders: &[&[&str]] = if rule.len() == 2 { &[&rule, &reversed] } else { &[&rule] };
            orders.iter().any(|order| {
                words
                    .windows(order.len())
                    .any(|w| w.iter().zip(order.iter()).all(|(w, r)| w == r || plural_of(w, r)))
            })
        };
        let meaning = self
            .extra
            .iter()
            .find(|r| matches(&r.words.to_ascii_lowercase()))
            .map(|r| Meaning {
                kind: r.kind,
                system: r.system.clone(),
                rule: r.words.to_ascii_lowercase(),
            })
            .or_else(|| {
                RULES
                    .iter()
                    .find(|(rule, _, _)| matches(rule))
                    .map(|(rule, kind, system)| Meaning {
                        kind: *kind,
                        system: (*system).to_owned(),
                        rule: (*rule).to_owned(),
                    })
            })?;
        // A word that names a non-device makes the row something else (`CCTV CABLE`, a pier
        // with a light on it), unless the rule itself says it (`CABLE BOX`).
        let rule_words: Vec<&str> = meaning.rule.split(' ').collect();
        let other = words
            .iter()
            .any(|w| NOT_DEVICES.contains(&w.as_str()) && !rule_words.iter().any(|r| w == r || plural_of(w, r)));
        (!other).then_some(meaning)
    }
}

fn plural_of(word: &str, rule: &str) -> bool {
    word.strip_suffix('s').is_some_and(|w| w == rule) || word.strip_suffix("es").is_some_and(|w| w == rule)
}

/// Lowercase words, with `/`, `-`, `,`, `(`, `)` and `.` as separators.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .split(|c: char| c.is_whitespace() || "/-,().:;&+\"'".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<ComponentType> {
        Vocabulary::default().classify(text).map(|m| m.kind)
    }

    #[test]
    fn specific_phrases_win_over_general_words() {
        assert_eq!(kind("DUCT SMOKE DETECTOR W/ REMOTE TEST"), Some(T::DuctDetector));
        assert_eq!(kind("Smoke detector, photoelectric"), Some(T::SmokeDetector));
        assert_eq!(kind("HORN/STROBE 15/75 CD"), Some(T::SounderStrobe));
        assert_eq!(kind("SPEAKER/STROBE, CEILING"), Some(T::Speaker));
        assert_eq!(kind("STROBE ONLY"), Some(T::Strobe));
        assert_eq!(kind("MANUAL PULL STATION"), Some(T::ManualCallPoint));
        assert_eq!(kind("2x4 LED TROFFER"), Some(T::Luminaire));
        assert_eq!(kind("DUPLEX RECEPTACLE 20A"), Some(T::Receptacle));
        assert_eq!(kind("Double switched socket outlet"), Some(T::Receptacle));
        assert_eq!(kind("SINGLE POLE SWITCH"), Some(T::Switch));
        assert_eq!(kind("FUSED DISCONNECT SWITCH"), Some(T::Isolator));
        assert_eq!(kind("EXIT SIGN WITH BATTERY"), Some(T::ExitSign));
        assert_eq!(kind("Card readers"), Some(T::CardReader));
        assert_eq!(kind("ALARM KEYPAD"), Some(T::Keypad));
        assert_eq!(kind("Access control point"), Some(T::AccessPoint));
        assert_eq!(kind("PULL BOX"), Some(T::Other));
        assert_eq!(kind("CCTV CAMERA CABINET"), Some(T::Camera));
        assert_eq!(kind("ITS CABINET"), Some(T::FieldPanel));
        assert_eq!(kind("BASE CABINET W/ DRAWERS"), None);
        assert_eq!(kind("CCTV CABLE, ANTENNA CABLE"), None);
        assert_eq!(kind("CABLE BOX"), Some(T::Other));
        assert_eq!(kind("RELOCATED POWER FROM METER TO SERVICE CABINET"), None);
    }

    #[test]
    fn structural_and_note_rows_name_no_device() {
        for text in [
            "CONCRETE PIER 24 DIA",
            "COLUMN C1",
            "SPREAD FOOTING",
            "SEE NOTE 4",
            "GRID LINE",
            "HOMERUN TO PANEL",
        ] {
            assert_eq!(kind(text), None, "{text}");
        }
    }

    #[test]
    fn a_scheme_file_rule_comes_first() {
        let v = Vocabulary::with_rules(vec![VocabularyRule {
            words: "fire telephone".into(),
            kind: T::Intercom,
            system: FA.into(),
        }]);
        assert_eq!(v.classify("FIRE TELEPHONE JACK").map(|m| m.kind), Some(T::Intercom));
        assert_eq!(kind("FIRE TELEPHONE JACK"), Some(T::DataOutlet));
    }
}
