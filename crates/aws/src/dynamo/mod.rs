//! [`DynamoJobStore`]: the [`JobStore`] on a DynamoDB table (hash key `job_id`, S; TTL
//! attribute `expires_at`). Every operation is a point read, a single conditional write or
//! a query on a secondary index; nothing scans. See [`item`] for the item layout.

mod item;
mod list;

pub use item::{INDEX_BY_CLIENT, INDEX_BY_DAY, INDEX_DEAD_LETTERS};

use crate::error::{AwsError, classify};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{DateTime, Utc};
use drawings_core::ports::{Created, JobQuery, JobStore};
use drawings_core::{Job, JobId, StoreError};
use item::{Item, decode, encode, n, nanos, rfc3339, s};

const BACKEND: &str = "dynamodb";

/// The cancellation-reason code DynamoDB gives a transaction item whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// Job records in one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoJobStore {
    client: Client,
    table: String,
}

impl DynamoJobStore {
    /// The store on `table`, which must have the string hash key `job_id` (and should have
    /// TTL enabled on `expires_at`).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoJobStore {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// A strongly consistent point read of any item by hash key.
    async fn read(&self, key: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(item::HASH_KEY, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(BACKEND, e))?;
        Ok(out.item)
    }

    /// A new job without an idempotency key: one conditional put.
    async fn create_plain(&self, job: &Job, record: Item) -> Result<Created, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", item::HASH_KEY)
            .send()
            .await;
        match put {
            Ok(_) => Ok(Created::New),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(StoreError::conflict(format!("job {}", job.id)))
            }
            Err(e) => Err(classify(BACKEND, e)),
        }
    }

    /// A new job with an idempotency key: the job and its key claim in one transaction, so
    /// that neither exists without the other and two racing creates cannot both win.
    async fn create_keyed(&self, job: &Job, record: Item, key: &str) -> Result<Created, StoreError> {
        let put = |item: Item| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#k)")
                .expression_attribute_names("#k", item::HASH_KEY)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(|e| StoreError::Invalid {
                    backend: BACKEND,
                    source: Box::new(e),
                })
        };
        let written = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put(record)?).build())
            .transact_items(
                TransactWriteItem::builder()
                    .put(put(item::encode_key_claim(job, key))?)
                    .build(),
            )
            .send()
            .await;
        let err = match written {
            Ok(_) => return Ok(Created::New),
            Err(err) => err,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
            return Err(classify(BACKEND, err));
        };
        // The reasons come in the order of the transaction's items: [job, key claim].
        let failed =
            |i: usize| cancelled.cancellation_reasons().get(i).and_then(|r| r.code()) == Some(CONDITION_FAILED);
        if failed(1) {
            // The key is taken: the replay gets the job that holds it. The claim itself names
            // the job; read it back if the service did not return the old item.
            let claim = match cancelled.cancellation_reasons()[1].item() {
                Some(claim) => claim.clone(),
                None => self
                    .read(&item::key_claim_id(key))
                    .await?
                    .ok_or_else(|| StoreError::conflict(format!("idempotency key of job {}", job.id)))?,
            };
            let holder = item::decode_key_claim(&claim).map_err(|e| e.into_store(BACKEND))?;
            let holder = JobId::parse(&holder).ok_or_else(|| {
                AwsError::Corrupt {
                    key: item::key_claim_id(key),
                    reason: format!("points to {holder:?}, not a job id"),
                }
                .into_store(BACKEND)
            })?;
            return match self.get(&holder).await {
                Ok(existing) => Ok(Created::Existing(Box::new(existing))),
                // The holder expired before its claim: the key is still taken until the claim
                // expires too, and there is nothing to hand back.
                Err(StoreError::NotFound { .. }) => Err(StoreError::conflict(format!(
                    "idempotency key of job {} (its holder {holder} has expired)",
                    job.id
                ))),
                Err(e) => Err(e),
            };
        }
        if failed(0) {
            return Err(StoreError::conflict(format!("job {}", job.id)));
        }
        // Cancelled for another reason (a concurrent transaction on one of the items,
        // throttling): the same create may succeed later.
        Err(StoreError::transient(BACKEND, AwsError::sdk(err)))
    }
}

#[async_trait]
impl JobStore for DynamoJobStore {
    async fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        let record = self
            .read(id.as_str())
            .await?
            .ok_or_else(|| StoreError::not_found(format!("job {id}")))?;
        decode(&record).map_err(|e| e.into_store(BACKEND))
    }

    async fn create(&self, job: &Job) -> Result<Created, StoreError> {
        let record = encode(job).map_err(|e| e.into_store(BACKEND))?;
        match &job.idempotency_key {
            None => self.create_plain(job, record).await,
            Some(key) => self.create_keyed(job, record, key).await,
        }
    }

    async fn list(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        self.list_jobs(query).await
    }

    async fn update(&self, job: &Job) -> Result<Job, StoreError> {
        let version = job
            .version
            .checked_add(1)
            .ok_or(AwsError::OutOfRange {
                what: "version",
                value: job.version,
                min: 0,
                max: u64::MAX - 1,
            })
            .map_err(|e| e.into_store(BACKEND))?;
        let next = Job { version, ..job.clone() };
        let record = encode(&next).map_err(|e| e.into_store(BACKEND))?;
        // `version = :expected` also fails on an absent item; the old item (or its absence)
        // returned with the failure tells a lost race from an unknown id in the same call.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", item::VERSION)
            .expression_attribute_values(":expected", n(job.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match put {
            Ok(_) => Ok(next),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => Err(match failed.item() {
                    Some(_) => StoreError::conflict(format!("job {} at version {}", job.id, job.version)),
                    None => StoreError::not_found(format!("job {}", job.id)),
                }),
                _ => Err(classify(BACKEND, e)),
            },
        }
    }

    /// One conditional `UpdateItem`: the lease is free, expired, or already `owner`'s. It
    /// sets only the lease attributes, `updated_at` and the version, so it needs no read.
    async fn acquire_lease(
        &self,
        id: &JobId,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(item::HASH_KEY, s(id.as_str()))
            .update_expression("SET #owner = :owner, #until = :until, #updated = :updated, #v = #v + :one")
            .condition_expression(
                "attribute_exists(#job) AND \
                 (attribute_not_exists(#owner) OR #owner = :owner OR #until <= :now)",
            )
            .expression_attribute_names("#job", item::JOB)
            .expression_attribute_names("#owner", item::LEASE_OWNER)
            .expression_attribute_names("#until", item::LEASE_UNTIL)
            .expression_attribute_names("#updated", item::UPDATED_AT)
            .expression_attribute_names("#v", item::VERSION)
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":until", n(nanos(until)))
            .expression_attribute_values(":updated", s(rfc3339(now)))
            .expression_attribute_values(":now", n(nanos(now)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match updated {
            Ok(out) => {
                let record = out.attributes.ok_or_else(|| {
                    AwsError::MissingField {
                        operation: "UpdateItem",
                        field: "Attributes",
                    }
                    .into_store(BACKEND)
                })?;
                decode(&record).map_err(|e| e.into_store(BACKEND))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Err(match failed.item() {
                    Some(_) => StoreError::conflict(format!("lease on job {id}")),
                    None => StoreError::not_found(format!("job {id}")),
                }),
                _ => Err(classify(BACKEND, e)),
            },
        }
    }
}
