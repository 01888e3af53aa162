//! [`Pool`]: a fixed set of SQLite connections, one per call, each call on tokio's blocking
//! pool, but for reads of one row by its key, which run where they are awaited.
//!
//! A call first takes a permit from an async semaphore sized to the connections, and only
//! then a thread: callers beyond the pool's size wait as cheap futures in FIFO order instead
//! of parking one blocking thread each on a lock (64 concurrent requests on one connection
//! were 64 threads convoying on a std mutex). The connection goes back to the pool when the
//! call ends, also when it panics: a panic dropped the call's transaction, which rolled back,
//! so the connection is consistent and safe to reuse.

use super::error::SqliteError;
use rusqlite::Connection;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Connections handed out one per call. Cheap to clone: clones share the connections.
#[derive(Clone)]
pub(super) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    /// The connections not in use. Never empty while a permit is free: a permit is taken
    /// before a connection and given back after it.
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    /// A pool of `connections` (at least one).
    pub(super) fn new(connections: Vec<Connection>) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                permits: Semaphore::new(connections.len()),
                idle: Mutex::new(connections),
            }),
        }
    }

    /// How many connections the pool holds, when none is in use (tests).
    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        self.shared.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Runs `f` on one of the connections, on the blocking pool, once one is free.
    pub(super) async fn call<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        let mut lease = self.lease().await?;
        tokio::task::spawn_blocking(move || f(lease.connection()?)).await?
    }

    /// Runs `f` on one of the connections, on the calling task's own thread, once one is
    /// free: for a read of one row by its key, which takes microseconds from the page cache,
    /// where handing it to a blocking thread and back cost more than the read (two thread
    /// wake-ups a request; `GET /status` ran at about 0.6x the rate it does inline).
    pub(super) async fn call_here<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        F: FnOnce(&mut Connection) -> Result<T, SqliteError>,
    {
        let mut lease = self.lease().await?;
        f(lease.connection()?)
    }

    /// Takes a connection for as long as the lease lives, once one is free.
    async fn lease(&self) -> Result<Lease, SqliteError> {
        // The permit is forgotten and re-added by the lease's drop, so that the lease (which
        // moves into a blocking task) owns it without borrowing the pool.
        self.shared
            .permits
            .acquire()
            .await
            .map_err(|_| SqliteError::Invalid("the connection pool is closed".into()))?
            .forget();
        Ok(self.take_idle())
    }

    /// A connection now, if one is idle: for synchronous callers (tests).
    #[cfg(test)]
    pub(super) fn try_lease(&self) -> Option<Lease> {
        self.shared.permits.try_acquire().ok()?.forget();
        Some(self.take_idle())
    }

    /// The idle connection a permit just taken (and forgotten) stands for.
    fn take_idle(&self) -> Lease {
        let connection = self
            .shared
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        Lease {
            shared: Arc::clone(&self.shared),
            connection,
        }
    }
}

/// One connection taken from a [`Pool`]; back in the pool when dropped.
pub(super) struct Lease {
    shared: Arc<Shared>,
    /// `Some` until the drop: the permit taken before it stands for an idle connection.
    connection: Option<Connection>,
}

impl Lease {
    /// The leased connection; an error (never a panic) if the pool broke its own invariant.
    pub(super) fn connection(&mut self) -> Result<&mut Connection, SqliteError> {
        self.connection
            .as_mut()
            .ok_or_else(|| SqliteError::Invalid("the connection pool had no idle connection for a permit".into()))
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.shared
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(connection);
        }
        // After the push: whoever gets this permit finds the connection idle.
        self.shared.permits.add_permits(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pool_of(n: usize) -> Pool {
        Pool::new((0..n).map(|_| Connection::open_in_memory().unwrap()).collect())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_beyond_the_pool_size_wait_for_a_connection_and_all_finish() {
        let pool = pool_of(2);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let calls = (0..16).map(|_| {
            let (pool, running, peak) = (pool.clone(), Arc::clone(&running), Arc::clone(&peak));
            tokio::spawn(async move {
                pool.call(move |_| {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = running.fetch_add(1, SeqCst) + 1;
                    peak.fetch_max(now, SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, SeqCst);
                    Ok(())
                })
                .await
            })
        });
        for call in calls.collect::<Vec<_>>() {
            call.await.unwrap().unwrap();
        }
        assert_eq!(
            peak.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "at most one call a connection"
        );
        assert_eq!(pool.shared.idle.lock().unwrap().len(), 2, "every connection came back");
    }

    #[tokio::test]
    async fn a_call_that_panics_gives_its_connection_back() {
        let pool = pool_of(1);
        let panicked = pool.call::<(), _>(|_| panic!("a bug in a call")).await;
        assert!(matches!(panicked, Err(SqliteError::Join(_))), "{:?}", panicked.err());
        let answer: i64 = pool
            .call(|conn| Ok(conn.query_row("SELECT 42", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(answer, 42, "the one connection is usable again");
    }
}
