//! The dead-letter handler and operations on in-memory ports.

use super::memory::Stack;
use super::*;
use crate::error::{ErrorClass, ErrorCode, JobError};
use crate::job::{Job, JobId, JobStatus, PageProgress, Stage, test_job};
use crate::ports::{JobQueue, MessageKind, QueueMessage};
use chrono::{Duration as Age, Utc};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn ops(stack: &Stack) -> DeadLetters {
    DeadLetters::new(stack.ports.clone(), stack.dlq.clone())
}

fn unavailable(page: u32) -> JobError {
    JobError {
        code: ErrorCode::ModelServerError,
        message: format!("page {page}: 503 UNAVAILABLE"),
        stage: Some(Stage::DrawingAnalysis),
        retryable: true,
    }
}

/// A job that analyzed page 1 of 3, then failed transiently on each of three deliveries.
fn poisoned_job(stack: &Stack) -> Job {
    let mut job = test_job();
    job.input.client_name = Some("Acme".into());
    job.stages_completed = vec![Stage::Validation, Stage::PdfProcessing];
    job.current_stage = Some(Stage::DrawingAnalysis);
    job.progress = PageProgress {
        done: vec![0],
        total: 3,
    };
    for attempt in 1..=3 {
        job.attempts = attempt;
        job.record_failure(unavailable(2), Utc::now() + Age::milliseconds(i64::from(attempt)));
    }
    job.status = JobStatus::Queued;
    stack.jobs.put(job.clone());
    job
}

/// A poisoned job whose message reached the dead-letter queue and was drained into a record.
async fn dead_letter(stack: &Stack) -> JobId {
    let job = poisoned_job(stack);
    let message = QueueMessage {
        job_id: job.id.clone(),
        kind: MessageKind::Start,
    };
    stack.dlq.send(&message, Duration::ZERO).await.unwrap();
    let report = ops(stack).drain().await.unwrap();
    assert_eq!(report.recorded, 1, "{report:?}");
    job.id
}

#[tokio::test]
async fn drain_turns_waiting_messages_into_records_and_deletes_them() {
    let stack = Stack::new();
    let jobs = [poisoned_job(&stack), poisoned_job(&stack)];
    for job_id in jobs.iter().map(|j| j.id.clone()).chain([JobId::generate()]) {
        let message = QueueMessage {
            job_id,
            kind: MessageKind::Start,
        };
        stack.dlq.send(&message, Duration::ZERO).await.unwrap();
    }
    let report = ops(&stack).drain().await.unwrap();
    assert_eq!((report.recorded, report.already_handled), (2, 1), "{report:?}");
    assert!(report.failed.is_empty());
    assert_eq!(stack.dlq.len(), 0, "handled messages are deleted");
    for job in &jobs {
        let stored = stack.jobs.peek(&job.id).unwrap();
        assert_eq!(stored.status, JobStatus::Failed);
        assert_eq!(stored.error.unwrap().code, ErrorCode::RetriesExhausted);
        let record = stored.dead_letter.expect("a record");
        assert!(record.message_body.contains(job.id.as_str()));
    }
    let alerts = stack.alerts.0.lock().unwrap().clone();
    assert_eq!(alerts.len(), 2, "one alert per dead letter");
    for alert in alerts {
        let id = &alert.job_id;
        assert!(
            alert.hint.contains(&format!("drawings dlq show {id}")),
            "{}",
            alert.hint
        );
        assert!(
            alert.hint.contains(&format!("drawings dlq redrive --job {id}")),
            "{}",
            alert.hint
        );
    }
}

#[tokio::test]
async fn a_dead_letter_the_handler_cannot_take_stays_on_the_queue() {
    let stack = Stack::new();
    let job = poisoned_job(&stack);
    let message = QueueMessage {
        job_id: job.id.clone(),
        kind: MessageKind::Start,
    };
    stack.dlq.send(&message, Duration::ZERO).await.unwrap();
    stack.jobs.failing_gets.store(1, Ordering::SeqCst);
    let report = ops(&stack).drain().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(stack.dlq.len(), 1, "not deleted: it comes back after its visibility");
    assert_eq!(stack.jobs.peek(&job.id).unwrap().status, JobStatus::Queued);
}

