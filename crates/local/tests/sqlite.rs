//! Behaviour of the SQLite adapters beyond the port suites: persistence, several handles
//! (processes) on one file, receipts, limits and damaged data.

use drawings_core::ports::{Created, JobQueue, JobStore, MessageKind, QueueMessage};
use drawings_core::{ErrorClass, JobId, JobStatus};
use drawings_local::{CHANGE_MARK_LAG, Database, RedrivePolicy, SqliteJobQueue, SqliteJobStore};
use drawings_testkit::{full_job, sample_job, sample_job_with_key, unique};
use std::time::Duration;

const HIDE: Duration = Duration::from_secs(30);

fn message() -> QueueMessage {
    QueueMessage {
        job_id: JobId::generate(),
        kind: MessageKind::Start,
    }
}

fn jobs_queue(db: &Database) -> SqliteJobQueue {
    SqliteJobQueue::new(db.clone(), "jobs", Some(RedrivePolicy::new("jobs-dlq", 3)))
}

#[tokio::test]
async fn jobs_and_messages_survive_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/drawings.db");
    let job = full_job();
    let sent = message();
    {
        let db = Database::open(&path).unwrap();
        SqliteJobStore::new(db.clone()).create(&job).await.unwrap();
        jobs_queue(&db).send(&sent, Duration::ZERO).await.unwrap();
    }
    let db = Database::open(&path).unwrap();
    assert_eq!(SqliteJobStore::new(db.clone()).get(&job.id).await.unwrap(), job);
    let got = jobs_queue(&db).receive(1, HIDE, Duration::ZERO).await.unwrap();
    assert_eq!(got[0].message().unwrap(), sent);
}

#[tokio::test]
async fn two_handles_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let (a, b) = (Database::open(&path).unwrap(), Database::open(&path).unwrap());
    let (store_a, store_b) = (SqliteJobStore::new(a.clone()), SqliteJobStore::new(b.clone()));
    let job = sample_job();
    store_a.create(&job).await.unwrap();
    let mut seen = store_b.get(&job.id).await.unwrap();
    seen.status = JobStatus::Processing;
    let stored = store_b.update(&seen).await.unwrap();
    assert_eq!(store_a.get(&job.id).await.unwrap(), stored);

    let sent = message();
    jobs_queue(&a).send(&sent, Duration::ZERO).await.unwrap();
    let got = jobs_queue(&b).receive(1, HIDE, Duration::from_secs(1)).await.unwrap();
    assert_eq!(got[0].message().unwrap(), sent);
}

#[tokio::test]
async fn the_change_mark_moves_at_once_for_this_handles_writes_and_within_the_lag_for_anothers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let here = SqliteJobStore::new(Database::open(&path).unwrap());
    let there = SqliteJobStore::new(Database::open(&path).unwrap());
    let settled = || async {
        // The watcher also sees this handle's own commits, a lag later: wait that out.
        tokio::time::sleep(CHANGE_MARK_LAG * 3).await;
        here.change_mark().expect("a file database has a change mark")
    };

    let job = sample_job();
    let before = settled().await;
    here.create(&job).await.unwrap();
    let after_create = here.change_mark().unwrap();
    assert_ne!(after_create, before, "this handle's create must move the mark at once");

    let quiet = settled().await;
    here.get(&job.id).await.unwrap();
    tokio::time::sleep(CHANGE_MARK_LAG * 3).await;
    assert_eq!(here.change_mark().unwrap(), quiet, "reads must not move the mark");

    let mut moved = here.get(&job.id).await.unwrap();
    moved.attempts = 7;
    there.update(&moved).await.unwrap();
    tokio::time::sleep(CHANGE_MARK_LAG * 3).await;
    assert_ne!(
        here.change_mark().unwrap(),
        quiet,
        "another handle's (process's) update must move the mark within the lag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_with_one_idempotency_key_on_two_handles_make_one_job() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let a = SqliteJobStore::new(Database::open(&path).unwrap());
    let b = SqliteJobStore::new(Database::open(&path).unwrap());
    let key = unique("idem");
    let (ja, jb) = (sample_job_with_key(&key), sample_job_with_key(&key));
    let (ra, rb) = tokio::join!(a.create(&ja), b.create(&jb));
    let outcomes = [ra.unwrap(), rb.unwrap()];
    let new = outcomes.iter().filter(|c| matches!(c, Created::New)).count();
    assert_eq!(new, 1, "exactly one create must win: {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_receivers_on_two_handles_never_share_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let (qa, qb) = (
        jobs_queue(&Database::open(&path).unwrap()),
        jobs_queue(&Database::open(&path).unwrap()),
    );
    for _ in 0..20 {
        qa.send(&message(), Duration::ZERO).await.unwrap();
    }
    let mut ids = Vec::new();
    loop {
        let (ra, rb) = tokio::join!(qa.receive(3, HIDE, Duration::ZERO), qb.receive(3, HIDE, Duration::ZERO));
        let batch: Vec<_> = ra.unwrap().into_iter().chain(rb.unwrap()).collect();
        if batch.is_empty() {
            break;
        }
        ids.extend(batch.into_iter().map(|d| d.message_id));
    }
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (total, ids.len()),
        (20, 20),
        "each message must be delivered exactly once"
    );
}

