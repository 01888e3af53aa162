//! Conformance suite for [`JobQueue`].
//!
//! Needs a [`QueuePair`]: a main queue with a dead-letter queue behind it, both empty and
//! used by nothing else while the suite runs (a message from someone else would be received,
//! hidden and counted). The suite sends messages about random job ids and deletes everything
//! it sends, leaving both queues empty when it passes; a failing run may leave messages.
//!
//! Every delay and visibility timeout is a whole number of seconds (SQS accepts nothing
//! finer) and the suite sleeps only a few seconds in all. Timing checks have generous
//! bounds: they prove that a wait happened, not how precisely.

use drawings_core::JobId;
use drawings_core::ports::{Delivery, JobQueue, MessageKind, QueueMessage};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A queue and its dead-letter queue, both fresh and empty.
#[derive(Clone)]
pub struct QueuePair {
    /// The queue under test; redrives to `dead` after `max_receives` receives.
    pub main: Arc<dyn JobQueue>,
    /// Its dead-letter queue, read by the suite to see moved messages.
    pub dead: Arc<dyn JobQueue>,
    /// The redrive threshold configured on `main`.
    pub max_receives: u32,
}

const NO_WAIT: Duration = Duration::ZERO;
const SECOND: Duration = Duration::from_secs(1);
/// Long enough that a message cannot reappear during a check.
const HIDE: Duration = Duration::from_secs(30);
/// How long a check waits for a message it expects; a present message returns at once.
const EXPECT: Duration = Duration::from_secs(3);

/// Runs every check against `queues`.
pub async fn job_queue_conformance(queues: &QueuePair) {
    let (main, dead) = (queues.main.as_ref(), queues.dead.as_ref());
    assert_empty(main, "main queue at start").await;
    assert_empty(dead, "dead-letter queue at start").await;

    send_then_receive_returns_the_message(main).await;
    received_message_reappears_after_its_visibility(main).await;
    visibility_zero_hands_a_message_back_at_once(main).await;
    delayed_message_is_hidden_until_its_delay(main).await;
    message_moves_to_dead_letters_after_max_receives(queues).await;
    long_poll_on_empty_queue_waits_then_returns_nothing(main).await;
    long_poll_returns_a_message_sent_while_waiting(main).await;
    receive_returns_at_most_max(main).await;

    assert_empty(main, "main queue at the end").await;
    assert_empty(dead, "dead-letter queue at the end").await;
}

fn start(job_id: &JobId) -> QueueMessage {
    QueueMessage {
        job_id: job_id.clone(),
        kind: MessageKind::Start,
    }
}

async fn send(queue: &dyn JobQueue, message: &QueueMessage, delay: Duration) -> String {
    queue.send(message, delay).await.expect("send")
}

async fn receive(queue: &dyn JobQueue, max: u32, visibility: Duration, wait: Duration) -> Vec<Delivery> {
    queue.receive(max, visibility, wait).await.expect("receive")
}

/// Receives exactly one message, which must be `message`.
async fn receive_one(queue: &dyn JobQueue, message: &QueueMessage, visibility: Duration, what: &str) -> Delivery {
    let mut got = receive(queue, 1, visibility, EXPECT).await;
    assert_eq!(got.len(), 1, "{what}: expected one message, got {got:?}");
    let delivery = got.remove(0);
    assert_eq!(
        delivery.message().ok().as_ref(),
        Some(message),
        "{what}: the body must decode to what was sent"
    );
    delivery
}

async fn assert_empty(queue: &dyn JobQueue, what: &str) {
    let got = receive(queue, 10, SECOND, NO_WAIT).await;
    assert!(got.is_empty(), "{what}: expected no visible message, got {got:?}");
}

async fn delete(queue: &dyn JobQueue, delivery: &Delivery) {
    queue.delete(&delivery.receipt).await.expect("delete");
}

async fn send_then_receive_returns_the_message(queue: &dyn JobQueue) {
    let message = start(&JobId::generate());
    let before = chrono::Utc::now();
    let id = send(queue, &message, NO_WAIT).await;
    let after = chrono::Utc::now();
    let d = receive_one(queue, &message, HIDE, "send then receive").await;
    assert_eq!(d.message_id, id, "the delivery must carry the id send returned");
    assert_eq!(d.receive_count, 1, "the first receive must count 1");
    let slack = chrono::Duration::seconds(5);
    assert!(
        d.sent_at >= before - slack && d.sent_at <= after + slack,
        "sent_at must be when the message was sent: {} not in [{before}, {after}]",
        d.sent_at
    );
    assert!(!d.receipt.is_empty(), "a delivery must carry a receipt");
    delete(queue, &d).await;
    queue
        .delete(&d.receipt)
        .await
        .expect("deleting an already deleted message must succeed");
    assert_empty(queue, "after delete").await;
}