#[tokio::test]
async fn list_names_the_cause_and_the_failures_of_the_dead_message() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    let job = stack.jobs.peek(&id).unwrap();
    let entries = ops(&stack).list(Utc::now()).await.unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.job_id, id);
    assert_eq!(entry.client.as_deref(), Some("Acme"));
    assert_eq!(entry.stage, Some(Stage::DrawingAnalysis));
    assert_eq!(entry.code, Some(ErrorCode::RetriesExhausted));
    assert_eq!(entry.cause, Some(ErrorCode::ModelServerError));
    assert_eq!(entry.first_failure_at, Some(job.failures[0].at));
    assert_eq!(entry.last_failure_at, Some(job.failures[2].at));
    assert_eq!(entry.receive_count, 1);
}

#[test]
fn failures_before_an_earlier_dead_letter_are_not_this_ones() {
    let mut job = test_job();
    let t0 = Utc::now();
    job.record_failure(unavailable(1), t0);
    job.record_failure(
        JobError {
            code: ErrorCode::RetriesExhausted,
            message: "first dead letter".into(),
            stage: Some(Stage::DrawingAnalysis),
            retryable: true,
        },
        t0 + Age::seconds(1),
    );
    let mut rate_limited = unavailable(2);
    rate_limited.code = ErrorCode::ModelRateLimited;
    job.record_failure(rate_limited, t0 + Age::seconds(5));
    job.dead_letter = Some(crate::DeadLetterRecord {
        message_body: "{}".into(),
        message_id: "m".into(),
        receive_count: 3,
        first_sent_at: t0,
        last_failure_at: None,
        dead_at: t0 + Age::seconds(9),
    });
    let entry = DeadLetterEntry::from_job(&job, t0 + Age::seconds(69)).unwrap();
    assert_eq!(entry.cause, Some(ErrorCode::ModelRateLimited));
    assert_eq!(entry.first_failure_at, Some(t0 + Age::seconds(5)));
    assert_eq!(entry.last_failure_at, Some(t0 + Age::seconds(5)));
    assert_eq!(entry.age_secs, 60);
}

#[tokio::test]
async fn redrive_requeues_keeping_checkpoints_then_sends_then_clears_the_record() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    let outcome = ops(&stack).redrive(&id, false).await.unwrap();
    assert_eq!(outcome.action, RedriveAction::Redrive);
    assert!(outcome.applied && outcome.message_id.is_some());

    let sent = stack.queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0.kind, MessageKind::Redrive);
    let at_send = sent[0].1.clone().expect("the job existed when its message went out");
    assert_eq!(at_send.status, JobStatus::Queued, "requeued before the message is sent");
    assert!(at_send.dead_letter.is_some(), "still listed while the message is sent");

    let job = stack.jobs.peek(&id).unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!((job.attempts, job.error.clone(), job.lease.clone()), (0, None, None));
    assert!(job.dead_letter.is_none());
    assert_eq!(job.stages_completed, vec![Stage::Validation, Stage::PdfProcessing]);
    assert_eq!(job.progress.done, vec![0], "the analyzed page is kept");
    assert_eq!(job.failures.len(), 4, "the history is kept");
    assert!(ops(&stack).list(Utc::now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_send_leaves_the_job_listed_and_a_second_redrive_finishes_it() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    stack.queue.failing_sends.store(1, Ordering::SeqCst);
    let err = ops(&stack).redrive(&id, false).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Transient);
    let listed = ops(&stack).list(Utc::now()).await.unwrap();
    assert_eq!(listed.len(), 1, "the job is not lost");
    assert_eq!(listed[0].status, JobStatus::Queued);

    let outcome = ops(&stack).redrive(&id, false).await.unwrap();
    assert_eq!(outcome.action, RedriveAction::Resume);
    assert_eq!(stack.queue.sent().len(), 1);
    assert!(stack.jobs.peek(&id).unwrap().dead_letter.is_none());
    assert!(ops(&stack).list(Utc::now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_redrive_stopped_after_sending_is_finished_with_at_most_a_duplicate() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    // What a redrive killed between its send and its last write leaves behind.
    let mut job = stack.jobs.peek(&id).unwrap();
    job.status = JobStatus::Queued;
    job.error = None;
    stack.jobs.put(job);
    let message = QueueMessage {
        job_id: id.clone(),
        kind: MessageKind::Redrive,
    };
    stack.queue.send(&message, Duration::ZERO).await.unwrap();

    let outcome = ops(&stack).redrive(&id, false).await.unwrap();
    assert_eq!(outcome.action, RedriveAction::Resume);
    assert_eq!(stack.queue.len(), 2, "one duplicate, absorbed by the processor's lease");
    assert!(stack.jobs.peek(&id).unwrap().dead_letter.is_none());
}

#[tokio::test]
async fn a_dry_run_writes_and_sends_nothing() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    let before = stack.jobs.peek(&id).unwrap();
    let outcome = ops(&stack).redrive(&id, true).await.unwrap();
    assert_eq!((outcome.action, outcome.applied), (RedriveAction::Redrive, false));
    assert_eq!(stack.jobs.peek(&id).unwrap(), before);
    assert!(stack.queue.sent().is_empty());
}

#[tokio::test]
async fn a_job_that_moved_on_since_a_redrive_only_loses_its_record() {
    let stack = Stack::new();
    for status in [JobStatus::Completed, JobStatus::Processing] {
        let id = dead_letter(&stack).await;
        let mut job = stack.jobs.peek(&id).unwrap();
        job.status = status;
        stack.jobs.put(job);
        let outcome = ops(&stack).redrive(&id, false).await.unwrap();
        assert_eq!(outcome.action, RedriveAction::ClearRecord, "{status:?}");
        let job = stack.jobs.peek(&id).unwrap();
        assert_eq!(job.status, status);
        assert!(job.dead_letter.is_none());
    }
    assert!(stack.queue.sent().is_empty());
}

#[tokio::test]
async fn purge_keeps_the_job_failed_and_clears_its_record() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    assert_eq!(ops(&stack).purge(&id).await.unwrap(), PurgeOutcome::Purged);
    let job = stack.jobs.peek(&id).unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.unwrap().code, ErrorCode::RetriesExhausted);
    assert!(job.dead_letter.is_none());
    assert!(ops(&stack).list(Utc::now()).await.unwrap().is_empty());
    let again = ops(&stack).purge(&id).await.unwrap_err();
    assert_eq!(again.class(), ErrorClass::NotFound);
}

