//! Turns the model's answer into components. The response schema asks for one shape, but a
//! model (or a fake server, or the next model version) may send a conforming-but-different
//! one: a bare array, `tag` for `id`, "Card Reader" for `card_reader`, a percentage, a box in
//! points. Everything that still says which device is where is accepted; what cannot be read
//! is dropped with a warning, and only an answer with no component list at all is an error.
//!
//! Truncation is not detected here: the caller checks `finishReason` (MAX_TOKENS) first.

use drawings_core::ports::PageInput;
use drawings_core::schedule::normalize_id;
use drawings_core::{BBox, Component, ComponentSource, ComponentType};
use serde_json::{Map, Value};
use std::collections::HashMap;

mod vocab;
pub use vocab::component_type;
use vocab::system_of;

/// The page the answer is about: where components go and how fractions become points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageGeometry {
    /// 0-based page index.
    pub page: u32,
    /// Width of the upright page in points (0 when unknown: fractional boxes are dropped).
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
}

impl PageGeometry {
    /// The geometry of an analyzer's input page.
    pub fn of(input: &PageInput) -> PageGeometry {
        PageGeometry {
            page: input.page,
            width_pt: input.text.width_pt,
            height_pt: input.text.height_pt,
        }
    }
}

/// What one answer held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedPage {
    /// Components, in the model's order, each id once.
    pub components: Vec<Component>,
    /// The model's `legend_found`, when it sent one.
    pub legend_found: Option<bool>,
    /// The model's `notes`, when not empty.
    pub notes: Option<String>,
    /// What was dropped or repaired, for the log.
    pub warnings: Vec<String>,
}

/// An answer that holds no component list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is not JSON (a truncated answer also lands here; the caller tells them apart
    /// by `finishReason`).
    #[error("the model's answer is not JSON: {0}")]
    NotJson(String),
    /// JSON, but neither `{"components": [...]}` nor an array.
    #[error("the model's JSON does not match the response schema: {0}")]
    SchemaMismatch(String),
}

/// The longest `reason` kept; the schedule is read by people, not a dump of model output.
const MAX_REASON_CHARS: usize = 500;
/// Confidence when the model gives none.
const DEFAULT_CONFIDENCE: f32 = 0.5;
/// Cap for made-up ids (`camera-p3-1`): an untagged device is a guess about identity.
const UNTAGGED_CONFIDENCE: f32 = 0.5;

/// Parses the model's answer for one page.
pub fn parse_components(text: &str, page: &PageGeometry) -> Result<ParsedPage, ParseError> {
    let json = parse_json(text)?;
    let mut parsed = ParsedPage::default();
    let items = match &json {
        Value::Array(items) => items.as_slice(),
        Value::Object(top) => {
            parsed.legend_found = field(top, &["legend_found"]).and_then(Value::as_bool);
            parsed.notes = field(top, &["notes"]).and_then(text_of);
            match lookup(top, "components") {
                Some(Value::Array(items)) => items.as_slice(),
                Some(Value::Null) => &[],
                Some(other) => {
                    return Err(ParseError::SchemaMismatch(format!(
                        "`components` is {}",
                        json_kind(other)
                    )));
                }
                None => {
                    let keys: Vec<&str> = top.keys().map(String::as_str).collect();
                    let msg = format!("no `components` in an object with keys [{}]", keys.join(", "));
                    return Err(ParseError::SchemaMismatch(msg));
                }
            }
        }
        other => {
            return Err(ParseError::SchemaMismatch(format!(
                "the answer is {}",
                json_kind(other)
            )));
        }
    };
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (n, item) in items.iter().enumerate() {
        let component = match component(item, page, &mut parsed.warnings) {
            Ok(c) => c,
            Err(why) => {
                parsed.warnings.push(format!("component {n} dropped: {why}"));
                continue;
            }
        };
        // Instances of one type tag may all carry the tag as their id; they are numbered later.
        let id = (component.tag.is_none()).then(|| normalize_id(&component.id));
        match id.as_ref().and_then(|id| by_id.get(id)) {
            Some(&at) => {
                parsed.warnings.push(format!("duplicate id {} merged", component.id));
                merge(&mut parsed.components[at], component);
            }
            None => {
                if let Some(id) = id {
                    by_id.insert(id, parsed.components.len());
                }
                parsed.components.push(component);
            }
        }
    }
    Ok(parsed)
}

