//! The SQLite database behind [`SqliteJobStore`] and [`SqliteJobQueue`].
//!
//! One file, in WAL mode so readers never block the writer, with a busy timeout so that
//! `drawings serve` and a CLI opening the same data directory wait for each other's write
//! locks instead of failing. rusqlite is blocking: every call runs on tokio's blocking pool
//! with the connection behind a std mutex that is never held across an `.await`.

mod error;
mod job_queue;
mod job_store;

pub use job_queue::{DeadLetter, SqliteJobQueue};
pub use job_store::SqliteJobStore;

use error::SqliteError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Bumped when the schema changes; a database from a newer build is refused, not guessed at.
/// Version 2 added `jobs.client` and `jobs.created_at` and the index on them.
const SCHEMA_VERSION: i64 = 2;

/// How long a statement waits for another connection's lock before giving up (`Transient`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    version         INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE,
    status          TEXT NOT NULL,
    expires_at      INTEGER NOT NULL, -- unix seconds, like DynamoDB's TTL attribute
    body            TEXT NOT NULL,    -- the whole Job as JSON
    client          TEXT,             -- input.client_name, copied out for the listing index
    created_at      INTEGER           -- unix ms, copied out for the listing index
);
CREATE TABLE IF NOT EXISTS messages (
    id            TEXT PRIMARY KEY NOT NULL,
    queue         TEXT NOT NULL,
    body          TEXT NOT NULL,
    sent_at       INTEGER NOT NULL, -- unix ms
    visible_at    INTEGER NOT NULL, -- unix ms
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT UNIQUE       -- of the latest receive; NULL until received
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at);
CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at);
";

/// Created after the version-1 migration: on a version-1 database the columns exist only then.
/// `GET /jobs` is per client, newest first; without this it scanned every tenant's rows while
/// holding the one connection.
pub(crate) const LIST_INDEX: &str = "jobs_client_created";

/// An open SQLite database with the drawings schema. Cheap to clone: clones share one
/// connection.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Mutex<Connection>,
    /// Wakes this process's long-polling receivers when a message may have become visible;
    /// other processes' sends are seen by polling.
    changed: Notify,
    location: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if needed, with its parent directories) the database file at `path`
    /// and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Database, drawings_core::StoreError> {
        let path = path.as_ref();
        Ok(Self::open_inner(path)?)
    }

    /// A private in-memory database, gone when the last clone is dropped. For tests.
    pub fn open_in_memory() -> Result<Database, drawings_core::StoreError> {
        let conn = Connection::open_in_memory().map_err(SqliteError::from)?;
        Ok(Self::init(conn, ":memory:".into())?)
    }

    fn open_inner(path: &Path) -> Result<Database, SqliteError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| SqliteError::CreateDir {
                path: PathBuf::from(parent),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Self::init(conn, path.display().to_string())
    }

    fn init(mut conn: Connection, location: String) -> Result<Database, SqliteError> {
        // Busy timeout first: switching to WAL and creating the schema take locks that
        // another process opening the same file at the same moment may hold.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode answers with a row, so it is a query, not an execute.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(SqliteError::SchemaTooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        tx.execute_batch(SCHEMA)?;
        migrate_v1_listing_columns(&tx)?;
        tx.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {LIST_INDEX} ON jobs (client, created_at)"
        ))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(Database {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                changed: Notify::new(),
                location,
            }),
        })
    }

    /// Runs `f` on the connection on the blocking pool.
    async fn call<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic inside a call dropped its transaction, which rolled back: the
            // connection is consistent, so a poisoned lock is safe to reuse.
            let mut conn = inner.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await?
    }

    fn changed(&self) -> &Notify {
        &self.inner.changed
    }
}

/// A version-1 `jobs` table lacks `client` and `created_at` (`CREATE TABLE IF NOT EXISTS`
/// left it as it was): add them and fill them from each row's JSON.
fn migrate_v1_listing_columns(tx: &rusqlite::Transaction<'_>) -> Result<(), SqliteError> {
    let has_client: bool = tx.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('jobs') WHERE name = 'client'",
        [],
        |r| r.get(0),
    )?;
    if has_client {
        return Ok(());
    }
    tx.execute_batch("ALTER TABLE jobs ADD COLUMN client TEXT; ALTER TABLE jobs ADD COLUMN created_at INTEGER;")?;
    let rows: Vec<(String, i64, String)> = {
        let mut statement = tx.prepare("SELECT id, version, body FROM jobs")?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, version, body) in rows {
        let job = job_store::decode(&id, version, &body)?;
        tx.execute(
            "UPDATE jobs SET client = ?1, created_at = ?2 WHERE id = ?3",
            rusqlite::params![job.input.client_name, job.created_at.timestamp_millis(), id],
        )?;
    }
    Ok(())
}

/// Now as unix milliseconds, the queue's clock.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A duration in whole milliseconds, saturating (callers cap durations well below this).
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
