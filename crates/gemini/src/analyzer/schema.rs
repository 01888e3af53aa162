//! The `responseSchema` sent with every page: the JSON shape the model must answer in.
//!
//! Gemini's `responseSchema` is an OpenAPI-3.0 subset, not JSON Schema: types are uppercase
//! (`OBJECT`, `STRING`, ...) and JSON-Schema keywords such as `additionalProperties`,
//! `$schema`, `const`, `oneOf` or `allOf` make the request fail with 400 (gemini-api.md
//! §2.3, §9.7). Enum values count towards an undocumented complexity limit, so the enums here
//! stay short and everything open-ended is a plain string.

use drawings_core::ComponentType;
use serde_json::{Value, json};

/// Every component type, in schedule order; the model's `type` enum.
pub const COMPONENT_TYPES: [ComponentType; ComponentType::ALL.len()] = ComponentType::ALL;

/// The systems a component may belong to; the model's `system` enum.
pub const SYSTEMS: [&str; 9] = [
    "access_control",
    "cctv",
    "intruder",
    "intercom",
    "fire_alarm",
    "electrical",
    "lighting",
    "communications",
    "other",
];

/// The `responseSchema` for one page:
/// `{"components": [{id, type, system, location, bbox, lock_type, camera_type, coverage,
/// confidence, reason}], "legend_found", "notes"}`. `bbox` is in fractions of the page
/// (0..1, top-left origin): models place normalised boxes better than point boxes, and the
/// parser converts them with the page size.
pub fn response_schema() -> Value {
    let types: Vec<&str> = COMPONENT_TYPES.iter().map(|t| t.as_str()).collect();
    let fraction = |what: &str| json!({"type": "NUMBER", "minimum": 0, "maximum": 1, "description": what});
    let nullable_string = |what: &str| json!({"type": "STRING", "nullable": true, "description": what});
    let component = json!({
        "type": "OBJECT",
        "properties": {
            "id": {"type": "STRING", "description":
                "The device tag exactly as written on the drawing; for an untagged device {type}-p{page}-{n}."},
            "type": {"type": "STRING", "enum": types},
            "system": {"type": "STRING", "enum": SYSTEMS},
            "location": nullable_string("Room or area the device is in, as named on the drawing."),
            "bbox": {
                "type": "OBJECT",
                "nullable": true,
                "description": "Box around the device tag, in fractions of the image width and height, origin top-left.",
                "properties": {
                    "x0": fraction("left"),
                    "y0": fraction("top"),
                    "x1": fraction("right"),
                    "y1": fraction("bottom"),
                },
                "required": ["x0", "y0", "x1", "y1"],
                "propertyOrdering": ["x0", "y0", "x1", "y1"],
            },
            "tag": nullable_string("The legend type tag the device is marked with (L4, P5), when it is one of many instances of it."),
            "lock_type": nullable_string("For a lock: its type code as written (ML, ES, E1, ...)."),
            "camera_type": nullable_string("For a camera: fixed, dome, ptz, bullet, fisheye, ..."),
            "coverage": nullable_string("For a camera: what it looks at, e.g. corridor towards stairs."),
            "confidence": {"type": "NUMBER", "minimum": 0, "maximum": 1},
            "reason": {"type": "STRING", "description": "One short sentence: why this is the device and type given."},
        },
        "required": ["id", "type", "system", "confidence", "reason"],
        "propertyOrdering": [
            "id", "type", "system", "location", "bbox", "tag", "lock_type", "camera_type", "coverage",
            "confidence", "reason",
        ],
    });
    json!({
        "type": "OBJECT",
        "properties": {
            "components": {"type": "ARRAY", "items": component},
            "legend_found": {"type": "BOOLEAN", "description": "Whether the page has a legend, key or symbol table."},
            "notes": nullable_string("Anything that limited the reading (illegible areas, cut-off sheet)."),
        },
        "required": ["components", "legend_found"],
        "propertyOrdering": ["components", "legend_found", "notes"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: [&str; 6] = ["OBJECT", "ARRAY", "STRING", "NUMBER", "INTEGER", "BOOLEAN"];
    const KEYWORDS: [&str; 11] = [
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "nullable",
        "description",
        "propertyOrdering",
        "minimum",
        "maximum",
        "format",
    ];

    /// Fails on anything Gemini's `responseSchema` would reject with 400: a keyword outside
    /// the subset (`additionalProperties`, `$schema`, `const`, `oneOf`, `allOf`, ...) or a
    /// lowercase (JSON-Schema) type.
    fn check(schema: &Value, path: &str) {
        let object = schema.as_object().unwrap_or_else(|| panic!("{path}: not an object"));
        for (key, value) in object {
            assert!(
                KEYWORDS.contains(&key.as_str()),
                "{path}: keyword {key} is not in Gemini's subset"
            );
            match key.as_str() {
                "type" => assert!(
                    value.as_str().is_some_and(|t| TYPES.contains(&t)),
                    "{path}: type {value} is not an uppercase Gemini type"
                ),
                "properties" => {
                    let properties = value.as_object().expect("properties is an object");
                    for (name, sub) in properties {
                        check(sub, &format!("{path}.{name}"));
                    }
                    // Every required and ordered name must exist, or Gemini answers 400.
                    for list in ["required", "propertyOrdering"] {
                        for name in object.get(list).and_then(Value::as_array).into_iter().flatten() {
                            let name = name.as_str().expect("names are strings");
                            assert!(properties.contains_key(name), "{path}: {list} names unknown {name}");
                        }
                    }
                }
                "items" => check(value, &format!("{path}[]")),
                "enum" => assert!(value.as_array().is_some_and(|v| v.iter().all(Value::is_string))),
                _ => {}
            }
        }
        assert!(object.contains_key("type"), "{path}: no type");
    }

    #[test]
    fn uses_only_gemini_keywords_and_uppercase_types() {
        check(&response_schema(), "$");
    }

    #[test]
    fn the_type_enum_is_every_component_type_the_core_knows() {
        let distinct: std::collections::BTreeSet<ComponentType> = COMPONENT_TYPES.iter().copied().collect();
        assert_eq!(distinct.len(), COMPONENT_TYPES.len());
        let schema = response_schema();
        let item = &schema["properties"]["components"]["items"]["properties"];
        assert_eq!(
            item["type"]["enum"].as_array().map(Vec::len),
            Some(ComponentType::ALL.len())
        );
        assert_eq!(item["type"]["enum"][2], "card_reader");
        assert_eq!(item["system"]["enum"][1], "cctv");
    }

    #[test]
    fn nullable_fields_are_nullable_and_required_ones_are_not() {
        let schema = response_schema();
        let item = &schema["properties"]["components"]["items"];
        for field in ["location", "bbox", "tag", "lock_type", "camera_type", "coverage"] {
            assert_eq!(item["properties"][field]["nullable"], true, "{field}");
        }
        let required = item["required"].as_array().unwrap();
        assert!(
            required
                .iter()
                .all(|r| item["properties"][r.as_str().unwrap()]["nullable"].is_null())
        );
    }
}
