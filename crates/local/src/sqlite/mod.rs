//! The SQLite database behind [`SqliteJobStore`] and [`SqliteJobQueue`].
//!
//! One file, in WAL mode so readers never block the writer, with a busy timeout so that
//! `drawings serve` and a CLI opening the same data directory wait for each other's write
//! locks instead of failing. rusqlite is blocking: every call runs on tokio's blocking pool
//! with the connection behind a std mutex that is never held across an `.await`.

mod error;
mod job_queue;
mod job_store;

pub use job_queue::{RedrivePolicy, SqliteJobQueue};
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
            crate::private::create_dir_all(parent).map_err(|source| SqliteError::CreateDir {
                path: PathBuf::from(parent),
                source,
            })?;
        }
        make_files_private(path)?;
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

/// The database holds every tenant's jobs: owner-only (0600). SQLite creates the `-wal` and
/// `-shm` files with the main file's mode, so creating the main file 0600 before SQLite does
/// covers them; files an earlier build left world-readable are tightened here.
fn make_files_private(path: &Path) -> Result<(), SqliteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source| SqliteError::Permissions { path, source }
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(crate::private::FILE_MODE)
            .open(path)
            .map_err(failed(path))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = PathBuf::from(file);
            if file.exists() {
                crate::private::restrict(&file, crate::private::FILE_MODE).map_err(failed(&file))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::ports::{JobQuery, JobStore};
    use drawings_testkit::full_job;

    /// The schema as version 1 created it: no listing columns, no listing index.
    const SCHEMA_V1: &str = "
        CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,
            idempotency_key TEXT UNIQUE, status TEXT NOT NULL, expires_at INTEGER NOT NULL,
            body TEXT NOT NULL);
        PRAGMA user_version = 1;";

    #[tokio::test]
    async fn a_version_1_database_gets_the_listing_columns_and_index_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drawings.sqlite3");
        let job = full_job();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO jobs (id, version, status, expires_at, body) VALUES (?1, ?2, 'queued', 0, ?3)",
                rusqlite::params![
                    job.id.as_str(),
                    job.version as i64,
                    serde_json::to_string(&job).unwrap()
                ],
            )
            .unwrap();
        }
        let db = Database::open(&path).unwrap();
        {
            let conn = db.inner.conn.lock().unwrap();
            let index: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [LIST_INDEX],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(index, 1);
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
            assert_eq!(version, SCHEMA_VERSION);
        }
        let listed = SqliteJobStore::new(db)
            .list(&JobQuery {
                client: job.input.client_name.clone(),
                ..JobQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|j| &j.id).collect::<Vec<_>>(),
            [&job.id],
            "the old row was backfilled"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_its_wal_and_shm_and_its_directory_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let path = data.join("drawings.sqlite3");
        // A database an earlier build left world-readable is tightened too.
        let db = Database::open(&path).unwrap();
        drop(db);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let db = Database::open(&path).unwrap();
        SqliteJobStore::new(db.clone()).create(&full_job()).await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "data directory");
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            assert!(file.exists(), "{} exists while the database is open", file.display());
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
}
