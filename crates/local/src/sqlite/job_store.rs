//! [`SqliteJobStore`]: job records in the `jobs` table, one JSON document per job beside
//! the columns that conditions and lookups need (id, version, idempotency key).
//!
//! The idempotency key is claimed at `create` and stays claimed for the life of the record,
//! even if a later `update` clears it from the JSON: a replay must never create a second job.

use super::Database;
use super::error::SqliteError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use drawings_core::ports::{Created, JobQuery, JobStore};
use drawings_core::{Job, JobId, Lease, StoreError};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

/// The [`JobStore`] on a [`Database`].
#[derive(Debug, Clone)]
pub struct SqliteJobStore {
    db: Database,
}

impl SqliteJobStore {
    /// A store on `db`'s `jobs` table.
    pub fn new(db: Database) -> Self {
        SqliteJobStore { db }
    }

    /// Up to `limit` jobs whose `expires_at` is at or before `now`, soonest expired first.
    /// Embedded only: on AWS, DynamoDB's TTL deletes expired records by itself.
    pub async fn expired(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<JobId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ids = self
            .db
            .read(move |conn| {
                let mut statement =
                    conn.prepare("SELECT id FROM jobs WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2")?;
                let ids = statement
                    .query_map(params![now.timestamp(), limit], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ids)
            })
            .await?;
        Ok(ids.iter().filter_map(|id| JobId::parse(id)).collect())
    }

    /// Deletes the record of `id` if it has expired by `now` (a TTL extended meanwhile keeps
    /// it); says whether it did. Embedded only, like [`SqliteJobStore::expired`]. The job's
    /// idempotency key goes with it, as it does when DynamoDB's TTL deletes the item.
    pub async fn delete_expired(&self, id: &JobId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let id = id.clone();
        let deleted = self
            .db
            .call(move |conn| {
                let n = conn.execute(
                    "DELETE FROM jobs WHERE id = ?1 AND expires_at <= ?2",
                    params![id.as_str(), now.timestamp()],
                )?;
                Ok(n == 1)
            })
            .await?;
        Ok(deleted)
    }
}

#[async_trait]
impl JobStore for SqliteJobStore {
    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let query = query.clone();
        let jobs = self.db.read(move |conn| list(conn, &query)).await?;
        Ok(jobs)
    }

    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        let job = self
            .db
            .read_row(|conn| read(conn, id)?.ok_or_else(|| SqliteError::NotFound(format!("job {id}"))))
            .await?;
        Ok(job)
    }

    fn change_mark(&self) -> Option<u64> {
        Some(self.db.change_mark())
    }

    async fn get_changed(&self, id: &JobId, seen: u64) -> Result<Option<Job>, StoreError> {
        // No stored version is negative: a seen one past SQLite's integers is not stored.
        let seen = i64::try_from(seen).unwrap_or(-1);
        let job = self
            .db
            .read_row(move |conn| {
                read_changed(conn, id, seen)?.ok_or_else(|| SqliteError::NotFound(format!("job {id}")))
            })
            .await?;
        Ok(job)
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        let job = job.clone();
        let created = self
            .db
            .call(move |conn| {
                // IMMEDIATE takes the write lock up front, so the checks and the insert are
                // one atomic step against every other connection.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if let Some(key) = &job.idempotency_key {
                    let existing: Option<(String, i64, String)> = tx
                        .query_row(
                            "SELECT id, version, body FROM jobs WHERE idempotency_key = ?1",
                            [key],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    if let Some((id, version, body)) = existing {
                        return Ok(Created::Existing(Box::new(decode(&id, version, &body)?)));
                    }
                }
                let taken = tx
                    .query_row("SELECT 1 FROM jobs WHERE id = ?1", [job.id.as_str()], |_| Ok(()))
                    .optional()?
                    .is_some();
                if taken {
                    return Err(SqliteError::Conflict(format!("job {}", job.id)));
                }
                tx.execute(
                    "INSERT INTO jobs (id, version, idempotency_key, status, expires_at, body, client, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        job.id.as_str(),
                        version_column(job.version)?,
                        job.idempotency_key,
                        job.status.as_str(),
                        job.expires_at.timestamp(),
                        encode(&job)?,
                        job.input.client_name,
                        job.created_at.timestamp_millis(),
                    ],
                )?;
                tx.commit()?;
                Ok(Created::New)
            })
            .await?;
        Ok(created)
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        let job = job.clone();
        let stored = self
            .db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let stored = write_next(&tx, &job)?;
                tx.commit()?;
                Ok(stored)
            })
            .await?;
        Ok(stored)
    }

    /// One transaction instead of the default read-check-write loop: under the write lock
    /// nobody can slip in between the check and the write.
    async fn acquire_lease(
        &self,
        id: &JobId,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let (id, owner) = (id.clone(), owner.to_owned());
        let stored = self
            .db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut job = read(&tx, &id)?.ok_or_else(|| SqliteError::NotFound(format!("job {id}")))?;
                if job.leased_by_other(&owner, now) {
                    return Err(SqliteError::Conflict(format!("lease on job {id}")));
                }
                job.lease = Some(Lease { owner, until });
                job.updated_at = now;
                let stored = write_next(&tx, &job)?;
                tx.commit()?;
                Ok(stored)
            })
            .await?;
        Ok(stored)
    }
}

