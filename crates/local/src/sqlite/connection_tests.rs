//! The writer and the read-only pool (see the module doc of `sqlite`): who serves what, what
//! a read sees, and the durability setting.

use super::*;
use drawings_core::JobStatus;
use drawings_core::ports::{JobQueue, JobStore};
use drawings_testkit::sample_job;

const PROMPTLY: Duration = Duration::from_secs(2);

fn on_file() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("drawings.sqlite3")).unwrap();
    (dir, db)
}

fn pragma(conn: &Connection, name: &str) -> String {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| format!("{v:?}"))
        .unwrap()
}

#[test]
fn a_file_database_gets_one_read_only_connection_per_core_within_two_to_eight() {
    let (_dir, db) = on_file();
    let readers = db.inner.readers.as_ref().expect("a WAL file has readers");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(readers.size(), cores.clamp(2, 8));
    assert_eq!(db.inner.writer.size(), 1, "one writer");
}

#[test]
fn the_writer_runs_wal_with_synchronous_normal() {
    let (_dir, db) = on_file();
    let mut lease = db.inner.writer.try_lease().unwrap();
    let conn = lease.connection().unwrap();
    assert_eq!(pragma(conn, "journal_mode"), r#"Text("wal")"#);
    // 1 is NORMAL (0 OFF, 2 FULL, 3 EXTRA).
    assert_eq!(pragma(conn, "synchronous"), "Integer(1)");
}

#[test]
fn a_database_without_wal_keeps_synchronous_full_and_has_no_readers() {
    let db = Database::open_in_memory().unwrap();
    assert!(db.inner.readers.is_none(), "memory has no WAL to share");
    let mut lease = db.inner.writer.try_lease().unwrap();
    assert_eq!(pragma(lease.connection().unwrap(), "synchronous"), "Integer(2)");
}

#[test]
fn a_reader_connection_refuses_writes() {
    let (_dir, db) = on_file();
    let mut lease = db.inner.readers.as_ref().unwrap().try_lease().unwrap();
    let err = lease.connection().unwrap().execute("DELETE FROM jobs", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly), "{err}");
}

#[tokio::test]
async fn a_reader_sees_a_write_as_soon_as_the_writer_has_committed_it() {
    let (_dir, db) = on_file();
    let store = SqliteJobStore::new(db.clone());
    let job = sample_job();
    store.create(&job).await.unwrap();
    assert_eq!(store.get(&job.id).await.unwrap(), job, "read-your-writes after create");
    let mut next = job.clone();
    next.status = JobStatus::Processing;
    let stored = store.update(&next).await.unwrap();
    // Every reader, not just the one that happened to be idle first.
    for _ in 0..db.inner.readers.as_ref().unwrap().size() * 2 {
        assert_eq!(
            store.get(&job.id).await.unwrap(),
            stored,
            "read-your-writes after update"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_proceed_and_see_the_last_commit_while_a_write_transaction_is_open() {
    let (_dir, db) = on_file();
    let store = SqliteJobStore::new(db.clone());
    let job = sample_job();
    store.create(&job).await.unwrap();
    // The writer itself is taken, in the middle of an uncommitted change.
    let mut writer = db.inner.writer.try_lease().unwrap();
    writer
        .connection()
        .unwrap()
        .execute_batch("BEGIN IMMEDIATE; UPDATE jobs SET status = 'processing';")
        .unwrap();
    let seen = tokio::time::timeout(PROMPTLY, store.get(&job.id))
        .await
        .expect("a read does not wait for the writer")
        .unwrap();
    assert_eq!(seen, job, "the read sees the last commit, not the open transaction");
    let listed = tokio::time::timeout(PROMPTLY, store.list(&Default::default()))
        .await
        .expect("a listing does not wait for the writer")
        .unwrap();
    assert_eq!(listed.len(), 1);
    writer.connection().unwrap().execute_batch("ROLLBACK").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_queue_answers_a_receive_without_waiting_for_the_writer() {
    let (_dir, db) = on_file();
    let queue = SqliteJobQueue::new(db.clone(), "jobs", None);
    let _writer = db.inner.writer.try_lease().unwrap();
    let got = tokio::time::timeout(PROMPTLY, queue.receive(1, Duration::from_secs(30), Duration::ZERO))
        .await
        .expect("looking at an empty queue takes no write lock")
        .unwrap();
    assert!(got.is_empty());
}
