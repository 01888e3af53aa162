//! [`ChangeMark`]: a number that moves whenever a row of the database may have changed, read
//! without a query ([`JobStore::change_mark`]), so that a poller holding what it made of a job
//! asks the database nothing while nothing was written.
//!
//! This process's writes move it as they commit: the writer connection's change count moved
//! during the call. Other processes on the same file (a CLI beside `drawings serve`) are seen
//! through `PRAGMA data_version` on a read-only connection of the mark's own, which changes
//! with every commit made on another connection. That is asked only when the mark is read,
//! and at most once per [`CHANGE_MARK_LAG`]: another process's commit moves the mark within
//! that lag of the first read after it. A watcher that cannot tell (the file locked, as a
//! rollback journal is while a writer commits) counts as moved. A database without a file (in
//! memory) has no other process, and no watcher.
//!
//! [`JobStore::change_mark`]: drawings_core::ports::JobStore::change_mark

use super::error::SqliteError;
use rusqlite::Connection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long another process's commit may go unseen by the mark.
pub const CHANGE_MARK_LAG: Duration = Duration::from_millis(1);

/// See the module documentation.
pub(super) struct ChangeMark {
    mark: AtomicU64,
    watch: Option<Mutex<Watch>>,
}

/// The read-only connection asked for other processes' commits, and its last answer.
struct Watch {
    conn: Connection,
    data_version: i64,
    asked_at: Instant,
}

impl ChangeMark {
    /// A mark watching other processes' commits through `watcher` (`None`: no other process
    /// can write, as in memory).
    pub(super) fn new(watcher: Option<Connection>) -> Result<ChangeMark, SqliteError> {
        let watch = match watcher {
            Some(conn) => {
                // Asked on a request's own thread: never wait for a lock, count it as moved.
                conn.busy_timeout(Duration::ZERO)?;
                let data_version = data_version(&conn)?;
                Some(Mutex::new(Watch {
                    conn,
                    data_version,
                    asked_at: Instant::now(),
                }))
            }
            None => None,
        };
        Ok(ChangeMark {
            mark: AtomicU64::new(0),
            watch,
        })
    }

    /// Runs `f` on the writer connection `conn` and moves the mark if `f` changed a row. The
    /// mark moves after `f` returned, so after its commit: a reader that saw the old mark
    /// read the old row or the new one, and either way finds the mark moved next time.
    pub(super) fn writing<T>(&self, conn: &mut Connection, f: impl FnOnce(&mut Connection) -> T) -> T {
        let before = conn.total_changes();
        let result = f(conn);
        if conn.total_changes() != before {
            self.moved();
        }
        result
    }

    /// The mark now.
    pub(super) fn current(&self) -> u64 {
        if let Some(watch) = &self.watch
            // Another thread asking now answers for this read too.
            && let Ok(mut watch) = watch.try_lock()
            && watch.asked_at.elapsed() >= CHANGE_MARK_LAG
        {
            match data_version(&watch.conn) {
                Ok(version) if version == watch.data_version => {}
                Ok(version) => {
                    watch.data_version = version;
                    self.moved();
                }
                // Cannot tell (the file locked): anything may have changed.
                Err(_) => self.moved(),
            }
            watch.asked_at = Instant::now();
        }
        self.mark.load(Ordering::Acquire)
    }

    fn moved(&self) {
        self.mark.fetch_add(1, Ordering::AcqRel);
    }
}

fn data_version(conn: &Connection) -> Result<i64, SqliteError> {
    Ok(conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))?)
}
