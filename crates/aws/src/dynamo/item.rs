//! How a [`Job`] is laid out as a DynamoDB item, and back.
//!
//! A job item holds the full job as JSON in `job`, next to a few top-level attributes:
//!
//! | attribute | type | role |
//! |---|---|---|
//! | `job_id` | S | hash key |
//! | `record` | S | `job` (or `idempotency_key` for a key claim, below) |
//! | `version` | N | what writes are conditioned on; **authoritative** |
//! | `updated_at` | S | RFC 3339 with nanoseconds; **authoritative** (a lease write sets it) |
//! | `lease_owner`, `lease_until` | S, N (epoch ns) | the lease; **authoritative**, absent when none |
//! | `status` | S | for people reading the table |
//! | `client_name` | S | for people reading the table, when set |
//! | `expires_at` | N (epoch s) | the table's TTL attribute |
//! | `created_at` | N (epoch ms) | sort key of the three indexes below |
//! | `created_day` | S (`YYYY-MM-DD`) | hash key of index `by_day` |
//! | `dead_letter` | S (`"1"`) | hash key of the sparse index `dead_letters`, only while dead-lettered |
//!
//! Listing goes through three global secondary indexes, never a scan: `by_client`
//! (`client_name`, `created_at`), `by_day` (`created_day`, `created_at`) and `dead_letters`
//! (`dead_letter`, `created_at`), each projecting the whole item.
//!
//! The authoritative attributes win over their copies inside the JSON, because
//! `acquire_lease` changes them in one conditional `UpdateItem` without rewriting the JSON.
//!
//! An idempotency key is claimed by a second item, `job_id = "idempotency#<sha256 of key>"`
//! with `points_to` = the job's id: DynamoDB has no unique secondary index, so creating both
//! items in one transaction is what makes `create` atomic on the id and on the key. The key
//! is hashed so that any header value fits the 2 KB hash-key limit and is not stored in clear.
//! (A job id is 32 hex digits, so it can never collide with a `idempotency#` key.) The claim
//! expires with the job as created; `update` does not touch it, so a job whose `expires_at`
//! were moved later would lose its claim first (nothing moves it today).

use crate::error::AwsError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use drawings_core::{Job, Lease};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const HASH_KEY: &str = "job_id";
pub(crate) const RECORD: &str = "record";
pub(crate) const VERSION: &str = "version";
pub(crate) const UPDATED_AT: &str = "updated_at";
pub(crate) const LEASE_OWNER: &str = "lease_owner";
pub(crate) const LEASE_UNTIL: &str = "lease_until";
pub(crate) const STATUS: &str = "status";
pub(crate) const CLIENT_NAME: &str = "client_name";
pub(crate) const EXPIRES_AT: &str = "expires_at";
pub(crate) const JOB: &str = "job";
pub(crate) const POINTS_TO: &str = "points_to";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const CREATED_DAY: &str = "created_day";
pub(crate) const DEAD_LETTER: &str = "dead_letter";

/// Index of a client's jobs by creation time.
pub const INDEX_BY_CLIENT: &str = "by_client";
/// Index of every job by creation day and time.
pub const INDEX_BY_DAY: &str = "by_day";
/// Sparse index of the jobs in the dead-letter list.
pub const INDEX_DEAD_LETTERS: &str = "dead_letters";

const RECORD_JOB: &str = "job";
const RECORD_KEY: &str = "idempotency_key";

/// The hash-key value of the item that claims an idempotency key.
pub(crate) fn key_claim_id(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("idempotency#{hex}")
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Epoch nanoseconds: exact for any time chrono can hold until 2262, and comparable in a
/// condition expression (which RFC 3339 strings with varying fraction widths are not).
pub(crate) fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// RFC 3339 with as many fraction digits as needed, which parses back to the same instant.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The full item for `job`.
pub(crate) fn encode(job: &Job) -> Result<Item, AwsError> {
    let body = serde_json::to_string(job).map_err(|source| AwsError::Encode { what: "job", source })?;
    let mut item = Item::from([
        (HASH_KEY.to_owned(), s(job.id.as_str())),
        (RECORD.to_owned(), s(RECORD_JOB)),
        (VERSION.to_owned(), n(job.version)),
        (UPDATED_AT.to_owned(), s(rfc3339(job.updated_at))),
        (STATUS.to_owned(), s(job.status.as_str())),
        (EXPIRES_AT.to_owned(), n(job.expires_at.timestamp())),
        (CREATED_AT.to_owned(), n(job.created_at.timestamp_millis())),
        (CREATED_DAY.to_owned(), s(day(job.created_at))),
        (JOB.to_owned(), s(body)),
    ]);
    if job.dead_letter.is_some() {
        item.insert(DEAD_LETTER.to_owned(), s("1"));
    }
    if let Some(lease) = &job.lease {
        item.insert(LEASE_OWNER.to_owned(), s(&lease.owner));
        item.insert(LEASE_UNTIL.to_owned(), n(nanos(lease.until)));
    }
    if let Some(client) = &job.input.client_name {
        item.insert(CLIENT_NAME.to_owned(), s(client));
    }
    Ok(item)
}

/// The `created_day` of an instant.
pub(crate) fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The item that claims `job`'s idempotency key for it; expires with the job.
pub(crate) fn encode_key_claim(job: &Job, idempotency_key: &str) -> Item {
    Item::from([
        (HASH_KEY.to_owned(), s(key_claim_id(idempotency_key))),
        (RECORD.to_owned(), s(RECORD_KEY)),
        (POINTS_TO.to_owned(), s(job.id.as_str())),
        (EXPIRES_AT.to_owned(), n(job.expires_at.timestamp())),
    ])
}

/// The job id a key-claim item points to.
pub(crate) fn decode_key_claim(item: &Item) -> Result<String, AwsError> {
    string(item, POINTS_TO).map(str::to_owned)
}

/// The job in `item`, with the authoritative top-level attributes applied.
pub(crate) fn decode(item: &Item) -> Result<Job, AwsError> {
    let mut job: Job = serde_json::from_str(string(item, JOB)?).map_err(|e| corrupt(item, e.to_string()))?;
    job.version = number(item, VERSION)?;
    job.updated_at = DateTime::parse_from_rfc3339(string(item, UPDATED_AT)?)
        .map_err(|e| corrupt(item, format!("{UPDATED_AT}: {e}")))?
        .with_timezone(&Utc);
    job.lease = match (item.get(LEASE_OWNER), item.get(LEASE_UNTIL)) {
        (None, None) => None,
        (Some(_), Some(_)) => Some(Lease {
            owner: string(item, LEASE_OWNER)?.to_owned(),
            until: DateTime::from_timestamp_nanos(number(item, LEASE_UNTIL)?),
        }),
        _ => return Err(corrupt(item, "lease_owner and lease_until must come together".into())),
    };
    Ok(job)
}

fn key_of(item: &Item) -> String {
    match item.get(HASH_KEY) {
        Some(AttributeValue::S(key)) => key.clone(),
        _ => "<no job_id>".to_owned(),
    }
}

fn corrupt(item: &Item, reason: String) -> AwsError {
    AwsError::Corrupt {
        key: key_of(item),
        reason,
    }
}

fn string<'a>(item: &'a Item, name: &str) -> Result<&'a str, AwsError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        Some(_) => Err(corrupt(item, format!("{name} is not a string"))),
        None => Err(corrupt(item, format!("{name} is missing"))),
    }
}

