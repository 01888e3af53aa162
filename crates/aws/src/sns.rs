//! [`SnsNotifier`]: the [`Notifier`] on an SNS topic.
//!
//! The message is the [`Alert`] as JSON, so a subscriber (an email, a chat hook, a queue)
//! gets every field; the subject is one short line for email subscribers; the job id, code,
//! stage and attempts are also message attributes, so subscriptions can filter on them.

use crate::error::{AwsError, classify};
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use drawings_core::StoreError;
use drawings_core::ports::{Alert, Notifier};

const BACKEND: &str = "sns";
/// SNS rejects longer subjects.
const MAX_SUBJECT: usize = 100;
/// SNS rejects larger messages (256 KiB, attributes included); leave room for those.
const MAX_MESSAGE: usize = 250 * 1024;

/// Alerts published to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// The notifier on the topic `topic_arn`.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// The topic's ARN.
    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }
}

/// One line of printable ASCII, at most 100 characters: SNS refuses anything else.
fn subject(alert: &Alert) -> String {
    let line = format!("drawings: job {} failed ({})", alert.job_id, alert.code);
    line.chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(MAX_SUBJECT)
        .collect()
}

/// The alert as JSON, with its free-text message shortened if the whole would not fit.
fn message(alert: &Alert) -> Result<String, AwsError> {
    let encode = |a: &Alert| serde_json::to_string(a).map_err(|source| AwsError::Encode { what: "alert", source });
    let json = encode(alert)?;
    if json.len() <= MAX_MESSAGE {
        return Ok(json);
    }
    let mut short = alert.clone();
    let mut keep = alert.message.len().saturating_sub(json.len() - MAX_MESSAGE + 64);
    while !short.message.is_char_boundary(keep) {
        keep -= 1;
    }
    short.message.truncate(keep);
    short.message.push_str(" [truncated]");
    encode(&short)
}

fn attribute(data_type: &str, value: String) -> Result<MessageAttributeValue, StoreError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| StoreError::Invalid {
            backend: BACKEND,
            source: Box::new(e),
        })
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), StoreError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(alert))
            .message(message(alert).map_err(|e| e.into_store(BACKEND))?)
            .message_attributes("job_id", attribute("String", alert.job_id.to_string())?)
            .message_attributes("code", attribute("String", alert.code.to_string())?)
            .message_attributes("attempts", attribute("Number", alert.attempts.to_string())?);
        if let Some(stage) = alert.stage {
            publish = publish.message_attributes("stage", attribute("String", stage.to_string())?);
        }
        publish.send().await.map_err(|e| classify(BACKEND, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::{ErrorCode, JobId};

    fn alert(message: String) -> Alert {
        Alert {
            job_id: JobId::generate(),
            client_name: Some("Acme\nCorp".into()),
            file_name: None,
            stage: None,
            code: ErrorCode::RetriesExhausted,
            message,
            attempts: 3,
            hint: "look at the logs".into(),
        }
    }

    #[test]
    fn subject_is_one_short_printable_line() {
        let a = alert("x".into());
        let s = subject(&a);
        assert!(s.len() <= MAX_SUBJECT && s.contains(a.job_id.as_str()) && s.contains("RETRIES_EXHAUSTED"));
        assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    }

    #[test]
    fn huge_messages_are_truncated_to_fit() {
        let a = alert("é".repeat(300 * 1024));
        let m = message(&a).unwrap();
        assert!(m.len() <= MAX_MESSAGE, "{}", m.len());
        let back: Alert = serde_json::from_str(&m).unwrap();
        assert!(back.message.ends_with("[truncated]"));
        assert_eq!(back.job_id, a.job_id);
    }
}
