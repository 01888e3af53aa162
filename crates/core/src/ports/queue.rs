//! `JobQueue`: at-least-once delivery with SQS's semantics.

use crate::error::StoreError;
use crate::job::JobId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Why a message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Sent by intake.
    Start,
    /// Sent by a worker that stopped near its deadline.
    Continuation,
    /// Sent by an operator moving a dead letter back.
    Redrive,
}

/// The body of a queue message (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMessage {
    /// The job to work on.
    pub job_id: JobId,
    /// Why it was sent.
    pub kind: MessageKind,
}

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stable id of the message.
    pub message_id: String,
    /// Handle for `delete` and `set_visibility`; valid for this receive only.
    pub receipt: String,
    /// The raw body; see [`Delivery::message`].
    pub body: String,
    /// How many times the message has been received, this time included (1 on the first).
    pub receive_count: u32,
    /// When the message was first sent.
    pub sent_at: DateTime<Utc>,
}

impl Delivery {
    /// Decodes the body. A body that does not decode is a poison message.
    pub fn message(&self) -> Result<QueueMessage, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// A work queue.
///
/// Semantics every adapter keeps (those of SQS standard queues with a redrive policy):
/// - `send` with a delay: the message is invisible until the delay has passed.
/// - `receive` returns up to `max` visible messages, hides each for `visibility`, bumps its
///   receive count and hands out a fresh receipt; it waits up to `wait` for one to appear.
/// - A message not deleted reappears when its visibility lapses (at-least-once delivery).
/// - When a queue has a dead-letter queue with `max_receives`, a message already received
///   that many times is moved there on the next receive instead of being delivered.
/// - `delete` is idempotent; `set_visibility(receipt, 0)` makes the message visible at once.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Sends a message, visible after `delay`. Returns its id.
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError>;

    /// Receives up to `max` messages, waiting up to `wait` for the first.
    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError>;

    /// Deletes (acknowledges) a received message.
    async fn delete(&self, receipt: &str) -> Result<(), StoreError>;

    /// Changes how long a received message stays hidden, counted from now (a heartbeat, or 0
    /// to hand it back at once).
    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError>;
}