async fn received_message_reappears_after_its_visibility(queue: &dyn JobQueue) {
    let message = start(&JobId::generate());
    send(queue, &message, NO_WAIT).await;
    let first = receive_one(queue, &message, SECOND, "first receive").await;
    let hidden_at = Instant::now();
    assert_empty(queue, "while the message is hidden").await;

    let second = receive_one(queue, &message, HIDE, "receive after the visibility lapsed").await;
    let hidden_for = hidden_at.elapsed();
    assert!(
        hidden_for >= Duration::from_millis(800),
        "the message must stay hidden for its visibility (1 s), reappeared after {hidden_for:?}"
    );
    assert_eq!(second.message_id, first.message_id, "a redelivery is the same message");
    assert_eq!(second.receive_count, 2, "a redelivery must count 2");
    assert_ne!(
        second.receipt, first.receipt,
        "each receive must hand out a fresh receipt"
    );
    delete(queue, &second).await;
    assert_empty(queue, "after deleting the redelivery").await;
}

async fn visibility_zero_hands_a_message_back_at_once(queue: &dyn JobQueue) {
    let message = start(&JobId::generate());
    send(queue, &message, NO_WAIT).await;
    let first = receive_one(queue, &message, HIDE, "receive before set_visibility").await;
    queue
        .set_visibility(&first.receipt, Duration::ZERO)
        .await
        .expect("set_visibility(0)");
    let again = receive_one(queue, &message, HIDE, "receive after set_visibility(0)").await;
    assert_eq!(
        again.receive_count, 2,
        "a message handed back must count its second receive"
    );
    queue
        .set_visibility(&again.receipt, HIDE)
        .await
        .expect("set_visibility as a heartbeat");
    assert_empty(queue, "after extending the visibility").await;
    delete(queue, &again).await;
}

async fn delayed_message_is_hidden_until_its_delay(queue: &dyn JobQueue) {
    let message = start(&JobId::generate());
    let sent_at = Instant::now();
    send(queue, &message, SECOND).await;
    assert_empty(queue, "before the delay has passed").await;
    let d = receive_one(queue, &message, HIDE, "receive after the delay").await;
    let waited = sent_at.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "a message sent with a 1 s delay arrived after {waited:?}"
    );
    assert_eq!(d.receive_count, 1, "a delayed message was never received before");
    delete(queue, &d).await;
}

async fn message_moves_to_dead_letters_after_max_receives(queues: &QueuePair) {
    let (main, dead) = (queues.main.as_ref(), queues.dead.as_ref());
    let message = start(&JobId::generate());
    let id = send(main, &message, NO_WAIT).await;
    for n in 1..=queues.max_receives {
        let d = receive_one(main, &message, HIDE, "receive below max_receives").await;
        assert_eq!(d.receive_count, n, "receive {n} must count {n}");
        main.set_visibility(&d.receipt, Duration::ZERO)
            .await
            .expect("hand the message back");
    }
    // SECOND of long poll: on SQS the move happens inside this receive.
    let got = receive(main, 10, HIDE, SECOND).await;
    assert!(
        got.is_empty(),
        "after {} receives the message must not be delivered again: {got:?}",
        queues.max_receives
    );
    let moved = receive_one(dead, &message, HIDE, "receive from the dead-letter queue").await;
    assert_eq!(moved.message_id, id, "the dead letter must be the same message");
    delete(dead, &moved).await;
}

async fn long_poll_on_empty_queue_waits_then_returns_nothing(queue: &dyn JobQueue) {
    let started = Instant::now();
    let got = receive(queue, 1, HIDE, SECOND).await;
    let waited = started.elapsed();
    assert!(got.is_empty(), "an empty queue must return nothing, got {got:?}");
    assert!(
        waited >= Duration::from_millis(500) && waited <= Duration::from_secs(6),
        "a 1 s long poll on an empty queue must wait about 1 s, waited {waited:?}"
    );
}

async fn long_poll_returns_a_message_sent_while_waiting(queue: &dyn JobQueue) {
    let message = start(&JobId::generate());
    let started = Instant::now();
    let (got, _) = tokio::join!(receive(queue, 1, HIDE, EXPECT), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(queue, &message, NO_WAIT).await
    });
    let waited = started.elapsed();
    assert_eq!(
        got.len(),
        1,
        "a long poll must return a message sent while it waits, got {got:?}"
    );
    assert_eq!(
        got[0].message().ok().as_ref(),
        Some(&message),
        "the long poll returned another message"
    );
    assert!(
        waited < EXPECT,
        "the long poll must return when the message arrives, not at its end ({waited:?})"
    );
    delete(queue, &got[0]).await;
}

async fn receive_returns_at_most_max(queue: &dyn JobQueue) {
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(send(queue, &start(&JobId::generate()), NO_WAIT).await);
    }
    let first = receive(queue, 2, HIDE, EXPECT).await;
    assert!(
        !first.is_empty() && first.len() <= 2,
        "receive(max = 2) must return 1 or 2 messages, got {}",
        first.len()
    );
    let mut seen = first;
    // Standard queues may return fewer than are visible: drain in a few rounds.
    for _ in 0..5 {
        if seen.len() >= ids.len() {
            break;
        }
        seen.extend(receive(queue, 10, HIDE, SECOND).await);
    }
    let mut seen_ids: Vec<_> = seen.iter().map(|d| d.message_id.clone()).collect();
    seen_ids.sort();
    ids.sort();
    assert_eq!(
        seen_ids, ids,
        "every sent message must be received exactly once while hidden"
    );
    for d in &seen {
        delete(queue, d).await;
    }
}
