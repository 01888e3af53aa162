//! Device addresses and unique ids: labels that name one device each, so one label (however
//! often it is repeated in a riser, a circuit table or on another sheet) is one device.
//!
//! Grammars, in the forms fire-alarm and security drawings write them:
//! - loop addresses with a device letter: `L1D023`, `L02M005`, `1D023` (D detector, M module);
//! - loop/SLC addresses with separators: `L1-023`, `SLC1-23`, `LOOP1-023`; and `1-1-023`,
//!   `01:1:023`, `1.1.023` (panel, loop, device; three device digits, so dates are not);
//! - notification circuits: `N1-3`, `NAC1-2`, `NAC 2-14` (circuit and appliance);
//! - prefixed device ids whose prefix names the device: `CAM-01`, `CR-101`, `SD-12`, `MCP3`,
//!   `KP-1` (the prefixes are in [`PREFIXES`]).
//!
//! An address says *which* device; its *type* comes from its letter (`D`/`M`), from its
//! prefix, or from a type code written beside it (`SD`, `HD`, `MCP`, `HS`, `S/V`, ...). An
//! address with none of these is listed as `other` with lower confidence: it is certainly a
//! device, its kind is not.

use drawings_core::ComponentType;
use regex::Regex;
use std::sync::LazyLock;

use ComponentType as T;

/// `L1D023`, `L02M005`, `1D023`, `L1-D-023`, `L1-023`, `SLC1-23`.
static LOOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:L|LP|LOOP|SLC)?(\d{1,2})[-:.]?([DM])[-:.]?(\d{2,3})$|^(?:L|LP|LOOP|SLC)(\d{1,2})[-:./](\d{2,3})$")
        .expect("loop pattern")
});
/// `1-1-023`, `01:1:023`, `1.1.023`: panel, loop, device (three digits, so a date is not one).
static PANEL_LOOP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})([-:.])(\d{1,2})([-:.])(\d{3})$").expect("panel-loop pattern"));
/// `N1-3`, `NAC1-2`: a notification circuit and the appliance on it.
static NAC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:N|NAC)(\d{1,2})[-:./](\d{1,3})$").expect("nac pattern"));
/// `CAM-01`, `CR101`, `SD-12A`: a prefix that names the device, then its number.
static PREFIXED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Z]{2,4})[-_.]?(\d{1,4}[A-Z]?)$").expect("prefixed pattern"));

/// Prefixes of device ids and type codes beside addresses, with what they name.
pub(crate) const PREFIXES: &[(&str, ComponentType, &str)] = &[
    ("SD", T::SmokeDetector, "fire_alarm"),
    ("SMK", T::SmokeDetector, "fire_alarm"),
    ("HD", T::HeatDetector, "fire_alarm"),
    ("DH", T::HeatDetector, "fire_alarm"),
    ("DSD", T::DuctDetector, "fire_alarm"),
    ("DD", T::DuctDetector, "fire_alarm"),
    ("MCP", T::ManualCallPoint, "fire_alarm"),
    ("PS", T::ManualCallPoint, "fire_alarm"),
    ("MPS", T::ManualCallPoint, "fire_alarm"),
    ("HS", T::SounderStrobe, "fire_alarm"),
    ("SV", T::Speaker, "fire_alarm"),
    ("SPK", T::Speaker, "fire_alarm"),
    ("MM", T::MonitorModule, "fire_alarm"),
    ("MON", T::MonitorModule, "fire_alarm"),
    ("CM", T::ControlModule, "fire_alarm"),
    ("RM", T::ControlModule, "fire_alarm"),
    ("CAM", T::Camera, "cctv"),
    ("CCTV", T::Camera, "cctv"),
    ("CR", T::CardReader, "access_control"),
    ("RDR", T::CardReader, "access_control"),
    ("REX", T::ExitButton, "access_control"),
    ("RTE", T::ExitButton, "access_control"),
    ("DC", T::PositionSwitch, "access_control"),
    ("DPS", T::PositionSwitch, "access_control"),
    ("MD", T::MotionDetector, "intruder"),
    ("PIR", T::MotionDetector, "intruder"),
    ("KP", T::Keypad, "intruder"),
    ("ACP", T::FieldPanel, "access_control"),
    ("FACP", T::FieldPanel, "fire_alarm"),
    ("IC", T::Intercom, "access_control"),
    ("INT", T::Intercom, "access_control"),
];

/// What an address label says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Address {
    /// The label in one canonical spelling (`L1D023`, `1-1-023`, `CAM-01`).
    pub id: String,
    /// The type, when the label itself says it.
    pub kind: Option<(ComponentType, &'static str)>,
    /// Which grammar matched, for the evidence.
    pub grammar: &'static str,
}

/// Words that, written apart from the number after them (`NAC 1-3`, `SLC 1-023`, `LOOP 2-14`),
/// make one address with it.
pub(crate) const SPLIT_PREFIXES: &[&str] = &["NAC", "SLC", "LOOP", "LP"];

/// `L1`, `LOOP2`, `SLC01`: a loop written on its own.
pub(crate) fn is_loop(text: &str) -> bool {
    static LOOP_ALONE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:L|LP|LOOP|SLC)\d{1,2}$").expect("loop pattern"));
    LOOP_ALONE.is_match(text)
}

