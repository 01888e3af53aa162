//! The SQS event handlers of the processor and dlq functions, over the real event shapes
//! (`aws_lambda_events`). Messages are reported back with `ReportBatchItemFailures`: a
//! message listed as failed stays in the queue, everything else is deleted by Lambda.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, TimeZone, Utc};
use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::pipeline::{Acknowledge, Processor};
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

/// The budget assumed when the context's deadline is not in the future: Lambda always sends
/// a real one, but runtime emulators send a fixed number (cargo-lambda: 600000, a time in
/// 1970), which would make every invocation hand over after one unit of work.
pub const FALLBACK_BUDGET: std::time::Duration = std::time::Duration::from_secs(900);

/// The deadline of an invocation, from the context's epoch milliseconds.
pub fn deadline_from(epoch_ms: u64) -> Instant {
    let deadline: Option<DateTime<Utc>> = Utc.timestamp_millis_opt(epoch_ms as i64).single();
    match deadline.and_then(|d| (d - Utc::now()).to_std().ok()) {
        Some(left) if !left.is_zero() => Instant::now() + left,
        _ => {
            warn!(
                epoch_ms,
                "The invocation deadline is not in the future; assuming 900 s."
            );
            Instant::now() + FALLBACK_BUDGET
        }
    }
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
        if let Err(e) = outcome.settle(queue, &delivery, Acknowledge::ByEventSource).await {
            warn!(error = %e, "Could not delay the retry; it comes back after the queue's visibility timeout.");
        }
        if !outcome.is_done() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_deadline_in_the_past_falls_back_to_the_full_budget() {
        let at = deadline_from(600_000);
        assert!(at > Instant::now() + FALLBACK_BUDGET - Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_real_deadline_is_kept() {
        let in_a_minute = (Utc::now().timestamp_millis() + 60_000) as u64;
        let left = deadline_from(in_a_minute) - Instant::now();
        assert!(
            left <= Duration::from_secs(60) && left > Duration::from_secs(55),
            "{left:?}"
        );
    }
}
