//! The part Lambda plays and moto does not: the SQS event source mapping. It receives with
//! every system attribute, hands the function an `SqsEvent` in the exact JSON shape Lambda
//! sends, and applies the function's `SqsBatchResponse` as Lambda does (with
//! `ReportBatchItemFailures`): messages listed as failed stay, every other one is deleted.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use drawings_aws::EMULATOR_REGION;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// One queue as an event source.
pub struct EventSource {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
}

impl EventSource {
    /// Up to one message, long polling for `wait` (whole seconds, at most 20).
    pub async fn receive(&self, wait: Duration) -> Option<Message> {
        let answer = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .max_number_of_messages(1)
            .wait_time_seconds(wait.as_secs() as i32)
            .send()
            .await
            .expect("ReceiveMessage");
        let mut messages = answer.messages.unwrap_or_default();
        assert!(messages.len() <= 1, "asked for one message, got {}", messages.len());
        messages.pop()
    }

    /// The event Lambda would invoke the function with for `messages`.
    pub fn event(&self, messages: &[Message]) -> SqsEvent {
        let records: Vec<Value> = messages.iter().map(|m| self.record(m)).collect();
        serde_json::from_value(json!({ "Records": records })).expect("an SqsEvent")
    }

    fn record(&self, message: &Message) -> Value {
        let attributes: Map<String, Value> = message
            .attributes()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
            .collect();
        for required in ["ApproximateReceiveCount", "SentTimestamp"] {
            assert!(
                attributes.contains_key(required),
                "{required} missing from {attributes:?}"
            );
        }
        json!({
            "messageId": message.message_id(),
            "receiptHandle": message.receipt_handle(),
            "body": message.body(),
            "attributes": attributes,
            "messageAttributes": {},
            "md5OfBody": message.md5_of_body(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": EMULATOR_REGION,
        })
    }

    /// What Lambda does with the function's answer: it reads the JSON, keeps the messages
    /// named in `batchItemFailures` and deletes the others. Returns the ids kept.
    pub async fn settle(&self, messages: &[Message], response: &SqsBatchResponse) -> Vec<String> {
        let wire = serde_json::to_value(response).expect("the response serializes");
        let kept: Vec<String> = wire["batchItemFailures"]
            .as_array()
            .expect("batchItemFailures is a list")
            .iter()
            .map(|f| f["itemIdentifier"].as_str().expect("itemIdentifier").to_owned())
            .collect();
        for message in messages {
            if !kept.iter().any(|id| Some(id.as_str()) == message.message_id()) {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().expect("receipt handle"))
                    .send()
                    .await
                    .expect("DeleteMessage");
            }
        }
        kept
    }

    /// Visible plus in-flight plus delayed messages, as SQS counts them.
    pub async fn depth(&self) -> u64 {
        let names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ];
        let mut request = self.sqs.get_queue_attributes().queue_url(&self.queue_url);
        for name in names {
            request = request.attribute_names(name.into());
        }
        let answer = request.send().await.expect("GetQueueAttributes");
        let attributes = answer.attributes().expect("queue attributes");
        names
            .iter()
            .map(|name| {
                let value = attributes.get(&(*name).into()).map_or("0", String::as_str);
                value.parse::<u64>().expect("a count")
            })
            .sum()
    }
}