#[tokio::test]
async fn a_stale_receipt_cannot_delete_or_extend_a_newer_delivery() {
    let db = Database::open_in_memory().unwrap();
    let queue = jobs_queue(&db);
    queue.send(&message(), Duration::ZERO).await.unwrap();
    let first = queue.receive(1, HIDE, Duration::ZERO).await.unwrap().remove(0);
    queue.set_visibility(&first.receipt, Duration::ZERO).await.unwrap();
    let second = queue
        .receive(1, Duration::ZERO, Duration::ZERO)
        .await
        .unwrap()
        .remove(0);

    queue
        .delete(&first.receipt)
        .await
        .expect("a stale-receipt delete is Ok, as on SQS");
    let err = queue.set_visibility(&first.receipt, HIDE).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound);
    let third = queue.receive(1, HIDE, Duration::ZERO).await.unwrap();
    assert_eq!(
        third.len(),
        1,
        "the stale receipt must not have deleted or hidden the newer delivery"
    );
    assert_eq!(
        (third[0].message_id.as_str(), third[0].receive_count),
        (second.message_id.as_str(), 3)
    );
}

#[tokio::test]
async fn dead_letters_keep_their_receive_count_and_lose_their_receipt() {
    let db = Database::open_in_memory().unwrap();
    let (main, dead) = (jobs_queue(&db), SqliteJobQueue::new(db.clone(), "jobs-dlq", None));
    main.send(&message(), Duration::ZERO).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = Some(main.receive(1, Duration::ZERO, Duration::ZERO).await.unwrap().remove(0));
    }
    assert!(main.receive(1, HIDE, Duration::ZERO).await.unwrap().is_empty());
    main.delete(&last.unwrap().receipt).await.unwrap();
    let moved = dead.receive(1, HIDE, Duration::ZERO).await.unwrap();
    assert_eq!(
        moved.len(),
        1,
        "the last receipt of the main queue must not delete the dead letter"
    );
    assert_eq!(moved[0].receive_count, 4);
}

#[tokio::test]
async fn requests_beyond_sqs_limits_are_invalid() {
    let queue = jobs_queue(&Database::open_in_memory().unwrap());
    let cases = [
        queue.receive(0, HIDE, Duration::ZERO).await.unwrap_err(),
        queue.receive(11, HIDE, Duration::ZERO).await.unwrap_err(),
        queue.receive(1, HIDE, Duration::from_secs(21)).await.unwrap_err(),
        queue.send(&message(), Duration::from_secs(16 * 60)).await.unwrap_err(),
    ];
    for err in cases {
        assert_eq!(err.class(), ErrorClass::Invalid, "{err}");
    }
}

#[tokio::test]
async fn a_corrupt_job_record_is_a_permanent_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let store = SqliteJobStore::new(Database::open(&path).unwrap());
    let job = sample_job();
    store.create(&job).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE jobs SET body = '{not json' WHERE id = ?1", [job.id.as_str()])
        .unwrap();
    assert_eq!(store.get(&job.id).await.unwrap_err().class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    drop(Database::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert_eq!(Database::open(&path).unwrap_err().class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_write_lock_held_past_the_busy_timeout_is_transient() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drawings.db");
    let store = SqliteJobStore::new(Database::open(&path).unwrap());
    let mut blocker = rusqlite::Connection::open(&path).unwrap();
    let tx = blocker
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let err = store.create(&sample_job()).await.unwrap_err();
    drop(tx);
    assert_eq!(err.class(), ErrorClass::Transient, "{err}");
}