/// One client's jobs, newest first, through the `(client, created_at)` index: a tenant's
/// listing reads its own rows only, never the whole table.
pub(crate) const LIST_FOR_CLIENT: &str = "SELECT id, version, body FROM jobs \
     WHERE client = ?1 AND created_at >= ?2 \
       AND (?3 = 0 OR json_extract(body, '$.dead_letter') IS NOT NULL) \
     ORDER BY created_at DESC, rowid DESC";

/// Every client's jobs (operator listings), newest first (rows are inserted in creation
/// order); the time filter ends the walk at the first older job.
const LIST_ALL: &str = "SELECT id, version, body FROM jobs \
     WHERE (?1 = 0 OR json_extract(body, '$.dead_letter') IS NOT NULL) \
     ORDER BY rowid DESC";

fn list(conn: &Connection, query: &JobQuery) -> Result<Vec<Job>, SqliteError> {
    let mut statement;
    let mut rows = match &query.client {
        Some(client) => {
            statement = conn.prepare(LIST_FOR_CLIENT)?;
            let since = query.created_since.map_or(i64::MIN, |t| t.timestamp_millis());
            statement.query(params![client, since, query.dead_lettered])?
        }
        None => {
            statement = conn.prepare(LIST_ALL)?;
            statement.query(params![query.dead_lettered])?
        }
    };
    let mut jobs = Vec::new();
    while let Some(row) = rows.next()? {
        let (id, version, body): (String, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let job = decode(&id, version, &body)?;
        if query.created_since.is_some_and(|t| job.created_at < t) {
            break;
        }
        if query.matches(&job) {
            jobs.push(job);
            if jobs.len() == query.limit {
                break;
            }
        }
    }
    Ok(jobs)
}

fn read(conn: &Connection, id: &JobId) -> Result<Option<Job>, SqliteError> {
    // Cached: `GET /status` runs this on every poll, and parsing the SQL each time cost more
    // than the lookup.
    let row: Option<(i64, String)> = conn
        .prepare_cached("SELECT version, body FROM jobs WHERE id = ?1")?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(version, body)| decode(id.as_str(), version, &body))
        .transpose()
}

/// Job `id` if it is no longer at version `seen` (`Some(None)` while it is): the body is
/// neither copied out nor decoded for a job that has not moved.
fn read_changed(conn: &Connection, id: &JobId, seen: i64) -> Result<Option<Option<Job>>, SqliteError> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT version, CASE WHEN version = ?2 THEN NULL ELSE body END FROM jobs WHERE id = ?1")?
        .query_row(params![id.as_str(), seen], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(version, body)| body.map(|body| decode(id.as_str(), version, &body)).transpose())
        .transpose()
}

/// Stores `job` as version `job.version + 1` if the stored version is still `job.version`.
fn write_next(tx: &Transaction<'_>, job: &Job) -> Result<Job, SqliteError> {
    let version = job
        .version
        .checked_add(1)
        .ok_or_else(|| SqliteError::Invalid(format!("job {} version overflows", job.id)))?;
    let next = Job { version, ..job.clone() };
    let changed = tx.execute(
        "UPDATE jobs SET version = ?1, status = ?2, expires_at = ?3, body = ?4
         WHERE id = ?5 AND version = ?6",
        params![
            version_column(next.version)?,
            next.status.as_str(),
            next.expires_at.timestamp(),
            encode(&next)?,
            job.id.as_str(),
            version_column(job.version)?,
        ],
    )?;
    if changed == 1 {
        return Ok(next);
    }
    let exists = tx
        .query_row("SELECT 1 FROM jobs WHERE id = ?1", [job.id.as_str()], |_| Ok(()))
        .optional()?;
    Err(match exists {
        Some(()) => SqliteError::Conflict(format!("job {} at version {}", job.id, job.version)),
        None => SqliteError::NotFound(format!("job {}", job.id)),
    })
}

fn version_column(version: u64) -> Result<i64, SqliteError> {
    i64::try_from(version).map_err(|_| SqliteError::Invalid(format!("version {version} does not fit SQLite")))
}

fn encode(job: &Job) -> Result<String, SqliteError> {
    serde_json::to_string(job).map_err(SqliteError::Encode)
}

/// The version column is what writes are conditioned on, so it wins over the JSON's copy.
pub(super) fn decode(id: &str, version: i64, body: &str) -> Result<Job, SqliteError> {
    let mut job: Job = serde_json::from_str(body).map_err(|source| SqliteError::Corrupt {
        id: id.to_owned(),
        source,
    })?;
    job.version = u64::try_from(version).map_err(|_| SqliteError::BadColumn {
        id: id.to_owned(),
        column: "version",
    })?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::LIST_INDEX;

    #[test]
    fn a_clients_listing_reads_through_the_client_created_index() {
        let db = Database::open_in_memory().unwrap();
        let mut lease = db.inner.writer.try_lease().unwrap();
        let conn = lease.connection().unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {LIST_FOR_CLIENT}"))
            .unwrap()
            .query_map(params!["Acme", 0_i64, false], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains(&format!("USING INDEX {LIST_INDEX}")), "{plan}");
        assert!(!plan.contains("SCAN jobs"), "no full scan: {plan}");
        assert!(
            !plan.contains("TEMP B-TREE"),
            "the index gives the order, no sort: {plan}"
        );
    }
}
