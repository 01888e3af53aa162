//! [`SqliteJobQueue`]: SQS standard-queue semantics on the `messages` table.
//!
//! Every queue of a [`Database`] lives in the one table, told apart by name, so a move to
//! the dead-letter queue is a rename of the row's queue column. Limits are SQS's (1 to 10
//! messages per receive, delays up to 15 min, visibility up to 12 h, long polls up to 20 s)
//! so that code that works here works on AWS.

use super::error::SqliteError;
use super::{Database, millis, now_ms};
use async_trait::async_trait;
use drawings_core::StoreError;
use drawings_core::ports::{Delivery, JobQueue, QueueMessage};
use rusqlite::{Connection, TransactionBehavior, params};
use std::time::{Duration, Instant};

const MAX_BATCH: u32 = 10;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
const MAX_WAIT: Duration = Duration::from_secs(20);
/// How often a long poll looks again for messages another process may have sent.
const POLL: Duration = Duration::from_millis(50);

/// Where a queue sends messages it has delivered too often (SQS's redrive policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    /// Name of the dead-letter queue in the same database.
    pub queue: String,
    /// Receives after which the next receive moves the message instead of delivering it;
    /// 0 is taken as 1, as SQS allows no less.
    pub max_receives: u32,
}

impl RedrivePolicy {
    /// A redrive policy.
    pub fn new(queue: impl Into<String>, max_receives: u32) -> Self {
        RedrivePolicy {
            queue: queue.into(),
            max_receives: max_receives.max(1),
        }
    }
}

/// One named queue on a [`Database`].
#[derive(Debug, Clone)]
pub struct SqliteJobQueue {
    db: Database,
    name: String,
    redrive: Option<RedrivePolicy>,
}

impl SqliteJobQueue {
    /// The queue `name` on `db`, moving exhausted messages as `redrive` says, if given.
    pub fn new(db: Database, name: impl Into<String>, redrive: Option<RedrivePolicy>) -> Self {
        SqliteJobQueue {
            db,
            name: name.into(),
            redrive,
        }
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn receive_now(&self, max: u32, visibility: Duration) -> Result<Vec<Delivery>, SqliteError> {
        // Long polls look every 50 ms; a look on a reader first keeps an empty queue from
        // taking the writer, which job-store writes (and other processes) are waiting for.
        let name = self.name.clone();
        let ready = self
            .db
            .read(move |conn| {
                let mut statement = conn
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM messages WHERE queue = ?1 AND visible_at <= ?2)")?;
                Ok(statement.query_row(params![name, now_ms()], |r| r.get::<_, bool>(0))?)
            })
            .await?;
        if !ready {
            return Ok(Vec::new());
        }
        let (name, redrive) = (self.name.clone(), self.redrive.clone());
        let (delivered, moved) = self
            .db
            .call(move |conn| receive_now(conn, &name, redrive.as_ref(), max, visibility))
            .await?;
        if moved > 0 {
            self.db.changed().notify_waiters();
        }
        Ok(delivered)
    }
}

fn check_limit(what: &str, value: Duration, max: Duration) -> Result<(), SqliteError> {
    if value > max {
        return Err(SqliteError::Invalid(format!(
            "{what} {value:?} is above the limit of {max:?}"
        )));
    }
    Ok(())
}

