//! The SQS event handlers of the processor and dlq functions, over the real event shapes
//! (`aws_lambda_events`). Messages are reported back with `ReportBatchItemFailures`: a
//! message listed as failed stays in the queue, everything else is deleted by Lambda.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, TimeZone, Utc};
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::pipeline::{Outcome, Processor};
use drawings_core::ports::{Delivery, JobQueue};
use tokio::time::Instant;
use tracing::{error, info, warn};

/// The pipeline's view of one SQS record; `None` when the record has no id or receipt (it
/// cannot be acted on, nor reported).
pub fn delivery(record: &SqsMessage) -> Option<Delivery> {
    let attribute = |name: &str| record.attributes.get(name);
    let sent_at = attribute("SentTimestamp")
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(Utc::now);
    Some(Delivery {
        message_id: record.message_id.clone()?,
        receipt: record.receipt_handle.clone()?,
        body: record.body.clone().unwrap_or_default(),
        receive_count: attribute("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        sent_at,
    })
}

/// The deadline of an invocation, from the context's epoch milliseconds.
pub fn deadline_from(epoch_ms: u64) -> Instant {
    let deadline: DateTime<Utc> = Utc
        .timestamp_millis_opt(epoch_ms as i64)
        .single()
        .unwrap_or_else(Utc::now);
    let left = (deadline - Utc::now()).to_std().unwrap_or_default();
    Instant::now() + left
}

/// The processor function: each record through the pipeline until `deadline`. A transient
/// failure hides the message for its backoff and reports it failed, so it comes back (and
/// after three receives moves to the dead-letter queue); a permanent one has failed the job
/// and is acknowledged; near the deadline the pipeline has sent a continuation.
pub async fn process_event(
    processor: &Processor,
    queue: &dyn JobQueue,
    event: SqsEvent,
    deadline: Instant,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let Some(delivery) = delivery(record) else {
            error!(?record.message_id, "SQS record without an id or receipt handle; dropped.");
            continue;
        };
        let outcome = processor.handle(&delivery, deadline).await;
        info!(message_id = %delivery.message_id, ?outcome, "Message handled.");
        if let Outcome::Retrying { after, .. } = outcome {
            if let Err(e) = queue.set_visibility(&delivery.receipt, after).await {
                warn!(error = %e, "Could not delay the retry; it comes back after the queue's visibility timeout.");
            }
            response.add_failure(delivery.message_id);
        }
    }
    response
}

/// The dlq function: marks each job failed and alerts once. A store failure reports the
/// message failed so it comes back; a second copy of a handled message finds the job
/// already failed and is acknowledged.
pub async fn dead_letter_event(handler: &DeadLetterHandler, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let Some(delivery) = delivery(record) else {
            error!(?record.message_id, "Dead letter without an id or receipt handle; dropped.");
            continue;
        };
        match handler.handle(&delivery).await {
            Ok(outcome) => info!(message_id = %delivery.message_id, ?outcome, "Dead letter handled."),
            Err(e) => {
                warn!(message_id = %delivery.message_id, error = %e, "Dead letter not handled; it comes back.");
                response.add_failure(delivery.message_id);
            }
        }
    }
    response
}
