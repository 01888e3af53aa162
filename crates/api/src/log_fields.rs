//! [`JsonSpanFields`]: the JSON logs' span fields, with a field recorded after the span opened
//! appended to them rather than merged in by parsing them again. Every authenticated request
//! records its `client` on the request span once the key is known (`auth`), and
//! tracing-subscriber's own `JsonFields` parses the span's JSON into a map and writes it out
//! again to add it: 7 % of the server's work on `GET /status` in a profile under load, which
//! `GET /health` (no key) does not pay. A field recorded twice is then in the object twice; a
//! JSON reader, the log formatter's own included, keeps the last.

use std::fmt;
use tracing::span::Record;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::{JsonFields, Writer};

/// Span fields as one JSON object, later fields appended: see the module documentation. Give
/// it to the JSON formatter with `.json().fmt_fields(JsonSpanFields)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSpanFields;

impl<'writer> FormatFields<'writer> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        JsonFields::new().format_fields(writer, fields)
    }

    fn add_fields(&self, current: &'writer mut FormattedFields<Self>, fields: &Record<'_>) -> fmt::Result {
        let mut added = String::new();
        self.format_fields(Writer::new(&mut added), fields)?;
        let (Some(added), true) = (added.strip_prefix('{'), current.fields.ends_with('}')) else {
            // Nothing yet (or not an object): what was recorded now is the whole.
            if current.fields.is_empty() {
                current.fields = added;
            }
            return Ok(());
        };
        if added == "}" {
            return Ok(());
        }
        current.fields.pop();
        if current.fields.len() > 1 {
            current.fields.push(',');
        }
        current.fields.push_str(added);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(f: impl FnOnce()) -> serde_json::Value {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .fmt_fields(JsonSpanFields)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        serde_json::from_str(text.lines().last().expect("a line was logged")).unwrap()
    }

    #[test]
    fn a_field_recorded_after_the_span_opened_is_on_its_lines_with_the_others() {
        let line = logged(|| {
            let span = tracing::error_span!(
                "request",
                request_id = "r1",
                path = "/status/x",
                client = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("client", "acme \"east\"");
            tracing::info!("answered");
        });
        let span = &line["span"];
        assert_eq!(span["request_id"], "r1", "{line}");
        assert_eq!(span["path"], "/status/x", "{line}");
        assert_eq!(span["client"], "acme \"east\"", "{line}");
    }

    #[test]
    fn a_field_recorded_twice_reads_as_its_last_value_and_a_span_without_fields_takes_one() {
        let line = logged(|| {
            let span = tracing::error_span!("request", client = tracing::field::Empty, n = tracing::field::Empty);
            let _entered = span.enter();
            span.record("client", "first");
            span.record("n", 1);
            span.record("client", "second");
            tracing::info!("answered");
        });
        assert_eq!(line["span"]["client"], "second", "{line}");
        assert_eq!(line["span"]["n"], 1, "{line}");
    }
}