#[async_trait]
impl JobQueue for SqliteJobQueue {
    async fn send(&self, message: &QueueMessage, delay: Duration) -> Result<String, StoreError> {
        check_limit("delay", delay, MAX_DELAY)?;
        let body = serde_json::to_string(message).map_err(SqliteError::Encode)?;
        let id = uuid::Uuid::new_v4().to_string();
        let (name, row_id) = (self.name.clone(), id.clone());
        self.db
            .call(move |conn| {
                let now = now_ms();
                conn.prepare_cached(
                    "INSERT INTO messages (id, queue, body, sent_at, visible_at, receive_count)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                )?
                .execute(params![row_id, name, body, now, now.saturating_add(millis(delay))])?;
                Ok(())
            })
            .await?;
        if delay.is_zero() {
            self.db.changed().notify_waiters();
        }
        Ok(id)
    }

    async fn receive(&self, max: u32, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, StoreError> {
        if !(1..=MAX_BATCH).contains(&max) {
            return Err(SqliteError::Invalid(format!("max {max} is not within 1..={MAX_BATCH}")).into());
        }
        check_limit("visibility", visibility, MAX_VISIBILITY)?;
        check_limit("wait", wait, MAX_WAIT)?;
        let deadline = Instant::now() + wait;
        loop {
            // Registered before looking, so a send between the look and the nap still wakes us.
            let changed = self.db.changed().notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let delivered = self.receive_now(max, visibility).await?;
            let now = Instant::now();
            if !delivered.is_empty() || now >= deadline {
                return Ok(delivered);
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(POLL.min(deadline - now)) => {}
            }
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        let (name, receipt) = (self.name.clone(), receipt.to_owned());
        // A stale receipt matches no row: the message was received again since, and that
        // newer delivery is not this caller's to delete. SQS answers Ok too.
        self.db
            .call(move |conn| {
                conn.execute(
                    "DELETE FROM messages WHERE queue = ?1 AND receipt = ?2",
                    params![name, receipt],
                )?;
                Ok(())
            })
            .await?;
        Ok(())
    }

    async fn set_visibility(&self, receipt: &str, timeout: Duration) -> Result<(), StoreError> {
        check_limit("visibility", timeout, MAX_VISIBILITY)?;
        let (name, receipt) = (self.name.clone(), receipt.to_owned());
        self.db
            .call(move |conn| {
                let visible_at = now_ms().saturating_add(millis(timeout));
                let changed = conn.execute(
                    "UPDATE messages SET visible_at = ?1 WHERE queue = ?2 AND receipt = ?3",
                    params![visible_at, name, receipt],
                )?;
                if changed == 0 {
                    return Err(SqliteError::NotFound(
                        "message for this receipt (deleted or received again)".into(),
                    ));
                }
                Ok(())
            })
            .await?;
        if timeout.is_zero() {
            self.db.changed().notify_waiters();
        }
        Ok(())
    }
}

/// One look at the queue, in one IMMEDIATE transaction so two receivers never get the same
/// message. Returns the deliveries and how many messages went to the dead-letter queue.
fn receive_now(
    conn: &mut Connection,
    queue: &str,
    redrive: Option<&RedrivePolicy>,
    max: u32,
    visibility: Duration,
) -> Result<(Vec<Delivery>, usize), SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now_ms();
    // Moving every visible exhausted message now is what SQS does lazily on the receives
    // that meet them: such a message can never be delivered again either way. The receive
    // count travels with it, and the receipt is cleared so the last one cannot touch it.
    let moved = match redrive {
        Some(dl) => tx.execute(
            "UPDATE messages SET queue = ?1, visible_at = ?2, receipt = NULL
             WHERE queue = ?3 AND visible_at <= ?2 AND receive_count >= ?4",
            params![dl.queue, now, queue, dl.max_receives.max(1)],
        )?,
        None => 0,
    };
    let candidates: Vec<(String, String, i64, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, body, sent_at, receive_count FROM messages
             WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, sent_at LIMIT ?3",
        )?;
        stmt.query_map(params![queue, now, max], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let visible_at = now.saturating_add(millis(visibility));
    let mut delivered = Vec::with_capacity(candidates.len());
    for (id, body, sent_at, count) in candidates {
        let receive_count = u32::try_from(count.saturating_add(1)).map_err(|_| SqliteError::BadColumn {
            id: id.clone(),
            column: "receive_count",
        })?;
        let sent_at = chrono::DateTime::from_timestamp_millis(sent_at).ok_or_else(|| SqliteError::BadColumn {
            id: id.clone(),
            column: "sent_at",
        })?;
        let receipt = uuid::Uuid::new_v4().simple().to_string();
        tx.execute(
            "UPDATE messages SET receive_count = ?1, visible_at = ?2, receipt = ?3 WHERE id = ?4",
            params![receive_count, visible_at, receipt, id],
        )?;
        delivered.push(Delivery {
            message_id: id,
            receipt,
            body,
            receive_count,
            sent_at,
        });
    }
    tx.commit()?;
    Ok((delivered, moved))
}