/// JSON from the answer, without a Markdown fence or prose around it.
fn parse_json(text: &str) -> Result<Value, ParseError> {
    let mut body = text.trim();
    if let Some(fenced) = body.strip_prefix("```") {
        // Drop the info string (```json) with the first line, and the closing fence.
        body = fenced.split_once('\n').map_or("", |(_, rest)| rest).trim_end();
        body = body.strip_suffix("```").unwrap_or(body).trim();
    }
    serde_json::from_str(body).or_else(|first_error| {
        // "Here is the JSON: {...}" or a one-line fence: the outermost brackets, if any.
        let text = text.trim();
        let inner = match (text.find(['{', '[']), text.rfind(['}', ']'])) {
            (Some(start), Some(end)) if start < end => &text[start..=end],
            _ => return Err(ParseError::NotJson(first_error.to_string())),
        };
        serde_json::from_str(inner).map_err(|_| ParseError::NotJson(first_error.to_string()))
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value under `name`, in any case (`ID`, `Type`).
fn lookup<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// The first of `names` present and not null.
fn field<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| lookup(map, name).filter(|v| !v.is_null()))
}

/// A string or number as trimmed text with single spaces; `None` when empty.
fn text_of(value: &Value) -> Option<String> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn component(item: &Value, page: &PageGeometry, warnings: &mut Vec<String>) -> Result<Component, String> {
    let Value::Object(map) = item else {
        return Err(format!("it is {}, not an object", json_kind(item)));
    };
    let id = field(map, &["id", "tag", "label"]).and_then(text_of).ok_or("no id")?;
    let type_word = field(map, &["type", "kind"]).and_then(text_of);
    let kind = type_word
        .as_deref()
        .and_then(component_type)
        .unwrap_or(ComponentType::Other);
    let mut confidence = field(map, &["confidence"])
        .and_then(confidence_of)
        .unwrap_or(DEFAULT_CONFIDENCE);
    if looks_untagged(&id) {
        confidence = confidence.min(UNTAGGED_CONFIDENCE);
    }
    let bbox = field(map, &["bbox", "box", "bounding_box"])
        .map(|b| (b, false))
        .or_else(|| field(map, &["box_2d"]).map(|b| (b, true)))
        .and_then(|(raw, gemini_native)| {
            bbox_of(raw, gemini_native, page)
                .map_err(|why| warnings.push(format!("{id}: bbox dropped: {why}")))
                .ok()
        });

    // Component has no lock, camera or coverage fields: they go into the reason, so the
    // schedule still shows them.
    let mut notes: Vec<String> = Vec::new();
    if kind == ComponentType::Other
        && let Some(word) = type_word.as_deref().filter(|w| !w.eq_ignore_ascii_case("other"))
    {
        notes.push(format!("model type \"{word}\""));
    }
    let extras = [
        ("lock_type", "lock type "),
        ("camera_type", "camera type "),
        ("coverage", "covers "),
    ];
    for (name, prefix) in extras {
        notes.extend(field(map, &[name]).and_then(text_of).map(|v| format!("{prefix}{v}")));
    }
    notes.extend(field(map, &["reason"]).and_then(text_of));
    let reason = (!notes.is_empty()).then(|| truncate(notes.join("; "), MAX_REASON_CHARS));

    Ok(Component {
        system: system_of(field(map, &["system"]).and_then(text_of).as_deref(), kind),
        location: field(map, &["location", "room"]).and_then(text_of),
        page: page.page + 1,
        id,
        kind,
        bbox,
        confidence,
        source: ComponentSource::Gemini,
        reason,
        // `tag` is the type tag only beside an `id`; alone, it was the id (an older shape).
        tag: field(map, &["id"]).and_then(|_| field(map, &["tag"])).and_then(text_of),
        evidence: None,
    })
}

/// An id made up for an untagged device, as the system instruction asks (`camera-p3-1`).
pub(crate) fn looks_untagged(id: &str) -> bool {
    let mut parts = id.rsplitn(3, '-');
    let (n, p, kind) = (parts.next(), parts.next(), parts.next());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    n.is_some_and(digits)
        && p.and_then(|p| p.strip_prefix('p')).is_some_and(digits)
        && kind.is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
}

/// 0..=1 from a number, a numeric string, a percentage or a word.
fn confidence_of(value: &Value) -> Option<f32> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "high" => 0.9,
            "medium" => 0.6,
            "low" => 0.3,
            s => s.trim_end_matches('%').trim().parse::<f64>().ok()?,
        },
        _ => return None,
    };
    let number = if number > 1.0 { number / 100.0 } else { number };
    number.is_finite().then(|| number.clamp(0.0, 1.0) as f32)
}

