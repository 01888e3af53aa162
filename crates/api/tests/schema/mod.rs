//! A structural check of JSON values against the schemas of an OpenAPI 3.1 document: the
//! keywords utoipa emits, enough to tell a body from the router apart from its documentation.

use serde_json::Value;

/// `schema` with its `$ref` (if any) followed, or `null` when the target is missing.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(target) => {
            let pointer = target.strip_prefix('#').expect("a local $ref");
            resolve(doc, doc.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => schema,
    }
}

/// The ways `value` breaks `schema`: `type` (one or a list), `enum`, `required`, `properties`
/// (an object may have no property the schema does not describe), `items`, `oneOf`,
/// `minimum` and `format: date-time`.
pub fn validate(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(doc, schema, value, "$", &mut errors);
    errors
}

fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices.iter().filter(|c| validate(doc, c, value).is_empty()).count();
        if matching != 1 {
            errors.push(format!("{at}: {matching} of the oneOf choices match {value}"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let type_ok = |t: &&str| match *t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(type_ok) {
        errors.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    if schema["format"] == "date-time"
        && let Some(text) = value.as_str()
        && chrono::DateTime::parse_from_rfc3339(text).is_err()
    {
        errors.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, item) in values.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"), errors);
        }
    }
    if let Some(object) = value.as_object()
        && let Some(properties) = schema["properties"].as_object()
    {
        for name in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(name.as_str().unwrap()) {
                errors.push(format!("{at}: required {name} is missing"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(property) => check(doc, property, field, &format!("{at}.{name}"), errors),
                None => errors.push(format!("{at}: {name:?} is not described")),
            }
        }
    }
}