/// `D023`, `M005`: a device letter and number written on their own.
pub(crate) fn is_device(text: &str) -> bool {
    static DEVICE_ALONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[DM]\d{2,3}$").expect("device pattern"));
    DEVICE_ALONE.is_match(text)
}

/// The address or device id `text` is, if any.
pub(crate) fn parse(text: &str) -> Option<Address> {
    let text = text.trim_matches(|c: char| "()[],;:".contains(c));
    let address = parse_any(text)?;
    // Loops, panels, circuits and devices count from 1: `L0-009` is some other number.
    let numbers = address
        .id
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty());
    numbers
        .clone()
        .all(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
        .then_some(address)
}

fn parse_any(text: &str) -> Option<Address> {
    if let Some(c) = LOOP.captures(text) {
        if let (Some(lp), Some(letter), Some(dev)) = (c.get(1), c.get(2), c.get(3)) {
            let kind = match letter.as_str() {
                "D" => None,
                _ => Some((T::MonitorModule, "fire_alarm")),
            };
            return Some(Address {
                id: format!("L{}{}{:0>3}", num(lp.as_str()), letter.as_str(), num(dev.as_str())),
                kind,
                grammar: "loop address (loop, D/M, device)",
            });
        }
        let (lp, dev) = (c.get(4)?, c.get(5)?);
        return Some(Address {
            id: format!("L{}-{:0>3}", num(lp.as_str()), num(dev.as_str())),
            kind: None,
            grammar: "loop address (loop, device)",
        });
    }
    if let Some(c) = PANEL_LOOP.captures(text) {
        // Two different separators (`1-1.023`) is a dimension or a date, not an address.
        if c[2] != c[4] {
            return None;
        }
        return Some(Address {
            id: format!("{}-{}-{:0>3}", num(&c[1]), num(&c[3]), num(&c[5])),
            kind: None,
            grammar: "panel-loop-device address",
        });
    }
    if let Some(c) = NAC.captures(text) {
        return Some(Address {
            id: format!("N{}-{}", num(&c[1]), num(&c[2])),
            kind: Some((T::SounderStrobe, "fire_alarm")),
            grammar: "notification circuit and appliance",
        });
    }
    let c = PREFIXED.captures(text)?;
    let (_, kind, system) = PREFIXES.iter().find(|(p, _, _)| *p == &c[1])?;
    Some(Address {
        id: format!("{}-{}", &c[1], &c[2]),
        kind: Some((*kind, system)),
        grammar: "device id with a type prefix",
    })
}

/// A type code written beside an address (`SD`, `H`, `MCP`, `S/V`).
pub(crate) fn type_code(text: &str) -> Option<(ComponentType, &'static str)> {
    let code: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    match code.as_str() {
        "S" | "P" => Some((T::SmokeDetector, "fire_alarm")),
        "H" => Some((T::HeatDetector, "fire_alarm")),
        "F" | "M" => Some((T::MonitorModule, "fire_alarm")),
        "C" | "R" => Some((T::ControlModule, "fire_alarm")),
        "D" => Some((T::DuctDetector, "fire_alarm")),
        _ => PREFIXES.iter().find(|(p, _, _)| *p == code).map(|(_, k, s)| (*k, *s)),
    }
}

/// `023` → `23`: numbers compare without their padding.
fn num(digits: &str) -> u32 {
    digits.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Option<String> {
        parse(text).map(|a| a.id)
    }

    #[test]
    fn loop_addresses_in_their_common_forms_have_one_spelling() {
        assert_eq!(id("L1D023"), Some("L1D023".into()));
        assert_eq!(id("L01D23"), Some("L1D023".into()));
        assert_eq!(id("1D023"), Some("L1D023".into()));
        assert_eq!(id("L2M005"), Some("L2M005".into()));
        assert_eq!(id("L1-D-023"), Some("L1D023".into()));
        assert_eq!(id("01.M.05"), Some("L1M005".into()));
        assert_eq!(id("SLC1-23"), Some("L1-023".into()));
        assert_eq!(id("L1-023"), Some("L1-023".into()));
        assert_eq!(id("1-1-023"), Some("1-1-023".into()));
        assert_eq!(id("01:1:023"), Some("1-1-023".into()));
        assert_eq!(id("N1-3"), Some("N1-3".into()));
    }

    #[test]
    fn modules_are_typed_by_their_letter_and_ids_by_their_prefix() {
        assert_eq!(parse("L1M002").unwrap().kind.unwrap().0, T::MonitorModule);
        assert_eq!(parse("L1D002").unwrap().kind, None);
        assert_eq!(parse("CAM-01").unwrap().kind.unwrap().0, T::Camera);
        assert_eq!(parse("CR101").unwrap().id, "CR-101");
        assert_eq!(type_code("S/V").unwrap().0, T::Speaker);
        assert_eq!(type_code("SD").unwrap().0, T::SmokeDetector);
    }

    #[test]
    fn look_alikes_are_not_addresses() {
        for text in [
            "A-101",
            "E3-1",
            "12-04-2026",
            "1-1.023",
            "P1",
            "C1",
            "3'-4\"",
            "W12X26",
            "LED-4",
            "GL-12",
        ] {
            assert_eq!(id(text), None, "{text}");
        }
    }
}