/// A box in points on the page. The schema asks for fractions; values above 1.5 can only be
/// points (a fraction box slightly outside the page stays a fraction box). `gemini_native`
/// is Gemini's own `box_2d`: `[ymin, xmin, ymax, xmax]` in thousandths.
fn bbox_of(raw: &Value, gemini_native: bool, page: &PageGeometry) -> Result<BBox, &'static str> {
    let number = |v: Option<&Value>| v.and_then(Value::as_f64).filter(|n| n.is_finite());
    let values = match raw {
        Value::Array(v) if v.len() == 4 && gemini_native => {
            let [y0, x0, y1, x1] = [0, 1, 2, 3].map(|k| number(v.get(k)).map(|n| n / 1000.0));
            [x0, y0, x1, y1]
        }
        Value::Array(v) if v.len() == 4 => [0, 1, 2, 3].map(|k| number(v.get(k))),
        Value::Object(m) => {
            [["x0", "left"], ["y0", "top"], ["x1", "right"], ["y1", "bottom"]].map(|names| number(field(m, &names)))
        }
        _ => [None; 4],
    };
    let [Some(x0), Some(y0), Some(x1), Some(y1)] = values else {
        return Err("not four numbers");
    };
    if x1 < x0 || y1 < y0 {
        return Err("inverted");
    }
    let (w, h) = (f64::from(page.width_pt), f64::from(page.height_pt));
    let known_page = w > 0.0 && h > 0.0;
    let (sx, sy) = if [x0, y0, x1, y1].iter().any(|&v| v > 1.5) {
        (1.0, 1.0)
    } else if known_page {
        (w, h)
    } else {
        return Err("a fraction box on a page of unknown size");
    };
    let clamp = |v: f64, max: f64| (if known_page { v.clamp(0.0, max) } else { v }) as f32;
    let b = BBox {
        x0: clamp(x0 * sx, w),
        y0: clamp(y0 * sy, h),
        x1: clamp(x1 * sx, w),
        y1: clamp(y1 * sy, h),
    };
    if b.width() <= 0.0 || b.height() <= 0.0 {
        return Err("empty or outside the page");
    }
    Ok(b)
}

fn truncate(mut text: String, max_chars: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max_chars) {
        text.truncate(at);
        text.push('…');
    }
    text
}

/// Two answers for one id: the more confident wins, and gives up nothing the other knew.
fn merge(kept: &mut Component, other: Component) {
    let (mut winner, loser) = if other.confidence > kept.confidence {
        (other, kept.clone())
    } else {
        (kept.clone(), other)
    };
    winner.location = winner.location.or(loser.location);
    winner.bbox = winner.bbox.or(loser.bbox);
    winner.reason = winner.reason.or(loser.reason);
    *kept = winner;
}

#[cfg(test)]
mod tests;
