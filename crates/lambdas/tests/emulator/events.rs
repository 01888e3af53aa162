//! The events the functions get, from the fixtures in `tests/events` with their `${name}`
//! placeholders filled: an SQS event is built from a message received on moto as Lambda's
//! event source mapping builds it.

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// A file of `tests/events`.
pub fn event_fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Replaces every string value `"${name}"` in `template` by `values[name]` (as a string, so
/// a JSON body stays a string field), and fails on a placeholder left unfilled.
pub fn fill(template: &mut Value, values: &HashMap<&str, String>) {
    match template {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) {
                let value = values
                    .get(name)
                    .unwrap_or_else(|| panic!("no value for the fixture placeholder ${{{name}}}"));
                *s = value.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, values)),
        Value::Object(fields) => fields.values_mut().for_each(|v| fill(v, values)),
        _ => {}
    }
}

/// An SQS event (`tests/events/sqs-event.json`) carrying one message received from the
/// queue `queue_arn`, as Lambda's event source mapping builds it.
pub fn sqs_event(message: &Message, queue_arn: &str) -> Value {
    let attribute = |name: MessageSystemAttributeName| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .unwrap_or_else(|| panic!("the received message has no {name:?} attribute"))
    };
    let values = HashMap::from([
        ("message_id", message.message_id().expect("message id").to_owned()),
        (
            "receipt_handle",
            message.receipt_handle().expect("receipt handle").to_owned(),
        ),
        ("body", message.body().expect("body").to_owned()),
        (
            "receive_count",
            attribute(MessageSystemAttributeName::ApproximateReceiveCount),
        ),
        ("sent_timestamp", attribute(MessageSystemAttributeName::SentTimestamp)),
        (
            "first_receive_timestamp",
            attribute(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp),
        ),
        ("md5_of_body", message.md5_of_body().unwrap_or_default().to_owned()),
        ("queue_arn", queue_arn.to_owned()),
    ]);
    let mut event = event_fixture("sqs-event.json");
    fill(&mut event, &values);
    event
}