fn number<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, AwsError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| corrupt(item, format!("{name} = {value} is out of range"))),
        Some(_) => Err(corrupt(item, format!("{name} is not a number"))),
        None => Err(corrupt(item, format!("{name} is missing"))),
    }
}

/// DynamoDB's measure of an item: attribute names plus values (strings as UTF-8 bytes,
/// numbers at most 21 bytes). Used by the test that keeps jobs far below the 400 KB cap.
#[cfg(test)]
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(v) => v.len(),
                    AttributeValue::N(v) => v.len().min(21),
                    _ => 0,
                }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use drawings_core::{JobId, JobInput, JobStatus, PageProgress, Stage};

    fn job() -> Job {
        let id = JobId::generate();
        let input = JobInput {
            blob_key: id.files().input(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            bytes: 1234,
            file_name: Some("drawing.pdf".into()),
            client_name: Some("Acme".into()),
            project_name: None,
            callback_url: None,
        };
        Job::new(id, input, Some("key".into()), Utc::now(), Duration::days(30))
    }

    #[test]
    fn a_job_round_trips_with_its_lease() {
        let mut original = job();
        original.version = 7;
        original.lease = Some(Lease {
            owner: "worker-a".into(),
            until: Utc::now() + Duration::seconds(90),
        });
        let back = decode(&encode(&original).unwrap()).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn top_level_attributes_win_over_the_json() {
        let original = job();
        let mut item = encode(&original).unwrap();
        let until = Utc::now();
        item.insert(VERSION.into(), n(3));
        item.insert(LEASE_OWNER.into(), s("w"));
        item.insert(LEASE_UNTIL.into(), n(nanos(until)));
        let back = decode(&item).unwrap();
        assert_eq!(back.version, 3);
        assert_eq!(
            back.lease,
            Some(Lease {
                owner: "w".into(),
                until
            })
        );
    }

    #[test]
    fn a_missing_attribute_is_corrupt() {
        let mut item = encode(&job()).unwrap();
        item.remove(VERSION);
        assert!(matches!(decode(&item), Err(AwsError::Corrupt { .. })));
    }

    #[test]
    fn key_claims_are_bounded_and_distinct_from_job_ids() {
        let long = key_claim_id(&"k".repeat(10_000));
        assert_eq!(long.len(), "idempotency#".len() + 64);
        assert!(JobId::parse(&long).is_none());
        assert_ne!(key_claim_id("a"), key_claim_id("b"));
    }

    /// The record must stay far below DynamoDB's 400 KB item cap however long the drawing:
    /// a 1000-page job in its per-page stage, with every optional field set, needs ~10 KB
    /// (each finished page costs at most 5 bytes of `done`, so even 10 000 pages fit).
    #[test]
    fn a_thousand_page_job_stays_small() {
        let mut big = job();
        big.status = JobStatus::Processing;
        big.current_stage = Some(Stage::DrawingAnalysis);
        big.stages_completed = vec![Stage::Validation, Stage::PdfProcessing];
        big.progress = PageProgress {
            done: (0..1000).collect(),
            total: 1000,
        };
        big.result_keys = (0..10).map(|i| big.id.files().page_analysis(i)).collect();
        big.lease = Some(Lease {
            owner: "worker-with-a-long-name-0123456789".into(),
            until: Utc::now(),
        });
        let size = item_size(&encode(&big).unwrap());
        assert!(size < 16 * 1024, "a 1000-page job item is {size} bytes");
    }
}
