//! `LogNotifier` writes one structured line carrying every alert field.

use drawings_core::ports::Notifier;
use drawings_local::LogNotifier;
use drawings_testkit::sample_alert;

#[tokio::test]
async fn an_alert_is_one_error_line_with_every_field() {
    let logs = drawings_testkit::logs::capture(tracing::Level::INFO);
    let alert = sample_alert();
    LogNotifier::new().notify(&alert).await.unwrap();

    let out = logs.text();
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["target"], "drawings::alert");
    let fields = &line["fields"];
    assert_eq!(fields["job_id"], alert.job_id.as_str());
    assert_eq!(fields["client_name"], "Acme");
    assert_eq!(fields["file_name"], "drawing.pdf");
    assert_eq!(fields["stage"], "drawing_analysis");
    assert_eq!(fields["code"], "RETRIES_EXHAUSTED");
    assert_eq!(fields["error_message"], alert.message.as_str());
    assert_eq!(fields["attempts"], 3);
    assert_eq!(fields["hint"], alert.hint.as_str());
}