#[tokio::test]
async fn purge_leaves_a_half_redriven_job_for_redrive_to_finish() {
    let stack = Stack::new();
    let id = dead_letter(&stack).await;
    stack.queue.failing_sends.store(1, Ordering::SeqCst);
    ops(&stack).redrive(&id, false).await.unwrap_err();
    assert_eq!(ops(&stack).purge(&id).await.unwrap(), PurgeOutcome::RedriveUnfinished);
    assert!(stack.jobs.peek(&id).unwrap().dead_letter.is_some());
}

#[tokio::test]
async fn older_than_selects_only_dead_letters_that_old() {
    let stack = Stack::new();
    let (old, new) = (dead_letter(&stack).await, dead_letter(&stack).await);
    let mut job = stack.jobs.peek(&old).unwrap();
    if let Some(record) = job.dead_letter.as_mut() {
        record.dead_at -= Age::days(8);
    }
    stack.jobs.put(job);
    let now = Utc::now();
    let ids = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let dl = ops(&stack);
    assert_eq!(
        ids(dl.select(&Selection::OlderThan(Age::days(7)), now).await.unwrap()),
        vec![old.clone()]
    );
    assert_eq!(
        ids(dl.select(&Selection::OlderThan(Age::zero()), now).await.unwrap()),
        vec![old, new.clone()]
    );
    assert_eq!(
        ids(dl.select(&Selection::Job(new.clone()), now).await.unwrap()),
        vec![new]
    );
}

#[tokio::test]
async fn a_job_that_is_not_dead_lettered_is_refused() {
    let stack = Stack::new();
    let job = poisoned_job(&stack);
    let dl = ops(&stack);
    for err in [
        dl.redrive(&job.id, false).await.unwrap_err(),
        dl.purge(&job.id).await.unwrap_err(),
        dl.select(&Selection::Job(job.id.clone()), Utc::now())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    }
    assert!(stack.queue.sent().is_empty());
}

#[test]
fn ages_are_read_with_units_and_summed() {
    for (text, secs) in [
        ("0s", 0),
        ("45s", 45),
        ("30m", 1800),
        ("12h", 43_200),
        ("7d", 604_800),
        ("2w", 1_209_600),
        ("1d12h", 129_600),
    ] {
        assert_eq!(parse_age(text).unwrap().num_seconds(), secs, "{text}");
    }
}

#[test]
fn ages_without_a_unit_or_with_an_unknown_one_are_refused() {
    for text in ["", "7", "d", "3y", "-1d", "99999999999999999999d"] {
        assert!(parse_age(text).is_err(), "{text:?}");
    }
}
