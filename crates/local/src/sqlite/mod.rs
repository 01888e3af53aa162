//! The SQLite database behind [`SqliteJobStore`] and [`SqliteJobQueue`].
//!
//! One file, in WAL mode, with a busy timeout so that `drawings serve` and a CLI opening the
//! same data directory wait for each other's write locks instead of failing. rusqlite is
//! blocking: every call runs on tokio's blocking pool (see the `pool` module).
//!
//! **Connections.** One writer connection serves every write and every read that decides a
//! write (inside its transaction); a small pool of read-only connections (as many as the
//! machine has cores, 2 to 8) serves the pure reads (`get`, `list`, the sweeper's scan, the
//! queue's "anything ready?" look). WAL lets readers run beside the writer and beside each
//! other, each on the last commit as of its statement's start, so a read issued after a write
//! returned sees it (read-your-writes); `GET /status` no longer queues behind job creation.
//! A database that is not in WAL mode (in memory, or a filesystem without shared memory)
//! gets no readers: there, reads take the writer like writes.
//!
//! **Durability.** In WAL mode the writer runs `synchronous = NORMAL`: a commit appends to
//! the WAL with `write(2)` and returns; the WAL is fsynced at checkpoints, not at each
//! commit. A commit is in the operating system's page cache when the call returns, so it
//! survives the process dying at any point (`kill -9`, a panic, an OOM kill), which is what
//! the service promises after a `202`. A power loss or kernel crash may lose the commits since
//! the last checkpoint (never corrupts the database: WAL with NORMAL stays consistent). That is
//! the trade-off: a full fsync per commit (`FULL`) put two disk flushes (about 4 ms each on
//! the development VM) behind the one writer for every submit, so concurrent submits and
//! status polls queued behind them (`scripts/load.sh`); the embedded service runs on a
//! developer's machine or a single box, and production's store is DynamoDB, whose durability
//! does not depend on this setting. The PDF blob is still fsynced before its job row is
//! written (`FsBlobStore`), so a row that outlives a power loss never names a lost input.
//! Without WAL, `NORMAL` could corrupt the file on a power loss, so such a database keeps
//! `FULL`.

mod change_mark;
mod error;
mod job_queue;
mod job_store;
mod pool;

pub use change_mark::CHANGE_MARK_LAG;
pub use job_queue::{RedrivePolicy, SqliteJobQueue};
pub use job_store::SqliteJobStore;

use change_mark::ChangeMark;
use error::SqliteError;
use pool::Pool;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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

/// Fewest and most read-only connections, whatever the core count.
const MIN_READERS: usize = 2;
const MAX_READERS: usize = 8;

/// An open SQLite database with the drawings schema. Cheap to clone: clones share its
/// connections.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    /// The one connection that writes (a pool of one).
    writer: Pool,
    /// Read-only connections for pure reads; `None` when the database is not in WAL mode.
    readers: Option<Pool>,
    /// Wakes this process's long-polling receivers when a message may have become visible;
    /// other processes' sends are seen by polling.
    changed: Notify,
    /// Moves when a row may have changed, this process's writes or another's.
    change_mark: ChangeMark,
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
        let mut conn = Connection::open_in_memory().map_err(SqliteError::from)?;
        // Each in-memory connection is its own database, and memory has no WAL: no readers.
        init(&mut conn)?;
        Ok(Self::assemble(conn, None, ChangeMark::new(None)?, ":memory:".into()))
    }

    fn open_inner(path: &Path) -> Result<Database, SqliteError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::create_dir_all(parent).map_err(|source| SqliteError::CreateDir {
                path: PathBuf::from(parent),
                source,
            })?;
        }
        make_files_private(path)?;
        let mut conn = Connection::open(path)?;
        let readers = if init(&mut conn)? == Journal::Wal {
            let readers = (0..reader_count()).map(|_| open_reader(path));
            Some(Pool::new(readers.collect::<Result<_, _>>()?))
        } else {
            None
        };
        // Another process may write to a file, WAL or not: the mark watches for it.
        let change_mark = ChangeMark::new(Some(open_reader(path)?))?;
        Ok(Self::assemble(conn, readers, change_mark, path.display().to_string()))
    }

    fn assemble(writer: Connection, readers: Option<Pool>, change_mark: ChangeMark, location: String) -> Database {
        Database {
            inner: Arc::new(Inner {
                writer: Pool::new(vec![writer]),
                readers,
                changed: Notify::new(),
                change_mark,
                location,
            }),
        }
    }

    /// Runs `f` on the writer connection, on the blocking pool: every write, and every read
    /// whose answer a write depends on (inside the write's transaction).
    async fn call<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        let inner = self.inner.clone();
        self.inner
            .writer
            .call(move |conn| inner.change_mark.writing(conn, f))
            .await
    }

    /// The mark that moves whenever a row may have changed: see [`ChangeMark`].
    fn change_mark(&self) -> u64 {
        self.inner.change_mark.current()
    }

    /// Runs the pure read `f` on a read-only connection (the writer where there are none).
    /// It sees every commit made before it starts, this process's and others'.
    async fn read<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        self.readers().call(f).await
    }

    /// Runs `f`, a read of one row by its key, on a read-only connection (the writer where
    /// there are none) on this thread: see [`Pool::call_here`].
    async fn read_row<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        F: FnOnce(&mut Connection) -> Result<T, SqliteError>,
    {
        self.readers().call_here(f).await
    }

    /// The read-only connections, or the writer where there are none (memory, no WAL).
    fn readers(&self) -> &Pool {
        self.inner.readers.as_ref().unwrap_or(&self.inner.writer)
    }

    fn changed(&self) -> &Notify {
        &self.inner.changed
    }
}

/// The journal the writer ended up with: readers beside it need WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    Wal,
    Other,
}

/// Sets up the writer connection: busy timeout, WAL, durability, schema.
fn init(conn: &mut Connection) -> Result<Journal, SqliteError> {
    // Busy timeout first: switching to WAL and creating the schema take locks that
    // another process opening the same file at the same moment may hold.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with a row, so it is a query, not an execute. It answers the
    // mode in force, which is not WAL in memory or where the filesystem cannot share memory.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    let wal = mode.eq_ignore_ascii_case("wal");
    // See the module doc: NORMAL is crash-safe only with WAL; elsewhere FULL stays.
    conn.pragma_update(None, "synchronous", if wal { "NORMAL" } else { "FULL" })?;
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
    Ok(if wal { Journal::Wal } else { Journal::Other })
}

/// As many readers as cores, so that reads never wait for each other on an idle machine,
/// within [`MIN_READERS`] and [`MAX_READERS`] (each holds its own page cache).
fn reader_count() -> usize {
    std::thread::available_parallelism()
        .map_or(MIN_READERS, usize::from)
        .clamp(MIN_READERS, MAX_READERS)
}

/// A read-only connection: a bug that routes a write to it fails (`SQLITE_READONLY`) instead
/// of racing the writer. Opened after the writer switched the file to WAL, which is a
/// property of the file, so the reader is in WAL mode too.
fn open_reader(path: &Path) -> Result<Connection, SqliteError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    // A WAL reader waits only in rare moments (another connection recovering the WAL index).
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
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
mod connection_tests;

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
            let mut lease = db.inner.writer.try_lease().unwrap();
            let conn = lease.connection().unwrap();
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
