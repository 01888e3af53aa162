//! [`SqsJobQueue`]: the [`JobQueue`] on an SQS standard queue.
//!
//! The dead-letter queue is not emulated here: the redrive policy (`maxReceiveCount`) is set
//! on the queue by the SAM template (or a test's setup), and SQS moves exhausted messages
//! itself. Reading the dead-letter queue is a second `SqsJobQueue` on its URL.
//!
//! Limits are SQS's and are checked before the call, with the same answers as the embedded
//! queue (1 to 10 messages per receive, delays up to 15 min, visibility up to 12 h, long
//! polls up to 20 s). SQS takes whole seconds; a fraction is rounded up, so a message is
//! never hidden or delayed for less than asked.

use crate::error::{AwsError, classify};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::operation::change_message_visibility::ChangeMessageVisibilityError;
use aws_sdk_sqs::operation::delete_message::DeleteMessageError;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chrono::{DateTime, Utc};
use drawings_core::StoreError;
use drawings_core::ports::{Delivery, JobQueue, QueueMessage};
use std::time::Duration;

const BACKEND: &str = "sqs";
const MAX_BATCH: u32 = 10;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
const MAX_WAIT: Duration = Duration::from_secs(20);

/// One SQS queue, by URL.
#[derive(Debug, Clone)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsJobQueue {
    /// The queue at `queue_url` (as `CreateQueue` / `GetQueueUrl` return it).
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsJobQueue {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue's URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

/// `value` in whole seconds, rounded up, after checking it against SQS's limit.
fn seconds(what: &'static str, value: Duration, max: Duration) -> Result<i32, StoreError> {
    if value > max {
        return Err(AwsError::AboveLimit { what, value, max }.into_store(BACKEND));
    }
    let whole = value.as_secs() + u64::from(value.subsec_nanos() > 0);
    // Every limit is far below i32::MAX, so this cannot saturate.
    Ok(i32::try_from(whole).unwrap_or(i32::MAX))
}

fn delivery(message: Message) -> Result<Delivery, StoreError> {
    let missing = |field| {
        AwsError::MissingField {
            operation: "ReceiveMessage",
            field,
        }
        .into_store(BACKEND)
    };
    let attribute = |name: MessageSystemAttributeName, field| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| missing(field))
    };
    let receive_count = attribute(
        MessageSystemAttributeName::ApproximateReceiveCount,
        "ApproximateReceiveCount",
    )?;
    let sent_ms = attribute(MessageSystemAttributeName::SentTimestamp, "SentTimestamp")?;
    Ok(Delivery {
        receive_count: u32::try_from(receive_count).unwrap_or(u32::MAX),
        sent_at: DateTime::<Utc>::from_timestamp_millis(sent_ms).ok_or_else(|| missing("a valid SentTimestamp"))?,
        message_id: message.message_id.clone().ok_or_else(|| missing("MessageId"))?,
        receipt: message.receipt_handle.clone().ok_or_else(|| missing("ReceiptHandle"))?,
        body: message.body.clone().unwrap_or_default(),
    })
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError> {
        let delay = seconds("delay", delay, MAX_DELAY)?;
        let body = serde_json::to_string(message).map_err(|source| {
            AwsError::Encode {
                what: "queue message",
                source,
            }
            .into_store(BACKEND)
        })?;
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await
            .map_err(|e| classify(BACKEND, e))?;
        out.message_id.ok_or_else(|| {
            AwsError::MissingField {
                operation: "SendMessage",
                field: "MessageId",
            }
            .into_store(BACKEND)
        })
    }

    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        if !(1..=MAX_BATCH).contains(&max) {
            return Err(AwsError::OutOfRange {
                what: "max",
                value: max.into(),
                min: 1,
                max: MAX_BATCH.into(),
            }
            .into_store(BACKEND));
        }
        let visibility = seconds("visibility", visibility, MAX_VISIBILITY)?;
        let wait = seconds("wait", wait, MAX_WAIT)?;
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max as i32)
            .visibility_timeout(visibility)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| classify(BACKEND, e))?;
        out.messages.unwrap_or_default().into_iter().map(delivery).collect()
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        let deleted = self
            .client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Receipts only come from `receive`, so an invalid one names a message that is
            // gone (deleted, or moved to the dead-letter queue): deleting it again is done.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteMessageError::ReceiptHandleIsInvalid(_))
                ) =>
            {
                tracing::debug!(queue = %self.queue_url, "delete of a message that is already gone");
                Ok(())
            }
            Err(e) => Err(classify(BACKEND, e)),
        }
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        let timeout = seconds("visibility", timeout, MAX_VISIBILITY)?;
        let changed = self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(timeout)
            .send()
            .await;
        match changed {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(
                    ChangeMessageVisibilityError::MessageNotInflight(_)
                    | ChangeMessageVisibilityError::ReceiptHandleIsInvalid(_),
                ) => Err(StoreError::not_found(
                    "message for this receipt (deleted or received again)",
                )),
                _ => Err(classify(BACKEND, e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_second_round_up() {
        assert_eq!(seconds("d", Duration::ZERO, MAX_DELAY).unwrap(), 0);
        assert_eq!(seconds("d", Duration::from_millis(1), MAX_DELAY).unwrap(), 1);
        assert_eq!(seconds("d", Duration::from_millis(1500), MAX_DELAY).unwrap(), 2);
        assert_eq!(seconds("d", MAX_DELAY, MAX_DELAY).unwrap(), 900);
    }

    #[test]
    fn values_above_the_limit_are_invalid() {
        let err = seconds("delay", MAX_DELAY + Duration::from_secs(1), MAX_DELAY).unwrap_err();
        assert_eq!(err.class(), drawings_core::ErrorClass::Invalid);
    }
}
